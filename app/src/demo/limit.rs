//! Password-guessing throttles for the demo: token buckets per (address, email), per account across addresses,
//! per address across accounts, for sign-up, and for the signed-in password checks.
//!
//! An attempt spends a token from every bucket it touches and is refused, spending nothing, when any is empty. A
//! correct password gives its tokens back, so only wrong guesses (and refused sign-ups) use up an allowance, and
//! the account's owner is never slowed by their own successful sign-ins.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A token bucket's shape: `burst` attempts at once, then one more every `every`.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub burst: u32,
    pub every: Duration,
}

/// The limits the demo applies; [`Limits::default`] is what it serves with (see the README's security section).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// One email from one address: the classic online guess.
    pub pair: Rule,
    /// One email from browsers that have not signed in to it before, whatever their address (a botnet).
    pub account: Rule,
    /// One address (an IPv6 /64) across emails: password spraying.
    pub address: Rule,
    /// Sign-ups from one address (each one hashes a password and tells whether an email is taken).
    pub sign_up: Rule,
    /// Password checks of a signed-in user (confirm, change): a stolen cookie must not become a guessing oracle.
    pub reauth: Rule,
}

impl Default for Limits {
    fn default() -> Self {
        let rule = |burst, secs| Rule { burst, every: Duration::from_secs(secs) };
        Self {
            pair: rule(5, 12),
            account: rule(10, 60),
            address: rule(20, 15),
            sign_up: rule(10, 60),
            reauth: rule(5, 60),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Pair(IpAddr, String),
    Account(String),
    Address(IpAddr),
    SignUp(IpAddr),
    Reauth(String),
}

/// Why an attempt was refused: the trail's failure reason and when to come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    pub reason: &'static str,
    pub retry_after: Duration,
}

/// The tokens one attempt spent; [`Throttle::refund`] gives them back when the password was right.
#[must_use]
#[derive(Debug)]
pub struct Ticket(Vec<Key>);

#[derive(Clone)]
pub struct Throttle {
    limits: Limits,
    buckets: Arc<Mutex<HashMap<Key, Bucket>>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets kept before full ones are dropped: a spray of made-up emails must not grow memory without bound.
const MAX_BUCKETS: usize = 100_000;

impl Default for Throttle {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self { limits, buckets: Default::default() }
    }

    /// A sign-in attempt for `identity` (normalized) from `ip`. `known_browser`: this browser's device cookie last
    /// signed in to this very account, so a stranger's guessing cannot lock the owner out of it.
    pub fn sign_in(&self, ip: Option<IpAddr>, identity: &str, known_browser: bool) -> Result<Ticket, Limited> {
        let ip = network(ip);
        let mut keys = vec![
            (Key::Pair(ip, identity.to_owned()), self.limits.pair, "rate_limited"),
            (Key::Address(ip), self.limits.address, "address_rate_limited"),
        ];
        if !known_browser {
            keys.push((Key::Account(identity.to_owned()), self.limits.account, "account_rate_limited"));
        }
        self.take(keys)
    }

    pub fn sign_up(&self, ip: Option<IpAddr>) -> Result<Ticket, Limited> {
        self.take(vec![(Key::SignUp(network(ip)), self.limits.sign_up, "address_rate_limited")])
    }

    /// A signed-in user's password check (confirming it, changing it).
    pub fn reauth(&self, ip: Option<IpAddr>, user_id: &str) -> Result<Ticket, Limited> {
        self.take(vec![
            (Key::Reauth(user_id.to_owned()), self.limits.reauth, "account_rate_limited"),
            (Key::Address(network(ip)), self.limits.address, "address_rate_limited"),
        ])
    }

    /// Gives an attempt's tokens back: the password was right, or it was never checked.
    pub fn refund(&self, ticket: Ticket) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        for key in ticket.0 {
            if let Some(bucket) = buckets.get_mut(&key) {
                bucket.tokens += 1.0;
            }
        }
    }

    fn take(&self, keys: Vec<(Key, Rule, &'static str)>) -> Result<Ticket, Limited> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            let limits = self.limits;
            buckets.retain(|key, bucket| bucket.refill(limits.rule(key), now) < f64::from(limits.rule(key).burst));
        }
        // Every bucket must have a token before any is spent, so a refusal costs the other buckets nothing.
        for (key, rule, reason) in &keys {
            let tokens = buckets.get_mut(key).map_or(f64::from(rule.burst), |b| b.refill(*rule, now));
            if tokens < 1.0 {
                let retry_after = rule.every.mul_f64(1.0 - tokens).max(Duration::from_secs(1));
                return Err(Limited { reason, retry_after });
            }
        }
        for (key, rule, _) in &keys {
            let bucket = buckets.entry(key.clone()).or_insert(Bucket { tokens: f64::from(rule.burst), at: now });
            bucket.tokens -= 1.0;
        }
        Ok(Ticket(keys.into_iter().map(|(key, ..)| key).collect()))
    }
}

impl Limits {
    fn rule(&self, key: &Key) -> Rule {
        match key {
            Key::Pair(..) => self.pair,
            Key::Account(_) => self.account,
            Key::Address(_) => self.address,
            Key::SignUp(_) => self.sign_up,
            Key::Reauth(_) => self.reauth,
        }
    }
}

impl Bucket {
    /// Adds the tokens earned since the last look (up to the burst) and returns the balance.
    fn refill(&mut self, rule: Rule, now: Instant) -> f64 {
        let earned = now.duration_since(self.at).as_secs_f64() / rule.every.as_secs_f64().max(f64::EPSILON);
        self.tokens = (self.tokens + earned).min(f64::from(rule.burst));
        self.at = now;
        self.tokens
    }
}

/// An IPv6 client controls a whole /64, so that is one address here; IPv4-mapped addresses count as IPv4.
fn network(ip: Option<IpAddr>) -> IpAddr {
    match ip {
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        Some(v4) => v4,
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn one_account_from_many_addresses_is_slowed_but_its_own_browser_gets_in() {
        let throttle = Throttle::default();
        let allowed = (0..40).filter(|n| throttle.sign_in(ip(&format!("10.0.0.{n}")), "ana@x", false).is_ok()).count();
        assert_eq!(allowed, 10);
        let refused = throttle.sign_in(ip("10.0.1.1"), "ana@x", false).unwrap_err();
        assert_eq!(refused.reason, "account_rate_limited");
        assert!(refused.retry_after >= Duration::from_secs(1));
        // The owner's browser (its device cookie last signed in to this account) is not locked out.
        assert!(throttle.sign_in(ip("192.0.2.1"), "ana@x", true).is_ok());
    }

    #[test]
    fn one_address_spraying_many_accounts_is_stopped() {
        let throttle = Throttle::default();
        let allowed = (0..40).filter(|n| throttle.sign_in(ip("198.51.100.7"), &format!("u{n}@x"), false).is_ok());
        assert_eq!(allowed.count(), 20);
        assert_eq!(throttle.sign_in(ip("198.51.100.7"), "new@x", true).unwrap_err().reason, "address_rate_limited");
        // One IPv6 client owns its /64: rotating the interface bits does not reset its allowance.
        for n in 0..20 {
            assert!(throttle.sign_in(ip(&format!("2001:db8:1:2::{n:x}")), &format!("v{n}@x"), false).is_ok());
        }
        assert!(throttle.sign_in(ip("2001:db8:1:2:ffff::1"), "w@x", false).is_err());
        assert!(throttle.sign_in(ip("2001:db8:1:3::1"), "w@x", false).is_ok());
    }

    #[test]
    fn the_classic_guess_and_a_refusal_that_spends_nothing() {
        let throttle = Throttle::default();
        for _ in 0..5 {
            assert!(throttle.sign_in(ip("203.0.113.9"), "bo@x", false).is_ok());
        }
        assert_eq!(throttle.sign_in(ip("203.0.113.9"), "bo@x", false).unwrap_err().reason, "rate_limited");
        // The refused attempt took nothing from the address or the account: both still have their allowance.
        assert!(throttle.sign_in(ip("203.0.113.9"), "other@x", false).is_ok());
    }

    #[test]
    fn right_passwords_give_their_tokens_back() {
        let throttle = Throttle::default();
        for _ in 0..50 {
            let ticket = throttle.sign_in(ip("203.0.113.10"), "cy@x", false).unwrap();
            throttle.refund(ticket);
            let ticket = throttle.reauth(ip("203.0.113.10"), "user-1").unwrap();
            throttle.refund(ticket);
        }
        let refused = (0..6).filter(|_| throttle.reauth(ip("203.0.113.10"), "user-1").is_err()).count();
        assert_eq!(refused, 1, "five wrong confirmations, then a refusal");
    }

    #[test]
    fn sign_ups_from_one_address_are_throttled() {
        let throttle = Throttle::default();
        let allowed = (0..30).filter(|_| throttle.sign_up(ip("203.0.113.11")).is_ok()).count();
        assert_eq!(allowed, 10);
        assert!(throttle.sign_up(ip("203.0.113.12")).is_ok());
    }
}
