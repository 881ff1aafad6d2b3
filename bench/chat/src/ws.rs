//! WebSocket clients of `/api/v1/realtime`, kept small (20,000 of them live in this process), and
//! the bookkeeping that checks what each one holds: per conversation, every event exactly once and
//! in `seq` order.
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

pub type Ws = WebSocketStream<TcpStream>;

/// Client sockets are spread over the source addresses 127.0.0.2 … 127.0.0.(1 + SOURCES), so each
/// address needs at most a few thousand of the kernel's ephemeral ports (and TIME_WAIT sockets left
/// by one phase never collide with the next). HTTP set-up traffic stays on 127.0.0.1.
pub const SOURCES: usize = 16;

/// Connections being opened at once when a phase builds its clients (not in the reconnect storm,
/// where all of them go at once on purpose).
pub const CONNECT_CONCURRENCY: usize = 128;

pub fn source_address(n: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + (n % SOURCES) as u8)
}

/// Small buffers: frames here are a few hundred bytes, and the defaults (128 KiB each way) would cost
/// gigabytes at 20,000 sockets.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

/// Why a connection attempt failed: the server refused the upgrade with an HTTP status, or the
/// connection itself failed (refused, reset, timed out), which a real client would retry.
#[derive(Debug)]
pub enum ConnectError {
    Status(u16, String),
    Io(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Status(s, body) => write!(f, "upgrade refused with HTTP {s}: {body}"),
            ConnectError::Io(e) => write!(f, "connection failed: {e}"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// Opens `ws://127.0.0.1:{port}/api/v1/realtime` from source address number `n` with a bearer token
/// (no Origin header, as an API client).
pub async fn connect(port: u16, token: &str, n: usize) -> Result<Ws, ConnectError> {
    let io = |e: std::io::Error| ConnectError::Io(e.to_string());
    let socket = TcpSocket::new_v4().map_err(io)?;
    defer_port_choice(&socket);
    socket
        .bind(SocketAddr::V4(SocketAddrV4::new(source_address(n), 0)))
        .map_err(io)?;
    let stream = tokio::time::timeout(
        Duration::from_secs(15),
        socket.connect(SocketAddr::from(([127, 0, 0, 1], port))),
    )
    .await
    .map_err(|_| ConnectError::Io("TCP connect timed out after 15 s".into()))?
    .map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    let mut req = format!("ws://127.0.0.1:{port}/api/v1/realtime")
        .into_client_request()
        .map_err(|e| ConnectError::Io(e.to_string()))?;
    let auth = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| ConnectError::Io(e.to_string()))?;
    req.headers_mut().insert("authorization", auth);
    let handshake = tokio_tungstenite::client_async_with_config(req, stream, Some(config()));
    match tokio::time::timeout(Duration::from_secs(15), handshake).await {
        Err(_) => Err(ConnectError::Io(
            "WebSocket upgrade timed out after 15 s".into(),
        )),
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(WsError::Http(res))) => {
            let body = res
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err(ConnectError::Status(res.status().as_u16(), body))
        }
        Ok(Err(e)) => Err(ConnectError::Io(e.to_string())),
    }
}

/// IP_BIND_ADDRESS_NO_PORT: binding to a source address without choosing the port until connect(),
/// so ports are shared across destinations as for an unbound socket.
fn defer_port_choice(socket: &TcpSocket) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a pointer to a c_int that outlives the call.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// The next JSON text frame and the moment it was read (taken before parsing); None when the server
/// closed the connection. Pings are answered by the library; binary frames do not occur.
pub async fn recv<S>(ws: &mut S) -> Result<Option<(Instant, Value)>>
where
    S: Stream<Item = Result<Message, WsError>> + Unpin,
{
    loop {
        match ws.next().await {
            None => return Ok(None),
            Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => return Ok(None),
            Some(Err(e)) => return Err(anyhow!("reading from the socket: {e}")),
            Some(Ok(Message::Text(t))) => {
                let at = Instant::now();
                let v = serde_json::from_str(t.as_str())
                    .with_context(|| format!("a frame that is not JSON: {}", t.as_str()))?;
                return Ok(Some((at, v)));
            }
            Some(Ok(Message::Close(_))) => return Ok(None),
            Some(Ok(_)) => {}
        }
    }
}

pub async fn send<S>(ws: &mut S, v: &Value) -> Result<()>
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    ws.send(Message::text(v.to_string()))
        .await
        .map_err(|e| anyhow!("writing to the socket: {e}"))
}

/// The frame's type (`t`).
pub fn kind(v: &Value) -> &str {
    v["t"].as_str().unwrap_or("")
}

/// A `ref` as this tool sends it (a decimal string), also accepted back as a number.
pub fn ref_of(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Waits for `hello`, the first frame after the upgrade.
pub async fn hello(ws: &mut Ws) -> Result<Value> {
    let f = tokio::time::timeout(Duration::from_secs(30), recv(ws))
        .await
        .map_err(|_| anyhow!("no hello within 30 s"))??;
    match f {
        Some((_, v)) if kind(&v) == "hello" => Ok(v),
        Some((_, v)) => bail!("the first frame was not hello: {v}"),
        None => bail!("closed before hello"),
    }
}

/// Conversation ids (strings on the wire) ↔ small indexes, for the conversations this tool created.
#[derive(Default)]
pub struct Convs {
    pub ids: Vec<String>,
    index: HashMap<String, u32>,
}

impl Convs {
    pub fn add(&mut self, id: String) -> u32 {
        let i = self.ids.len() as u32;
        self.index.insert(id.clone(), i);
        self.ids.push(id);
        i
    }
    pub fn index(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }
    pub fn id(&self, i: u32) -> &str {
        &self.ids[i as usize]
    }
}

/// What one client holds of the conversations it follows: the last `seq` of each, and everything
/// that broke the promise (a `seq` seen again or going back, a `seq` skipped).
#[derive(Clone, Debug, Default)]
pub struct Holding {
    /// (conversation index, last seq held)
    pub convs: Vec<(u32, u64)>,
    pub received: u64,
    pub duplicates: u64,
    pub gaps: u64,
    /// Events of conversations this client does not follow (created by the server, say).
    pub other: u64,
}

/// The result of taking one `event` frame into a holding.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    InOrder(u32, u64),
    Duplicate,
    Gap,
    Other,
}

impl Holding {
    pub fn new(convs: Vec<(u32, u64)>) -> Holding {
        Holding {
            convs,
            ..Holding::default()
        }
    }

    /// Takes an `event` frame: `conv` and `seq` at the top level.
    pub fn take(&mut self, convs: &Convs, frame: &Value) -> Taken {
        let seq = frame["seq"].as_u64().unwrap_or(0);
        let Some(c) = frame["conv"].as_str().and_then(|id| convs.index(id)) else {
            self.other += 1;
            return Taken::Other;
        };
        let Some(slot) = self.convs.iter_mut().find(|(i, _)| *i == c) else {
            self.other += 1;
            return Taken::Other;
        };
        self.received += 1;
        if seq <= slot.1 {
            self.duplicates += 1;
            return Taken::Duplicate;
        }
        let skipped = seq > slot.1 + 1;
        slot.1 = seq;
        if skipped {
            self.gaps += 1;
            return Taken::Gap;
        }
        Taken::InOrder(c, seq)
    }

    /// The `convs` object of a `resume`.
    pub fn resume_op(&self, convs: &Convs) -> Value {
        let map: serde_json::Map<String, Value> = self
            .convs
            .iter()
            .map(|(i, s)| (convs.id(*i).to_owned(), json!(s)))
            .collect();
        json!({"op": "resume", "convs": map})
    }

    /// True when every followed conversation is held up to `last_seq[conv]`.
    pub fn complete(&self, last_seq: &[u64]) -> bool {
        self.convs.iter().all(|(i, s)| *s >= last_seq[*i as usize])
    }

    pub fn violations(&self) -> u64 {
        self.duplicates + self.gaps
    }
}

/// Sends `resume` and reads until `resumed`, taking every event into `holding`. Returns the frames
/// that were neither events nor `resumed`, counted by type.
pub async fn resume(
    ws: &mut Ws,
    convs: &Convs,
    holding: &mut Holding,
    limit: Duration,
) -> Result<HashMap<String, u64>> {
    send(ws, &holding.resume_op(convs)).await?;
    let mut others: HashMap<String, u64> = HashMap::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let f = tokio::time::timeout_at(deadline, recv(ws))
            .await
            .map_err(|_| anyhow!("no resumed within {limit:?}"))??;
        let Some((_, v)) = f else {
            bail!("closed before resumed");
        };
        match kind(&v) {
            "event" => {
                holding.take(convs, &v);
            }
            "resumed" => return Ok(others),
            "resync" => bail!("the server sent resync during resume: {v}"),
            k => *others.entry(k.to_owned()).or_default() += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holding_counts_duplicates_and_gaps() {
        let mut convs = Convs::default();
        let a = convs.add("100".into());
        let mut h = Holding::new(vec![(a, 4)]);
        let ev = |seq: u64| json!({"t": "event", "conv": "100", "seq": seq});
        assert_eq!(h.take(&convs, &ev(5)), Taken::InOrder(a, 5));
        assert_eq!(h.take(&convs, &ev(5)), Taken::Duplicate);
        assert_eq!(h.take(&convs, &ev(3)), Taken::Duplicate);
        assert_eq!(h.take(&convs, &ev(7)), Taken::Gap);
        assert_eq!(
            h.take(&convs, &json!({"t": "event", "conv": "9", "seq": 1})),
            Taken::Other
        );
        assert_eq!((h.received, h.duplicates, h.gaps, h.other), (4, 2, 1, 1));
        assert!(h.complete(&[7]));
        assert!(!h.complete(&[8]));
        assert_eq!(
            h.resume_op(&convs),
            json!({"op": "resume", "convs": {"100": 7}})
        );
    }

    #[test]
    fn refs_as_strings_or_numbers() {
        assert_eq!(ref_of(&json!("12")), Some(12));
        assert_eq!(ref_of(&json!(12)), Some(12));
        assert_eq!(ref_of(&json!("x")), None);
    }
}
