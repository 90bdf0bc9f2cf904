//! Argon2id behind a bounded queue. One hash holds 19 MiB for tens of milliseconds, so a
//! burst of logins with nothing in front of the hasher grows the process by 19 MiB per
//! concurrent request. Here at most one hash per core runs, each in a memory area allocated
//! once and reused; a bounded number of requests wait for a turn; the rest are told to come
//! back later (`Busy`, a 503 with `Retry-After`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::domain::Password;

/// OWASP's argon2id setting: 19 MiB, 2 iterations, 1 lane.
fn owasp_params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid")
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("every password hashing slot is taken")]
    Busy,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// One memory area per running hash, handed back after each use.
type Memory = Box<[Block]>;

pub struct HashingQueue {
    running: Arc<Semaphore>,
    /// Running plus waiting; admission stops at `capacity`.
    admitted: Arc<AtomicUsize>,
    capacity: usize,
    memory: Arc<Mutex<Vec<Memory>>>,
}

impl HashingQueue {
    /// `slots` hashes at once, `waiting` more queued behind them.
    pub fn new(slots: usize, waiting: usize) -> Self {
        let slots = slots.max(1);
        Self {
            running: Arc::new(Semaphore::new(slots)),
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: slots + waiting,
            memory: Arc::default(),
        }
    }

    /// One slot per core (more would only queue inside the OS), eight waiters per slot:
    /// with ~50 ms per hash a waiter is served within about half a second.
    pub fn sized_to_the_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, cores * 8)
    }

    /// An argon2id PHC string for a new password.
    pub async fn hash(&self, password: Password) -> Result<String, HashError> {
        self.run(move |memory| hash_into(memory, password.secret().as_bytes()))
            .await
    }

    /// Whether `password` matches the stored PHC string.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, HashError> {
        self.run(move |memory| verify_with(memory, password.as_bytes(), &stored))
            .await
    }

    /// Spends the time and memory of a verification without an account, so that an unknown
    /// email is answered as slowly as a wrong password.
    pub async fn verify_nothing(&self, password: String) -> Result<(), HashError> {
        self.run(move |memory| hash_into(memory, password.as_bytes()).map(drop))
            .await
    }

    async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut [Block]) -> anyhow::Result<R> + Send + 'static,
    ) -> Result<R, HashError> {
        let admission = Admission::enter(&self.admitted, self.capacity).ok_or(HashError::Busy)?;
        let permit = self
            .running
            .clone()
            .acquire_owned()
            .await
            .context("the hashing semaphore closed")?;
        let pool = self.memory.clone();
        // The permit, the admission and the memory travel with the blocking job, so a
        // client that hangs up mid-hash frees its slot only when the hash is really done.
        let result = tokio::task::spawn_blocking(move || {
            let mut memory = pool
                .lock()
                .ok()
                .and_then(|mut free| free.pop())
                .unwrap_or_else(|| vec![Block::default(); owasp_params().block_count()].into());
            let result = job(&mut memory);
            if let Ok(mut free) = pool.lock() {
                free.push(memory);
            }
            drop((permit, admission));
            result
        })
        .await
        .context("password hashing task")?;
        Ok(result?)
    }
}

/// A place in the queue, given back on drop.
struct Admission(Arc<AtomicUsize>);

impl Admission {
    fn enter(admitted: &Arc<AtomicUsize>, capacity: usize) -> Option<Self> {
        let taken = admitted.fetch_add(1, Ordering::SeqCst);
        let admission = Self(admitted.clone());
        (taken < capacity).then_some(admission)
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn hash_into(memory: &mut [Block], password: &[u8]) -> anyhow::Result<String> {
    let params = owasp_params();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password,
            salt_bytes,
            &mut out,
            &mut memory[..params.block_count()],
        )
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("{e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("{e}"))?),
    };
    Ok(phc.to_string())
}

fn verify_with(memory: &mut [Block], password: &[u8], stored: &str) -> anyhow::Result<bool> {
    let bad = |e: argon2::password_hash::Error| anyhow::anyhow!("stored hash: {e}");
    let parsed = PasswordHash::new(stored).map_err(bad)?;
    let params = Params::try_from(&parsed).map_err(bad)?;
    anyhow::ensure!(
        params.block_count() <= memory.len(),
        "a stored hash asks for more memory than a hashing slot holds"
    );
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(bad)?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?,
        None => Version::default(),
    };
    let salt = parsed.salt.context("stored hash without a salt")?;
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(bad)?;
    let expected = parsed.hash.context("stored hash without an output")?;
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password,
            salt_bytes,
            &mut out,
            &mut memory[..params.block_count()],
        )
        .map_err(|e| anyhow::anyhow!("verifying a password: {e}"))?;
    Ok(out.ct_eq(expected.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let queue = HashingQueue::new(1, 0);
        let password = Password::parse("correct horse battery staple".to_owned()).unwrap();
        let stored = queue.hash(password).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            queue
                .verify("correct horse battery staple".into(), stored.clone())
                .await
                .unwrap()
        );
        assert!(!queue.verify("wrong".into(), stored).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_is_busy() {
        let queue = Arc::new(HashingQueue::new(1, 1));
        let admitted: Vec<_> = (0..2)
            .map(|_| Admission::enter(&queue.admitted, queue.capacity))
            .collect();
        assert!(admitted.iter().all(Option::is_some));
        assert!(matches!(
            queue.verify_nothing("x".into()).await,
            Err(HashError::Busy)
        ));
        drop(admitted);
        assert!(queue.verify_nothing("x".into()).await.is_ok());
    }
}
