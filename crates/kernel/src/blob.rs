//! Where uploaded files live (ADR 0010): under `<data dir>/blobs` by default, in a bucket of an
//! S3-compatible service when `[blob_s3]` (`QIXIE_BLOB_S3_*`) names one. Both go through
//! `object_store`. A key is a `/`-separated name such as `chat/<corp>/<id>`; on the local disk it is
//! the file's path below the root, as it has always been, so files stored before keep working.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use serde::Deserialize;

/// An S3-compatible bucket for the files: the `[blob_s3]` table of the configuration file, or the
/// `QIXIE_BLOB_S3_*` environment variables. Requests use path-style addressing
/// (`<endpoint>/<bucket>/<key>`), which Amazon S3, MinIO, Ceph and Garage all accept.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Settings {
    /// Empty: files stay on the local disk.
    pub bucket: String,
    /// `https://s3.example.com`; empty: Amazon S3 in `region`.
    pub endpoint: String,
    /// Empty: `us-east-1`.
    pub region: String,
    /// Empty (with the secret): the machine's instance credentials (Amazon EC2, ECS).
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Whether the endpoint may be plain `http://` (a server on the same host or private network).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl S3Settings {
    /// Whether any setting is given: then the bucket must be, rather than files silently staying
    /// on the local disk.
    fn given(&self) -> bool {
        *self != S3Settings::default()
    }
}

#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Display for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.store.fmt(f)
    }
}

impl BlobStore {
    /// The store the configuration names: the bucket of `[blob_s3]`, else `<data dir>/blobs`.
    pub fn open(s3: &S3Settings, data_dir: &Path) -> anyhow::Result<BlobStore> {
        if s3.given() {
            BlobStore::s3(s3)
        } else {
            BlobStore::local(data_dir.join("blobs"))
        }
    }

    /// Files under `root`, which is made when missing.
    pub fn local(root: PathBuf) -> anyhow::Result<BlobStore> {
        std::fs::create_dir_all(&root)
            .map_err(|e| anyhow::anyhow!("cannot make {}: {e}", root.display()))?;
        Ok(BlobStore {
            store: Arc::new(LocalFileSystem::new_with_prefix(&root)?),
        })
    }

    /// Objects in the bucket `s` names. Nothing is sent until the first request.
    pub fn s3(s: &S3Settings) -> anyhow::Result<BlobStore> {
        anyhow::ensure!(
            !s.bucket.is_empty(),
            "QIXIE_BLOB_S3_BUCKET (blob_s3.bucket) is required when other QIXIE_BLOB_S3_* settings are given"
        );
        anyhow::ensure!(
            s.access_key_id.is_empty() == s.secret_access_key.is_empty(),
            "QIXIE_BLOB_S3_ACCESS_KEY_ID and QIXIE_BLOB_S3_SECRET_ACCESS_KEY go together"
        );
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&s.bucket)
            .with_virtual_hosted_style_request(false)
            // All client options at once: this replaces any set one by one before.
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(s.allow_http)
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60)),
            )
            // A person waits on most of these requests: a few quick retries, not minutes of them.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
                ..RetryConfig::default()
            });
        if !s.endpoint.is_empty() {
            let plain = s.endpoint.starts_with("http://");
            anyhow::ensure!(
                plain || s.endpoint.starts_with("https://"),
                "QIXIE_BLOB_S3_ENDPOINT must start with https:// (or http://), not {:?}",
                s.endpoint
            );
            anyhow::ensure!(
                !plain || s.allow_http,
                "QIXIE_BLOB_S3_ENDPOINT is plain http://: set QIXIE_BLOB_S3_ALLOW_HTTP=true to send files and credentials unencrypted"
            );
            b = b.with_endpoint(s.endpoint.trim_end_matches('/'));
        }
        if !s.region.is_empty() {
            b = b.with_region(&s.region);
        }
        if !s.access_key_id.is_empty() {
            b = b
                .with_access_key_id(&s.access_key_id)
                .with_secret_access_key(&s.secret_access_key);
        }
        Ok(BlobStore {
            store: Arc::new(b.build()?),
        })
    }

    /// Keys are made by the server (`chat/<corp>/<id>`), never taken from a request: anything else
    /// is a bug, refused before it reaches a path or a URL.
    fn key(key: &str) -> anyhow::Result<Key> {
        anyhow::ensure!(
            !key.is_empty()
                && !key.starts_with('/')
                && !key.ends_with('/')
                && !key.contains("//")
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/'),
            "bad blob key {key:?}"
        );
        Ok(Key::parse(key)?)
    }

    /// Stores `bytes` under `key`, replacing what was there; readers see the old or the new bytes,
    /// never a part.
    pub async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let key = Self::key(key)?;
        self.store.put(&key, bytes.to_vec().into()).await?;
        Ok(())
    }

    /// Removes what is stored under `key`; nothing stored is fine.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&Self::key(key)?).await {
            Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The bytes stored under `key`; nothing stored is an error for which `is_missing` holds.
    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let got = self.store.get(&Self::key(key)?).await?;
        Ok(got.bytes().await?.into())
    }
}

/// Whether a `get` failed because nothing is stored under the key.
pub fn is_missing(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<object_store::Error>(),
        Some(object_store::Error::NotFound { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(f: impl FnOnce(&mut S3Settings)) -> anyhow::Result<BlobStore> {
        let mut s = S3Settings {
            bucket: "files".into(),
            ..S3Settings::default()
        };
        f(&mut s);
        BlobStore::s3(&s)
    }

    #[test]
    fn s3_settings_are_checked_before_any_request() {
        assert!(s3(|_| {}).is_ok());
        let https = s3(|s| s.endpoint = "https://s3.example.com/".into());
        assert_eq!(https.unwrap().to_string(), "AmazonS3(files)");
        for (tune, says) in [
            (
                (|s: &mut S3Settings| {
                    s.bucket.clear();
                    s.region = "cn-north-1".into();
                }) as fn(&mut S3Settings),
                "QIXIE_BLOB_S3_BUCKET",
            ),
            (
                |s| s.access_key_id = "AKIA".into(),
                "QIXIE_BLOB_S3_SECRET_ACCESS_KEY",
            ),
            (
                |s| s.endpoint = "s3.example.com".into(),
                "must start with https://",
            ),
            (
                |s| s.endpoint = "http://127.0.0.1:9000".into(),
                "QIXIE_BLOB_S3_ALLOW_HTTP",
            ),
        ] {
            let e = s3(tune).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(says), "{says}: {e}");
        }
        let plain = s3(|s| {
            s.endpoint = "http://127.0.0.1:9000".into();
            s.allow_http = true;
        });
        assert!(plain.is_ok());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = S3Settings {
            access_key_id: "AKIA".into(),
            secret_access_key: "hush".into(),
            ..S3Settings::default()
        };
        assert!(!format!("{s:?}").contains("hush"));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error_not_a_missing_file() {
        let store = s3(|s| {
            s.endpoint = "http://127.0.0.1:1".into();
            s.allow_http = true;
            s.access_key_id = "key".into();
            s.secret_access_key = "secret".into();
        })
        .unwrap();
        let e = store.get("chat/1/abc").await.unwrap_err();
        assert!(!is_missing(&e), "{e:#}");
        let e = store.put("chat/1/abc", b"x").await.unwrap_err();
        // Retried a few times (the request itself was fine), then given up.
        let says = format!("{e:#}");
        assert!(
            says.contains("Connection refused") && says.contains("after 3 retries"),
            "{says}"
        );
    }

    #[tokio::test]
    async fn local_keys_are_paths_below_the_root_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::local(dir.path().join("blobs")).unwrap();
        store.put("chat/1/abc", b"new").await.unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("blobs/chat/1/abc")).unwrap(),
            b"new"
        );
        // A file stored by earlier versions, which wrote the path directly.
        std::fs::create_dir_all(dir.path().join("blobs/media/7")).unwrap();
        std::fs::write(dir.path().join("blobs/media/7/old-id"), b"old").unwrap();
        assert_eq!(store.get("media/7/old-id").await.unwrap(), b"old");
        store.delete("media/7/old-id").await.unwrap();
        assert!(!dir.path().join("blobs/media/7/old-id").exists());
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "a//b",
            "a/",
            "a.b",
            "a b",
            "a#1",
        ] {
            assert!(store.put(bad, b"x").await.is_err(), "{bad:?}");
            assert!(store.get(bad).await.is_err(), "{bad:?}");
        }
    }
}
