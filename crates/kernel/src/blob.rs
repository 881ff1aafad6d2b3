//! Where uploaded files live. Local files under the data directory by default.
use std::path::PathBuf;

#[derive(Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn local(root: PathBuf) -> BlobStore {
        BlobStore { root }
    }
    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        anyhow::ensure!(
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/'),
            "bad blob key"
        );
        anyhow::ensure!(!key.contains(".."), "bad blob key");
        Ok(self.root.join(key))
    }
    pub async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let p = self.path(key)?;
        if let Some(dir) = p.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = p.with_extension("part");
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &p).await?;
        Ok(())
    }
    /// Removes what is stored under `key`; nothing stored is fine.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        Ok(tokio::fs::read(self.path(key)?).await?)
    }
}

/// Whether a `get` failed because nothing is stored under the key.
pub fn is_missing(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
}
