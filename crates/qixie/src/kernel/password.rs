//! Password hashing with argon2id, off the request threads: hashing is CPU-bound, so it runs on the
//! blocking pool behind a semaphore that leaves the other core free for everyone else's requests.
use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use super::error::{AppError, AppResult};

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    params: Params,
}

impl Hasher {
    pub fn new(parallel: usize) -> Hasher {
        // OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
        let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
        Hasher {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            params,
        }
    }

    /// Cheap parameters for tests and bulk demo data, where strength does not matter.
    pub fn fast_for_tests() -> Hasher {
        let params = Params::new(256, 1, 1, None).unwrap_or_default();
        Hasher {
            permits: Arc::new(Semaphore::new(2)),
            params,
        }
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let argon = self.argon();
        let pw = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = new_salt();
            argon
                .hash_password(pw.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hash: {e}"))
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
    }

    /// Whether `password` matches `hash`. With no hash it still does the work, so the answer takes
    /// as long whether the account exists or not.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let argon = self.argon();
        let pw = password.to_owned();
        let hash = hash.map(str::to_owned);
        tokio::task::spawn_blocking(move || match hash {
            Some(h) => match PasswordHash::new(&h) {
                Ok(parsed) => argon.verify_password(pw.as_bytes(), &parsed).is_ok(),
                Err(_) => false,
            },
            None => {
                let salt = new_salt();
                let _ = argon.hash_password(pw.as_bytes(), &salt);
                false
            }
        })
        .await
        .map_err(AppError::internal)
    }
}

/// A generated initial password that passes the policy for `account`: readable, letters and
/// digits, shown once.
pub fn generate_for(account: &str) -> String {
    let acct = account.to_lowercase();
    loop {
        let p = generate_initial();
        if acct.is_empty() || !p.to_lowercase().contains(&acct) {
            return p;
        }
    }
}

fn generate_initial() -> String {
    use rand::Rng;
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut s: String = (0..8)
        .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
        .collect();
    s.extend((0..4).map(|_| DIGITS[rng.random_range(0..DIGITS.len())] as char));
    s
}

fn new_salt() -> SaltString {
    use rand::Rng;
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    // 16 random bytes always encode; the fallback only satisfies the type.
    SaltString::encode_b64(&bytes).unwrap_or_else(|_| {
        SaltString::from_b64("c2FsdHNhbHRzYWx0").unwrap_or_else(|_| unreachable!())
    })
}
