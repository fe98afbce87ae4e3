//! Sign-in throttling for the demo: a keyed token bucket (governor) per client IP and typed identity.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::engine::{normalize_identity, RequestMeta};

/// Five attempts at once, then one more every 12 seconds, per (IP, identity).
#[derive(Clone)]
pub struct SignInLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<(IpAddr, String)>>,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(5).expect("non-zero"));
        Self { limiter: Arc::new(RateLimiter::keyed(quota)) }
    }
}

impl SignInLimiter {
    /// Spends one attempt; false when the bucket is empty.
    pub fn allow(&self, meta: &RequestMeta, identity: &str) -> bool {
        let ip = meta.ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let key = (ip, normalize_identity(identity).unwrap_or_default());
        // Keep memory bounded under a spray of identities.
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key).is_ok()
    }
}
