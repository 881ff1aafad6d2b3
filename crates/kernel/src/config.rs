//! Typed configuration: an optional TOML file, then `QIXIE_*` environment variables on top.
//! Unknown keys are rejected; secrets never reach the log.
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: String,
    /// `sqlite:…` or `postgres://…`; empty means SQLite in the data directory.
    pub database_url: String,
    pub log: String,
    pub log_format: String,
    /// Upload limit for imports and media, in bytes.
    pub max_upload_bytes: usize,
    /// Session lifetime without activity, in hours.
    pub session_idle_hours: i64,
    /// Whether session cookies carry `Secure` (set when served over TLS).
    pub secure_cookies: bool,
    /// How people reach this server (robot webhook URLs are built on it); empty: `http://<listen>`.
    pub public_url: String,
    /// Origins besides the server's own allowed to open the real-time socket.
    pub allowed_origins: Vec<String>,
    /// NATS server for scale-out; empty: one node, in-process delivery.
    pub nats_url: String,
    /// First tokens of the NATS subjects (`<prefix>.chat`): nodes sharing a database share it.
    pub nats_prefix: String,
    /// Real-time sockets one session may have open at once on a node.
    pub ws_max_per_session: usize,
    /// Real-time sockets one member may have open at once on a node (all sessions together).
    pub ws_max_per_member: usize,
    /// Messages a member may send per second, sustained (socket and REST together, per node); 0: no limit.
    pub send_rate_per_second: u32,
    /// Messages a member may send in a burst above the sustained rate.
    pub send_rate_burst: u32,
    /// Caps on what an uploaded file may make a parser read (`[upload_limits]`).
    pub upload_limits: crate::upload_limits::UploadLimits,
    /// Private or local networks outbound requests (callbacks) may reach anyway; empty: none.
    pub outbound_allow: Vec<ipnet::IpNet>,
    /// An S3-compatible bucket for uploaded files (`[blob_s3]`); none: `<data_dir>/blobs`.
    pub blob_s3: crate::blob::S3Settings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            listen: "127.0.0.1:8080".into(),
            database_url: String::new(),
            log: "info".into(),
            log_format: "text".into(),
            max_upload_bytes: 20 * 1024 * 1024,
            session_idle_hours: 24 * 7,
            secure_cookies: false,
            public_url: String::new(),
            allowed_origins: Vec::new(),
            nats_url: String::new(),
            nats_prefix: "qixie".into(),
            ws_max_per_session: 10,
            ws_max_per_member: 30,
            send_rate_per_second: 20,
            send_rate_burst: 50,
            upload_limits: Default::default(),
            outbound_allow: Vec::new(),
            blob_s3: Default::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("log", &self.log)
            .field("blob_s3", &self.blob_s3)
            .finish_non_exhaustive()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Config {
    /// Reads `QIXIE_CONFIG` (or `<data dir>/qixie.toml` when present), then the environment.
    pub fn load() -> anyhow::Result<Config> {
        Self::from_sources(std::env::vars().collect())
    }

    pub fn from_sources(env: Vec<(String, String)>) -> anyhow::Result<Config> {
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let file = get("QIXIE_CONFIG").map(PathBuf::from).or_else(|| {
            let p = PathBuf::from(get("QIXIE_DATA_DIR").unwrap_or_else(|| "./data".into()))
                .join("qixie.toml");
            p.exists().then_some(p)
        });
        let mut cfg = match file {
            Some(p) => {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("invalid configuration {}: {e}", p.display()))?
            }
            None => Config::default(),
        };
        for (k, v) in &env {
            let Some(key) = k.strip_prefix("QIXIE_") else {
                continue;
            };
            match key {
                "DATA_DIR" => cfg.data_dir = PathBuf::from(v),
                "LISTEN" => cfg.listen = v.clone(),
                "DATABASE_URL" => cfg.database_url = v.clone(),
                "LOG" => cfg.log = v.clone(),
                "LOG_FORMAT" => cfg.log_format = v.clone(),
                "MAX_UPLOAD_BYTES" => {
                    cfg.max_upload_bytes = v
                        .parse()
                        .map_err(|_| anyhow::anyhow!("QIXIE_MAX_UPLOAD_BYTES must be a number"))?
                }
                "SESSION_IDLE_HOURS" => {
                    cfg.session_idle_hours = v
                        .parse()
                        .map_err(|_| anyhow::anyhow!("QIXIE_SESSION_IDLE_HOURS must be a number"))?
                }
                "SECURE_COOKIES" => cfg.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes"),
                "PUBLIC_URL" => cfg.public_url = v.trim_end_matches('/').to_owned(),
                "ALLOWED_ORIGINS" => cfg.allowed_origins = crate::ser::split_list(v),
                "NATS_URL" => cfg.nats_url = v.clone(),
                "NATS_PREFIX" => cfg.nats_prefix = v.clone(),
                "WS_MAX_PER_SESSION" => cfg.ws_max_per_session = number(k, v)?,
                "WS_MAX_PER_MEMBER" => cfg.ws_max_per_member = number(k, v)?,
                "SEND_RATE_PER_SECOND" => cfg.send_rate_per_second = number(k, v)?,
                "SEND_RATE_BURST" => cfg.send_rate_burst = number(k, v)?,
                "UPLOAD_MAX_DECOMPRESSED_BYTES" => {
                    cfg.upload_limits.max_decompressed_bytes = positive(k, v)?
                }
                "UPLOAD_MAX_ROWS" => cfg.upload_limits.max_rows = positive(k, v)?,
                "UPLOAD_MAX_COLUMNS" => cfg.upload_limits.max_columns = positive(k, v)?,
                "OUTBOUND_ALLOW" => cfg.outbound_allow = parse_networks(v)?,
                "BLOB_S3_BUCKET" => cfg.blob_s3.bucket = v.trim().to_owned(),
                "BLOB_S3_ENDPOINT" => cfg.blob_s3.endpoint = v.trim().to_owned(),
                "BLOB_S3_REGION" => cfg.blob_s3.region = v.trim().to_owned(),
                "BLOB_S3_ACCESS_KEY_ID" => cfg.blob_s3.access_key_id = v.clone(),
                "BLOB_S3_SECRET_ACCESS_KEY" => cfg.blob_s3.secret_access_key = v.clone(),
                "BLOB_S3_ALLOW_HTTP" => {
                    cfg.blob_s3.allow_http = matches!(v.as_str(), "1" | "true" | "yes")
                }
                // Read elsewhere.
                "CONFIG" | "FAST_HASH" => {}
                other => anyhow::bail!("unknown environment variable QIXIE_{other}"),
            }
        }
        Ok(cfg)
    }

    /// The base URL people use to reach this server.
    pub fn public_base(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.clone()
        }
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("qixie.db").display())
        } else {
            self.database_url.clone()
        }
    }
}

fn number<T: std::str::FromStr>(key: &str, v: &str) -> anyhow::Result<T> {
    v.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{key} must be a whole number, not {v:?}"))
}

/// A number above zero from the environment variable `key`.
fn positive<T: std::str::FromStr + Default + PartialOrd>(key: &str, v: &str) -> anyhow::Result<T> {
    v.trim()
        .parse::<T>()
        .ok()
        .filter(|n| *n > T::default())
        .ok_or_else(|| anyhow::anyhow!("{key} must be a number above 0"))
}

/// `10.0.0.0/8, 192.168.1.5` → networks; a bare address is a network of one.
pub fn parse_networks(v: &str) -> anyhow::Result<Vec<ipnet::IpNet>> {
    crate::ser::split_list(v)
        .iter()
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "QIXIE_OUTBOUND_ALLOW: {s:?} is not a network (CIDR such as 10.0.0.0/8) or an address"
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_and_unknown_keys_fail() {
        let c = Config::from_sources(vec![("QIXIE_LISTEN".into(), "0.0.0.0:1".into())]).unwrap();
        assert_eq!(c.listen, "0.0.0.0:1");
        assert!(Config::from_sources(vec![("QIXIE_LISTN".into(), "x".into())]).is_err());
    }

    #[test]
    fn socket_and_send_limits_have_defaults_and_env_vars() {
        let d = Config::default();
        assert_eq!(
            (
                d.ws_max_per_session,
                d.ws_max_per_member,
                d.send_rate_per_second,
                d.send_rate_burst
            ),
            (10, 30, 20, 50)
        );
        let c = Config::from_sources(vec![
            ("QIXIE_WS_MAX_PER_SESSION".into(), "3".into()),
            ("QIXIE_WS_MAX_PER_MEMBER".into(), "5".into()),
            ("QIXIE_SEND_RATE_PER_SECOND".into(), "0".into()),
            ("QIXIE_SEND_RATE_BURST".into(), "100".into()),
        ])
        .unwrap();
        assert_eq!(
            (
                c.ws_max_per_session,
                c.ws_max_per_member,
                c.send_rate_per_second,
                c.send_rate_burst
            ),
            (3, 5, 0, 100)
        );
        let bad = Config::from_sources(vec![("QIXIE_SEND_RATE_BURST".into(), "many".into())]);
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("QIXIE_SEND_RATE_BURST")
        );
    }

    #[test]
    fn upload_limits_and_outbound_allow_from_env() {
        let c = Config::from_sources(vec![
            ("QIXIE_UPLOAD_MAX_ROWS".into(), "10".into()),
            (
                "QIXIE_UPLOAD_MAX_DECOMPRESSED_BYTES".into(),
                "1048576".into(),
            ),
            (
                "QIXIE_OUTBOUND_ALLOW".into(),
                "10.0.0.0/8, 127.0.0.1,fd00::/8".into(),
            ),
        ])
        .unwrap();
        assert_eq!(c.upload_limits.max_rows, 10);
        assert_eq!(c.upload_limits.max_decompressed_bytes, 1_048_576);
        assert_eq!(c.upload_limits.max_columns, 200);
        let nets: Vec<String> = c.outbound_allow.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, ["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"]);
        for (k, v) in [
            ("QIXIE_OUTBOUND_ALLOW", "10.0.0.0/33"),
            ("QIXIE_OUTBOUND_ALLOW", "localhost"),
            ("QIXIE_UPLOAD_MAX_ROWS", "0"),
            ("QIXIE_UPLOAD_MAX_COLUMNS", "many"),
        ] {
            assert!(
                Config::from_sources(vec![(k.into(), v.into())]).is_err(),
                "{k}={v}"
            );
        }
        let toml: Config = toml::from_str(
            "outbound_allow = [\"192.168.0.0/16\"]\n[upload_limits]\nmax_columns = 50\n",
        )
        .unwrap();
        assert_eq!(toml.upload_limits.max_columns, 50);
        assert_eq!(toml.outbound_allow.len(), 1);
    }

    #[test]
    fn blob_bucket_from_env_or_file() {
        assert_eq!(Config::default().blob_s3, Default::default());
        let c = Config::from_sources(vec![
            ("QIXIE_BLOB_S3_BUCKET".into(), "files".into()),
            (
                "QIXIE_BLOB_S3_ENDPOINT".into(),
                "http://127.0.0.1:9000".into(),
            ),
            ("QIXIE_BLOB_S3_REGION".into(), "cn-north-1".into()),
            ("QIXIE_BLOB_S3_ACCESS_KEY_ID".into(), "AKIA".into()),
            ("QIXIE_BLOB_S3_SECRET_ACCESS_KEY".into(), "hush".into()),
            ("QIXIE_BLOB_S3_ALLOW_HTTP".into(), "true".into()),
        ])
        .unwrap();
        let s = &c.blob_s3;
        assert_eq!(
            (
                s.bucket.as_str(),
                s.endpoint.as_str(),
                s.region.as_str(),
                s.access_key_id.as_str(),
                s.secret_access_key.as_str(),
                s.allow_http
            ),
            (
                "files",
                "http://127.0.0.1:9000",
                "cn-north-1",
                "AKIA",
                "hush",
                true
            )
        );
        assert!(!format!("{c:?}").contains("hush"));
        let toml: Config = toml::from_str(
            "[blob_s3]\nbucket = \"files\"\nendpoint = \"https://s3.example.com\"\n",
        )
        .unwrap();
        assert_eq!(toml.blob_s3.endpoint, "https://s3.example.com");
        assert!(toml::from_str::<Config>("[blob_s3]\nbuckett = \"x\"\n").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert!(
            !format!(
                "{:?}",
                Config {
                    database_url: "postgres://u:pw@h/d".into(),
                    ..Config::default()
                }
            )
            .contains("pw@")
        );
    }
}
