//! Login and registration throttling that protects accounts without handing an attacker a
//! way to lock their owners out (OWASP Authentication Cheat Sheet, "Login Throttling";
//! OWASP "Slow Down Online Guessing Attacks with Device Cookies").
//!
//! - Failures count, successes do not: a login reserves one attempt and gives it back when
//!   the password was right.
//! - A browser that logged in to an account before carries a device cookie, an HMAC (keyed
//!   with the deployment's cookie secret) of the store, the customer and a random nonce.
//!   Its attempts count against that device only, so guesses from elsewhere cannot lock
//!   it out. Attempts without a valid device cookie count against the account.
//! - Every address is limited too, and registrations per address.
//!
//! Memory is bounded whatever is sent: keys are SHA-256 digests (never the raw email), and
//! each map holds at most `CAPACITY` entries. Counters live in each node's memory: with N
//! nodes an attacker gets at most N times the quota, still far below a useful guessing
//! rate, without a database write per attempt. When a map is full of live windows the
//! oldest is dropped; resetting a victim's counter that way takes `CAPACITY` fresh
//! failures within one window, which the per-address limit spreads over thousands of
//! addresses.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::signed::SignedValues;
use crate::domain::{CustomerId, StoreId};

/// Entries per counter map: about 80 bytes each, so a few MiB at most.
const CAPACITY: usize = 50_000;

/// A counter's key: fixed size whatever the input.
type Key = [u8; 32];

fn key(parts: &[&[u8]]) -> Key {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

struct Window {
    started: Instant,
    count: u32,
}

/// Fixed-window counters with a cap on how many keys are kept.
struct Counters {
    limit: u32,
    window: Duration,
    entries: Mutex<HashMap<Key, Window>>,
}

impl Counters {
    fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            entries: Mutex::default(),
        }
    }

    /// Counts one use of `key`; false (and nothing counted) when its quota is spent.
    fn take(&self, key: Key) -> bool {
        let now = Instant::now();
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        if !entries.contains_key(&key) && entries.len() >= CAPACITY {
            let window = self.window;
            entries.retain(|_, w| now.duration_since(w.started) < window);
            if entries.len() >= CAPACITY
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, w)| w.started)
                    .map(|(k, _)| *k)
            {
                entries.remove(&oldest);
            }
        }
        let entry = entries.entry(key).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(entry.started) >= self.window {
            *entry = Window {
                started: now,
                count: 0,
            };
        }
        if entry.count >= self.limit {
            return false;
        }
        entry.count += 1;
        true
    }

    /// Gives back one use taken by `take` (a login that succeeded).
    fn give_back(&self, key: Key) {
        if let Ok(mut entries) = self.entries.lock()
            && let Some(entry) = entries.get_mut(&key)
        {
            entry.count = entry.count.saturating_sub(1);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }
}

/// Whose lockout a login attempt counts against.
#[derive(Clone, Copy)]
pub enum LoginSubject {
    /// A browser with a valid device cookie for the account.
    Device(Key),
    /// Anyone else trying the account.
    Account(Key),
}

impl LoginSubject {
    /// The account as typed: store plus normalised email, hashed.
    pub fn account(store: &StoreId, email: &str) -> Self {
        let email = email.trim().to_lowercase();
        Self::Account(key(&[
            b"account",
            store.as_str().as_bytes(),
            email.as_bytes(),
        ]))
    }
}

/// A login attempt counted against its subject and address until `give_back` returns it.
#[must_use]
pub struct LoginAttempt<'a> {
    limits: &'a RateLimits,
    subject: LoginSubject,
    address: Key,
}

impl LoginAttempt<'_> {
    /// The password was right (or was never checked): the attempt costs nothing.
    pub fn give_back(self) {
        self.limits.per_address.give_back(self.address);
        match self.subject {
            LoginSubject::Device(k) => self.limits.per_device.give_back(k),
            LoginSubject::Account(k) => self.limits.per_account.give_back(k),
        }
    }
}

pub struct RateLimits {
    /// Failed logins per account from browsers it does not know.
    per_account: Counters,
    /// Failed logins per known browser (device cookie).
    per_device: Counters,
    /// Failed logins per client address: slows spraying many accounts from one place.
    per_address: Counters,
    /// Registrations per client address.
    registrations: Counters,
    devices: SignedValues,
}

impl RateLimits {
    /// `cookie_secret` keys the device cookies, so every node accepts the others'.
    pub fn new(cookie_secret: &[u8]) -> Self {
        Self {
            per_account: Counters::new(5, Duration::from_secs(5 * 60)),
            per_device: Counters::new(5, Duration::from_secs(5 * 60)),
            per_address: Counters::new(30, Duration::from_secs(60)),
            registrations: Counters::new(10, Duration::from_secs(10 * 60)),
            devices: SignedValues::new(cookie_secret),
        }
    }

    /// Reserves one login attempt; `None` when the address or the subject is throttled.
    pub fn begin_login(&self, subject: LoginSubject, address: &str) -> Option<LoginAttempt<'_>> {
        let address = key(&[b"address", address.as_bytes()]);
        if !self.per_address.take(address) {
            return None;
        }
        let allowed = match subject {
            LoginSubject::Device(k) => self.per_device.take(k),
            LoginSubject::Account(k) => self.per_account.take(k),
        };
        if !allowed {
            self.per_address.give_back(address);
            return None;
        }
        Some(LoginAttempt {
            limits: self,
            subject,
            address,
        })
    }

    /// Counts one registration from `address`; false when its quota is spent.
    pub fn allow_registration(&self, address: &str) -> bool {
        self.registrations
            .take(key(&[b"registration", address.as_bytes()]))
    }

    /// A new device cookie value for this browser and account.
    pub fn issue_device(&self, store: &StoreId, customer: CustomerId) -> String {
        self.devices
            .issue(DEVICE, &[store.as_str(), &customer.to_string()])
    }

    /// The device subject when `cookie` is a device cookie this deployment issued for
    /// this store and customer.
    pub fn known_device(
        &self,
        store: &StoreId,
        customer: CustomerId,
        cookie: &str,
    ) -> Option<LoginSubject> {
        self.devices
            .verify(DEVICE, &[store.as_str(), &customer.to_string()], cookie)
            .then(|| LoginSubject::Device(key(&[b"device", cookie.as_bytes()])))
    }
}

const DEVICE: &str = "device cookie";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_maps_stay_capped_whatever_the_keys() {
        let counters = Counters::new(5, Duration::from_secs(60));
        for n in 0..(CAPACITY + 1_000) {
            assert!(counters.take(key(&[&n.to_be_bytes()])));
        }
        assert_eq!(counters.len(), CAPACITY);
    }

    #[test]
    fn a_device_cookie_is_valid_only_for_its_store_and_customer() {
        let limits = RateLimits::new(&[7u8; 96]);
        let site1 = StoreId::parse("site1").unwrap();
        let site2 = StoreId::parse("site2").unwrap();
        let alice = CustomerId::new_random();
        let cookie = limits.issue_device(&site1, alice);
        assert!(limits.known_device(&site1, alice, &cookie).is_some());
        assert!(limits.known_device(&site2, alice, &cookie).is_none());
        assert!(
            limits
                .known_device(&site1, CustomerId::new_random(), &cookie)
                .is_none()
        );
        let forged = format!("{}x", cookie);
        assert!(limits.known_device(&site1, alice, &forged).is_none());
        let other_deployment = RateLimits::new(&[8u8; 96]);
        assert!(
            other_deployment
                .known_device(&site1, alice, &cookie)
                .is_none()
        );
    }

    #[test]
    fn failures_of_a_known_device_and_of_the_account_are_counted_apart() {
        let limits = RateLimits::new(&[7u8; 96]);
        let site1 = StoreId::parse("site1").unwrap();
        let alice = CustomerId::new_random();
        let cookie = limits.issue_device(&site1, alice);
        let device = limits.known_device(&site1, alice, &cookie).unwrap();
        let account = LoginSubject::account(&site1, "alice@example.com");
        for n in 0..5 {
            let _failed = limits
                .begin_login(account, &format!("guesser {n}"))
                .unwrap();
        }
        assert!(limits.begin_login(account, "guesser 9").is_none());
        for _ in 0..5 {
            let _failed = limits.begin_login(device, "home").unwrap();
        }
        assert!(
            limits.begin_login(device, "home").is_none(),
            "a device that guesses is locked out by itself"
        );
    }

    #[test]
    fn a_spent_quota_refuses_and_a_given_back_attempt_is_free() {
        let limits = RateLimits::new(&[7u8; 96]);
        let site1 = StoreId::parse("site1").unwrap();
        let account = LoginSubject::account(&site1, "Alice@Example.com ");
        for _ in 0..3 {
            limits.begin_login(account, "a").unwrap().give_back();
        }
        for _ in 0..5 {
            let _failed = limits.begin_login(account, "a").unwrap();
        }
        assert!(
            limits
                .begin_login(LoginSubject::account(&site1, "alice@example.com"), "b")
                .is_none()
        );
    }
}
