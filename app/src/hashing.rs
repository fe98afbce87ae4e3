//! Password hashing with a bound: a few worker threads (about one per core), a short queue, and past it an
//! immediate "busy" instead of a pile-up.
//!
//! Each Argon2 hash works in about 19 MiB. On Tokio's blocking pool, 300 concurrent sign-ins ran 300 hashes at
//! once (5 GB resident). Bounding them was not enough: glibc's allocator raises its mmap threshold after the first
//! big free, and from then on each 19 MiB block stayed resident (measured: +19 MiB per sign-in attempt, for
//! ever). So each worker thread allocates its Argon2 memory once and reuses it: the hashing costs
//! `workers` × 19 MiB, whatever arrives and for as long as the server runs.

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

/// Every worker and queue slot is taken: answer "try again shortly" (429).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks in progress")]
pub struct Busy;

enum Job {
    Hash(String, oneshot::Sender<Result<String, String>>),
    /// `None`: no such account; compare against a dummy hash so a wrong email costs the time of a wrong password.
    Verify(String, Option<String>, oneshot::Sender<bool>),
}

#[derive(Clone)]
pub struct Hashing {
    jobs: SyncSender<Job>,
}

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash(&mut Vec::new(), "not the password of anyone").unwrap_or_default());

impl Hashing {
    /// `workers` threads and room for `queue` waiting jobs.
    pub fn new(workers: usize, queue: usize) -> Self {
        let (jobs, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..workers.max(1) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new().name(format!("password-hash-{n}")).spawn(move || {
                let mut memory = Vec::new();
                loop {
                    let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(Job::Hash(password, reply)) => {
                            let _ = reply.send(hash(&mut memory, &password));
                        }
                        Ok(Job::Verify(password, stored, reply)) => {
                            let stored = stored.as_deref().unwrap_or(&DUMMY_HASH);
                            let _ = reply.send(verify(&mut memory, &password, stored));
                        }
                        // Every sender is gone: the server is shutting down.
                        Err(_) => return,
                    }
                }
            });
            if let Err(err) = spawned {
                tracing::error!(error = %err, "could not start a password-hashing thread");
            }
        }
        Self { jobs }
    }

    /// One worker per core (at most 4), and a queue twice that: a burst waits a few hundred milliseconds at most.
    pub fn for_this_machine() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
        Self::new(workers, workers * 2)
    }

    pub async fn hash(&self, password: &str) -> Result<Result<String, String>, Busy> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash(password.to_owned(), reply))?;
        Ok(answer.await.unwrap_or_else(|_| Err("the hashing thread stopped".into())))
    }

    /// Whether `password` matches `stored`; `None` (no account) is checked against a dummy hash and is false.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, Busy> {
        let known = stored.is_some();
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify(password.to_owned(), stored, reply))?;
        Ok(answer.await.unwrap_or(false) && known)
    }

    fn submit(&self, job: Job) -> Result<(), Busy> {
        self.jobs.try_send(job).map_err(|err| match err {
            TrySendError::Full(_) => Busy,
            TrySendError::Disconnected(_) => {
                tracing::error!("no password-hashing thread is running");
                Busy
            }
        })
    }
}

/// An argon2id PHC string for `password` with the library's default parameters, computed in `memory`.
fn hash(memory: &mut Vec<Block>, password: &str) -> Result<String, String> {
    let params = Params::default();
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon2
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, sized(memory, &params))
        .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`, with whatever parameters it was made with.
fn verify(memory: &mut Vec<Block>, password: &str, stored: &str) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(stored).ok()?;
        let params = Params::try_from(&parsed).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).ok()?;
        let version = parsed.version.map_or(Some(Version::default()), |v| Version::try_from(v).ok())?;
        let (salt, expected) = (parsed.salt?, parsed.hash?);
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params.clone())
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, sized(memory, &params))
            .ok()?;
        // `Output`'s equality is constant-time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// The worker's Argon2 memory, grown once to what `params` needs and reused by every later hash.
fn sized<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    if memory.len() < params.block_count() {
        *memory = vec![Block::default(); params.block_count()];
    }
    &mut memory[..params.block_count()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_past_the_queue_is_refused_at_once_not_queued() {
        let hashing = Hashing::new(1, 2);
        let attempts = (0..20).map(|_| {
            let hashing = hashing.clone();
            tokio::spawn(async move { hashing.verify("guess", None).await })
        });
        let results = futures::future::join_all(attempts).await;
        let busy = results.iter().filter(|r| matches!(r, Ok(Err(Busy)))).count();
        let checked = results.iter().filter(|r| matches!(r, Ok(Ok(false)))).count();
        assert!(busy >= 17, "one running and two queued at most: {busy} busy, {checked} checked");
        assert_eq!(busy + checked, 20);
    }

    #[test]
    fn hashes_are_standard_phc_strings_that_argon2_itself_accepts() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let ours = hash(&mut Vec::new(), "correct horse").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
        // Hashes made before (by argon2's own hasher) still verify, with the reused memory.
        let theirs = Argon2::default().hash_password(b"older password").unwrap().to_string();
        let mut memory = Vec::new();
        assert!(verify(&mut memory, "older password", &theirs) && !verify(&mut memory, "older passwore", &theirs));
        assert!(!verify(&mut memory, "x", "not a hash"));
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hashing = Hashing::new(1, 1);
        let stored = hashing.hash("correct horse").await.unwrap().unwrap();
        assert!(hashing.verify("correct horse", Some(stored.clone())).await.unwrap());
        assert!(!hashing.verify("wrong", Some(stored)).await.unwrap());
        assert!(!hashing.verify("not the password of anyone", None).await.unwrap());
    }
}
