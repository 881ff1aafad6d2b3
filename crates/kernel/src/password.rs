//! Password hashing with argon2id, off the request threads: hashing is CPU-bound, so it runs on a
//! small fixed set of dedicated threads (one by default) at a lower priority, which leaves the other
//! core free, and the CPU first to everyone else's requests, while a burst of sign-ins queues here.
//!
//! Each hash needs its working memory (19 MiB). The allocator keeps such a block in the arena of
//! the thread that freed it, so hashing on whichever thread of a large pool is free left hundreds of
//! MiB behind after a burst; on one long-lived thread the same block is reused, and once the queue
//! has been empty for a moment the thread hands it back to the operating system.
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::oneshot;

use super::error::{AppError, AppResult};

/// How long a hashing thread waits for more work before releasing its working memory.
const IDLE_RELEASE: Duration = Duration::from_millis(500);

type Work = Box<dyn FnOnce(&Argon2<'static>) + Send>;

#[derive(Clone)]
pub struct Hasher {
    queue: mpsc::Sender<Work>,
}

impl Hasher {
    /// `threads` dedicated hashing threads with OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
    pub fn new(threads: usize) -> Hasher {
        Hasher::start(
            Params::new(19 * 1024, 2, 1, None).unwrap_or_default(),
            threads,
        )
    }

    /// Cheap parameters for tests and bulk demo data, where strength does not matter.
    pub fn fast_for_tests() -> Hasher {
        Hasher::start(Params::new(256, 1, 1, None).unwrap_or_default(), 2)
    }

    fn start(params: Params, threads: usize) -> Hasher {
        let (tx, rx) = mpsc::channel::<Work>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let params = params.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("qixie-hash-{i}"))
                .spawn(move || worker(&rx, params));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Hasher { queue: tx }
    }

    /// Runs `f` on a hashing thread and waits for its answer.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Argon2<'static>) -> R + Send + 'static,
    ) -> AppResult<R> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send(Box::new(move |argon| {
                let _ = tx.send(f(argon));
            }))
            .map_err(|_| AppError::internal(anyhow::anyhow!("password hashing stopped")))?;
        rx.await
            .map_err(|_| AppError::internal(anyhow::anyhow!("password hashing stopped")))
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let pw = password.to_owned();
        self.run(move |argon| {
            let salt = new_salt();
            argon
                .hash_password(pw.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hash: {e}"))
        })
        .await?
        .map_err(AppError::internal)
    }

    /// Whether `password` matches `hash`. With no hash it still does the work, so the answer takes
    /// as long whether the account exists or not.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let pw = password.to_owned();
        let hash = hash.map(str::to_owned);
        self.run(move |argon| match hash {
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
    }
}

/// One hashing thread: takes work until every `Hasher` handle is gone.
fn worker(rx: &Mutex<mpsc::Receiver<Work>>, params: Params) {
    lower_priority();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut dirty = false;
    loop {
        let next = {
            let Ok(rx) = rx.lock() else { return };
            rx.recv_timeout(if dirty {
                IDLE_RELEASE
            } else {
                Duration::from_secs(3600)
            })
        };
        match next {
            Ok(work) => {
                work(&argon);
                dirty = true;
            }
            Err(RecvTimeoutError::Timeout) => {
                if dirty {
                    release_free_memory();
                    dirty = false;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Hashing yields the CPU to request handling: during a burst of sign-ins the hashes queue, and
/// everyone else's requests run first (nice 10 for this thread only).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take and return plain integers.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

/// Returns freed heap memory to the operating system (glibc keeps it otherwise).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers from us.
    unsafe {
        libc::malloc_trim(0);
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
