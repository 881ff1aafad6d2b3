//! The one HTTP client for requests whose target an enterprise user or an app chooses (batch job
//! callbacks, apps' callback URLs). It refuses what would turn the server into a proxy into its own
//! network:
//!
//! - only `http` and `https`, no proxy from the environment, no redirects;
//! - every address a name resolves to is checked after DNS, inside the client's resolver, so the
//!   address checked is the address connected to (a second lookup cannot answer differently); an
//!   address written in the URL is checked the same way before the request;
//! - loopback, private (RFC 1918, `fc00::/7`), link-local (with the `169.254.169.254` metadata
//!   service), CGNAT `100.64.0.0/10`, multicast, broadcast, unspecified and other special-purpose
//!   ranges, in IPv4, IPv6 and IPv4-mapped IPv6 (`::ffff:127.0.0.1`), are refused unless the operator
//!   lists them in `QIXIE_OUTBOUND_ALLOW`;
//! - connect within 5 s, the whole exchange within 10 s, at most 1 MiB of the answer read.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ipnet::IpNet;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer's body that is read; the rest is dropped.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The guarded client; cheap to clone. The HTTP client itself is built on first use.
#[derive(Clone, Default)]
pub struct Outbound {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    allow: Arc<[IpNet]>,
    client: OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("allow", &self.inner.allow)
            .finish_non_exhaustive()
    }
}

/// Why a request was not made or did not complete.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The target is not allowed (scheme, or an address in a refused range); trying again will not
    /// help.
    #[error("outbound request refused: {0}")]
    Refused(String),
    #[error("outbound request failed: {0}")]
    Failed(#[source] reqwest::Error),
}

/// An answer: its status and the start of its body.
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub body: bytes::Bytes,
}

/// What the resolver reports when every address of a name is refused.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to refused addresses")]
struct Blocked(String);

impl Outbound {
    /// A client that reaches public addresses, and also the networks in `allow`.
    pub fn new(allow: &[IpNet]) -> Outbound {
        Outbound {
            inner: Arc::new(Inner {
                allow: allow.into(),
                client: OnceLock::new(),
            }),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, OutboundError> {
        if let Some(c) = self.inner.client.get() {
            return Ok(c);
        }
        let c = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow: self.inner.allow.clone(),
            }))
            .build()
            .map_err(OutboundError::Failed)?;
        Ok(self.inner.client.get_or_init(|| c))
    }

    /// Checks what can be checked before connecting: the scheme, and an address written as the host.
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, OutboundError> {
        let url = reqwest::Url::parse(url)
            .map_err(|e| OutboundError::Refused(format!("invalid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::Refused(format!(
                "scheme {} is not http or https",
                url.scheme()
            )));
        }
        // The client resolves names through the guarded resolver, but connects to a literal
        // address without asking it: those are checked here.
        // The parser has already normalised the other ways of writing an IPv4 address
        // (`0x7f.1`, `2130706433`) to dotted form.
        let host = url
            .host_str()
            .ok_or_else(|| OutboundError::Refused("the URL has no host".into()))?;
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .parse::<IpAddr>()
            .ok();
        if let Some(ip) = literal
            && !permitted(ip, &self.inner.allow)
        {
            return Err(OutboundError::Refused(format!(
                "address {ip} is not allowed"
            )));
        }
        Ok(url)
    }

    /// POSTs `body` to `url` with `query` and `headers`, under the rules above.
    pub async fn post(
        &self,
        url: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: String,
    ) -> Result<Answer, OutboundError> {
        let url = self.check_url(url)?;
        let mut req = self.client()?.post(url).query(query).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        read_answer(req).await
    }

    /// GETs `url` with `query` added, under the same rules (an app's callback URL check).
    pub async fn get(&self, url: &str, query: &[(&str, &str)]) -> Result<Answer, OutboundError> {
        let url = self.check_url(url)?;
        read_answer(self.client()?.get(url).query(query)).await
    }
}

/// Sends a request and reads its answer, at most `MAX_RESPONSE_BYTES` of the body.
async fn read_answer(req: reqwest::RequestBuilder) -> Result<Answer, OutboundError> {
    let mut res = req.send().await.map_err(classify)?;
    let status = res.status();
    let mut body = bytes::BytesMut::new();
    while body.len() < MAX_RESPONSE_BYTES {
        match res.chunk().await.map_err(classify)? {
            Some(chunk) => {
                let room = MAX_RESPONSE_BYTES - body.len();
                body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
            }
            None => break,
        }
    }
    Ok(Answer {
        status,
        body: body.freeze(),
    })
}

/// A refusal from the resolver comes back wrapped in the client's error: unwrap it.
fn classify(e: reqwest::Error) -> OutboundError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(b) = s.downcast_ref::<Blocked>() {
            return OutboundError::Refused(b.to_string());
        }
        source = s.source();
    }
    OutboundError::Failed(e)
}

/// Resolves with the system resolver, then keeps only the allowed addresses.
struct GuardedResolver {
    allow: Arc<[IpNet]>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| permitted(a.ip(), &allow))
                .collect();
            if found.is_empty() {
                return Err(Box::new(Blocked(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether a request may go to `ip`: a public address, or one in the operator's allow list. An
/// IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
pub fn permitted(ip: IpAddr, allow: &[IpNet]) -> bool {
    let ip = canonical(ip);
    allow.iter().any(|n| n.contains(&ip)) || is_public(ip)
}

/// `::ffff:a.b.c.d` → `a.b.c.d`; anything else unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is an ordinary address on the internet, not one of the special-purpose ranges.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => is_public_v6(a),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [b0, b1, b2, _] = a.octets();
    let refused = b0 == 0 // "this network", 0.0.0.0 among it
        || b0 == 10
        || b0 == 127
        || (b0 == 100 && (64..128).contains(&b1)) // CGNAT 100.64.0.0/10
        || (b0 == 169 && b1 == 254) // link-local, 169.254.169.254 metadata among it
        || (b0 == 172 && (16..32).contains(&b1))
        || (b0 == 192 && b1 == 0 && b2 == 0) // IETF protocol assignments
        || (b0 == 192 && b1 == 0 && b2 == 2) // documentation
        || (b0 == 192 && b1 == 88 && b2 == 99) // 6to4 relay anycast
        || (b0 == 192 && b1 == 168)
        || (b0 == 198 && (b1 == 18 || b1 == 19)) // benchmarking
        || (b0 == 198 && b1 == 51 && b2 == 100) // documentation
        || (b0 == 203 && b1 == 0 && b2 == 113) // documentation
        || b0 >= 224; // multicast 224/4, reserved 240/4, broadcast 255.255.255.255
    !refused
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    // Addresses that carry an IPv4 address are judged by it.
    let embedded_v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
        return false;
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 64:ff9b::/96
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        // 6to4 2002::/16 carries the IPv4 address in its next 32 bits.
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    let refused = (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32
        || (s[0] == 0x2001 && s[1] < 0x200) // other IETF assignments 2001::/23
        || s[..4] == [0x100, 0, 0, 0] // discard-only 100::/64
        || s[..3] == [0x64, 0xff9b, 1]; // local-use NAT64 64:ff9b:1::/48
    !refused
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn address_classifier() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "169.254.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "2001::1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "100::1",
        ];
        for a in refused {
            let ip: IpAddr = a.parse().unwrap();
            assert!(!is_public(ip), "{a} must be refused");
            assert!(!permitted(ip, &[]), "{a} must be refused");
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "169.253.0.1",
            "192.169.0.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "2606:4700:4700::1111",
            "2400:3200::1",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ];
        for a in public {
            let ip: IpAddr = a.parse().unwrap();
            assert!(is_public(ip), "{a} is public");
        }
    }

    #[test]
    fn allow_list_opens_private_ranges() {
        let allow: Vec<IpNet> = ["127.0.0.0/8", "10.1.0.0/16", "fd00::/8"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        for a in ["127.0.0.1", "::ffff:127.0.0.1", "10.1.2.3", "fd00::5"] {
            assert!(permitted(a.parse().unwrap(), &allow), "{a}");
        }
        for a in [
            "10.2.0.1",
            "192.168.0.1",
            "169.254.169.254",
            "::1",
            "fc00::1",
        ] {
            assert!(!permitted(a.parse().unwrap(), &allow), "{a}");
        }
    }

    #[test]
    fn urls_are_checked_before_connecting() {
        let o = Outbound::new(&[]);
        for bad in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "gopher://example.com",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://[::ffff:127.0.0.1]/cb",
            "http://0x7f.1/cb",
            "http://2130706433/cb",
            "http://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/",
            "not a url",
        ] {
            assert!(
                matches!(o.check_url(bad), Err(OutboundError::Refused(_))),
                "{bad}"
            );
        }
        assert!(o.check_url("https://example.com/cb").is_ok());
        assert!(o.check_url("http://8.8.8.8/cb").is_ok());
        let local = Outbound::new(&["127.0.0.0/8".parse().unwrap()]);
        assert!(local.check_url("http://127.0.0.1:9/cb").is_ok());
    }

    #[tokio::test]
    async fn names_are_checked_after_resolving() {
        // `localhost` resolves to loopback: the resolver refuses it, and no connection is tried.
        let o = Outbound::new(&[]);
        let got = o
            .post("http://localhost:9/cb", &[], &[], String::new())
            .await;
        assert!(matches!(got, Err(OutboundError::Refused(_))), "{got:?}");
    }
}
