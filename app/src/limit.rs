//! Password-guessing throttles for the demo: token buckets per (address, email), per account across addresses,
//! per address across accounts, for sign-up, and for the signed-in password checks.
//!
//! An attempt spends a token from every bucket it touches and is refused, spending nothing, when any is empty. A
//! correct password gives its tokens back, so only wrong guesses use up a sign-in allowance, and the account's
//! owner is never slowed by their own successful sign-ins. Sign-ups are never given back: each one creates an
//! account. And no address may hold more than two of the few password-hashing slots at once, so one client cannot
//! keep everybody else's sign-in waiting.

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

impl Rule {
    /// `"10/1h"`: ten at once, and ten more per hour (one every six minutes). Units: s, m, h, d.
    pub fn parse(text: &str) -> Result<Self, String> {
        let message = || format!("{text:?} is not a rate such as 10/1h");
        let (burst, period) = text.split_once('/').ok_or_else(message)?;
        let burst: u32 = burst.trim().parse().map_err(|_| message())?;
        let period = period.trim();
        let (number, unit) = period.split_at(period.find(|c: char| !c.is_ascii_digit()).unwrap_or(period.len()));
        let seconds: u64 = number.parse().map_err(|_| message())?;
        let unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(message()),
        };
        if burst == 0 || seconds == 0 {
            return Err(message());
        }
        Ok(Self { burst, every: Duration::from_secs(seconds * unit) / burst })
    }
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
    /// Sign-ups from one address, successful or not (each hashes a password, adds an account or tells whether an
    /// email is taken).
    pub sign_up: Rule,
    /// Password checks of one signed-in session (confirm, change): a stolen cookie must not become a guessing
    /// oracle, and, being per session, a thief's wrong guesses cannot lock the owner out of their own checks.
    pub reauth: Rule,
    /// The same checks across all of one user's sessions: a looser ceiling for a thief holding many cookies.
    pub reauth_user: Rule,
    /// Password hashes one address (an IPv6 /64) may have running or queued at once.
    pub hashing_per_address: u32,
}

impl Default for Limits {
    fn default() -> Self {
        let rule = |burst, secs| Rule { burst, every: Duration::from_secs(secs) };
        Self {
            pair: rule(5, 12),
            account: rule(10, 60),
            address: rule(20, 15),
            sign_up: rule(10, 360),
            reauth: rule(5, 60),
            reauth_user: rule(20, 30),
            hashing_per_address: 2,
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
    ReauthUser(String),
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
    hashing: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

/// One of an address's password-hashing slots; dropping it frees the slot.
#[must_use]
pub struct HashingSlot {
    ip: IpAddr,
    hashing: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl Drop for HashingSlot {
    fn drop(&mut self) {
        let mut hashing = self.hashing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = hashing.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                hashing.remove(&self.ip);
            }
        }
    }
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
        Self { limits, buckets: Default::default(), hashing: Default::default() }
    }

    /// A password-hashing slot for `ip`, or `None` when that address already holds its share of them.
    pub fn hashing_slot(&self, ip: Option<IpAddr>) -> Option<HashingSlot> {
        let ip = network(ip);
        let mut hashing = self.hashing.lock().unwrap_or_else(|e| e.into_inner());
        let held = hashing.entry(ip).or_insert(0);
        if *held >= self.limits.hashing_per_address {
            return None;
        }
        *held += 1;
        Some(HashingSlot { ip, hashing: self.hashing.clone() })
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

    /// A signed-in session's password check (confirming it, changing it).
    pub fn reauth(&self, ip: Option<IpAddr>, user_id: &str, session_id: &str) -> Result<Ticket, Limited> {
        self.take(vec![
            (Key::Reauth(session_id.to_owned()), self.limits.reauth, "session_rate_limited"),
            (Key::ReauthUser(user_id.to_owned()), self.limits.reauth_user, "account_rate_limited"),
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
            evict(&mut buckets, self.limits, now);
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
            Key::ReauthUser(_) => self.reauth_user,
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

/// Makes room: full buckets say nothing, so they go first; if a flood of addresses left none full, the half used
/// least recently goes too. Runs once per `MAX_BUCKETS / 2` new keys at most, never on every attempt.
fn evict(buckets: &mut HashMap<Key, Bucket>, limits: Limits, now: Instant) {
    buckets.retain(|key, bucket| bucket.refill(limits.rule(key), now) < f64::from(limits.rule(key).burst));
    if buckets.len() > MAX_BUCKETS / 2 {
        let mut ages: Vec<Instant> = buckets.values().map(|b| b.at).collect();
        let middle = ages.len() / 2;
        let (_, cutoff, _) = ages.select_nth_unstable(middle);
        let cutoff = *cutoff;
        buckets.retain(|_, bucket| bucket.at > cutoff);
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
            let ticket = throttle.reauth(ip("203.0.113.10"), "user-1", "session-1").unwrap();
            throttle.refund(ticket);
        }
        let refused = (0..6).filter(|_| throttle.reauth(ip("203.0.113.10"), "user-1", "session-1").is_err()).count();
        assert_eq!(refused, 1, "five wrong confirmations, then a refusal");
        // A thief's wrong guesses on their own cookie do not lock the owner's session out of its checks.
        assert!(throttle.reauth(ip("198.51.100.1"), "user-1", "session-2").is_ok());
    }

    #[test]
    fn one_address_holds_at_most_two_hashing_slots() {
        let throttle = Throttle::default();
        let first = throttle.hashing_slot(ip("2001:db8:9::1")).unwrap();
        let _second = throttle.hashing_slot(ip("2001:db8:9::2")).unwrap();
        assert!(throttle.hashing_slot(ip("2001:db8:9::3")).is_none(), "same /64");
        assert!(throttle.hashing_slot(ip("2001:db8:a::1")).is_some());
        drop(first);
        assert!(throttle.hashing_slot(ip("2001:db8:9::3")).is_some());
    }

    #[test]
    fn a_flood_of_addresses_keeps_the_map_bounded() {
        let throttle = Throttle::default();
        for n in 0..(MAX_BUCKETS as u32 + 10) {
            let addr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, (n >> 16) as u16, n as u16, 0, 0, 0, 1));
            // Each spends a token, so no bucket is full and "drop the full ones" alone would free nothing.
            assert!(throttle.sign_up(Some(addr)).is_ok());
        }
        assert!(throttle.buckets.lock().unwrap().len() <= MAX_BUCKETS / 2 + 10);
    }

    #[test]
    fn sign_ups_from_one_address_are_throttled() {
        let throttle = Throttle::default();
        let allowed = (0..30).filter(|_| throttle.sign_up(ip("203.0.113.11")).is_ok()).count();
        assert_eq!(allowed, 10);
        assert!(throttle.sign_up(ip("203.0.113.12")).is_ok());
    }

    #[test]
    fn limits_read_from_a_setting() {
        assert_eq!(Rule::parse("10/1h").unwrap().every, Duration::from_secs(360));
        assert_eq!(Rule::parse(" 1000 / 1m ").unwrap().burst, 1000);
        for bad in ["", "10", "0/1h", "10/0s", "x/1h", "10/1w"] {
            assert!(Rule::parse(bad).is_err(), "{bad:?}");
        }
    }
}
