//! Login throttling. Counters live in each node's memory: with N nodes an attacker gets at
//! most N times the quota, which still caps online guessing far below a useful rate.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota};

pub struct RateLimits {
    /// Per (store, account email): slows guessing one customer's password.
    per_account: DefaultKeyedRateLimiter<String>,
    /// Per client IP address: slows spraying many accounts from one place.
    per_address: DefaultKeyedRateLimiter<String>,
}

impl Default for RateLimits {
    fn default() -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            per_account: governor::RateLimiter::keyed(per_minute(5)),
            per_address: governor::RateLimiter::keyed(per_minute(30)),
        }
    }
}

impl RateLimits {
    /// Counts one login attempt; false when either quota is spent.
    pub fn allow_login(&self, account: &str, address: &str) -> bool {
        let address_ok = self.per_address.check_key(&address.to_owned()).is_ok();
        let account_ok = self.per_account.check_key(&account.to_owned()).is_ok();
        address_ok && account_ok
    }
}
