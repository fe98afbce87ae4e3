//! Session tokens: 256 random bits in a signed cookie; only their SHA-256 digest reaches the database.

use cookie::{Cookie, CookieJar, Key, SameSite};
use sha2::{Digest, Sha256};

use super::Config;

/// How long a browser may keep a session cookie when no absolute timeout is set: Chrome's own ceiling for any
/// cookie. The row in the registry decides whether the cookie still works; this only keeps the browser from
/// dropping it while the session is alive.
pub(crate) const LONGEST_COOKIE: std::time::Duration = std::time::Duration::from_secs(400 * 24 * 3600);

/// A raw session token. It only ever lives in the cookie; `Debug` hides it so it cannot end up in logs.
pub(crate) struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self(hex(&bytes))
    }

    pub(crate) fn digest(&self) -> String {
        digest(&self.0)
    }

    /// The cookie carrying this token, signed with the configured key, for a session starting now.
    pub(crate) fn cookie(&self, config: &Config) -> Cookie<'static> {
        signed_cookie(config, &config.cookie_name, &self.0, lifetime(config.cookie_lifetime()))
    }
}

/// The session cookie as the browser sent it (already signed), given `remaining` more life: the layer re-issues
/// it with the throttled touch, so an active session never outlives its cookie.
pub(crate) fn refreshed_cookie(config: &Config, presented: &str, remaining: std::time::Duration) -> Cookie<'static> {
    attributes(config, Cookie::build((config.cookie_name.clone(), presented.to_owned())), lifetime(remaining))
}

fn lifetime(duration: std::time::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
}

/// A signed, `HttpOnly`, `SameSite=Lax`, site-wide cookie (Secure per configuration).
fn signed_cookie(config: &Config, name: &str, value: &str, lifetime: cookie::time::Duration) -> Cookie<'static> {
    let mut jar = CookieJar::new();
    jar.signed_mut(&config.key).add(Cookie::new(name.to_owned(), value.to_owned()));
    let signed = jar.get(name).expect("just added").value().to_owned();
    attributes(config, Cookie::build((name.to_owned(), signed)), lifetime)
}

fn attributes(
    config: &Config,
    cookie: cookie::CookieBuilder<'static>,
    max_age: cookie::time::Duration,
) -> Cookie<'static> {
    cookie.http_only(true).same_site(SameSite::Lax).path("/").secure(config.secure_cookies).max_age(max_age).build()
}

/// The browser-continuity cookie lives for five years and survives sign-out, so one browser stays one device.
const DEVICE_COOKIE_LIFETIME: cookie::time::Duration = cookie::time::Duration::days(5 * 365);

/// The cookie carrying a signed device id.
pub(crate) fn device_cookie(config: &Config, device_id: &str) -> Cookie<'static> {
    signed_cookie(config, &config.device_cookie_name, device_id, DEVICE_COOKIE_LIFETIME)
}

/// The device id from a correctly signed device cookie (a UUID), if any.
pub(crate) fn read_device_id(headers: &http::HeaderMap, config: &Config) -> Option<String> {
    let raw = cookie_value(headers, &config.device_cookie_name)?;
    verify(raw, &config.key, &config.device_cookie_name)
        .and_then(|id| uuid::Uuid::try_parse(&id).ok())
        .map(|id| id.hyphenated().to_string())
}

/// The cookie that removes the session cookie.
pub(crate) fn removal_cookie(config: &Config) -> Cookie<'static> {
    attributes(config, Cookie::build((config.cookie_name.clone(), "")), cookie::time::Duration::ZERO)
}

/// What a session cookie turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Presented {
    /// Present but unsigned, tampered with or malformed: treated as signed out without a database lookup.
    Invalid,
    /// A correctly signed token; the value is its digest.
    Digest(String),
}

/// The session cookie's value as sent (the last one when repeated), borrowed from the header.
pub(crate) fn session_cookie<'h>(headers: &'h http::HeaderMap, config: &Config) -> Option<&'h str> {
    cookie_value(headers, &config.cookie_name)
}

/// Checks a session cookie's signature and shape; a good one yields the token's digest.
pub(crate) fn check(raw: &str, config: &Config) -> Presented {
    verify(raw, &config.key, &config.cookie_name)
        .filter(|token| token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|token| Presented::Digest(digest(&token)))
        .unwrap_or(Presented::Invalid)
}

#[cfg(test)]
fn read(headers: &http::HeaderMap, config: &Config) -> Option<Presented> {
    session_cookie(headers, config).map(|raw| check(raw, config))
}

fn cookie_value<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(n, _)| n.trim() == name)
        .map(|(_, value)| value.trim())
        // The last one wins when a name repeats.
        .next_back()
}

fn verify(raw: &str, key: &Key, name: &str) -> Option<String> {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::new(name.to_owned(), raw.to_owned()));
    jar.signed(key).get(name).map(|c| c.value().to_owned())
}

fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hex. Runs on every request (the digest), so without the formatting machinery.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_padded() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    fn config() -> Config {
        Config::new([7u8; 32]).unwrap()
    }

    fn headers(cookie: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::COOKIE, cookie.parse().unwrap());
        h
    }

    fn cookie_pair(set_cookie: &str) -> String {
        set_cookie.split(';').next().unwrap().to_owned()
    }

    #[test]
    fn a_signed_cookie_round_trips_to_the_digest() {
        let token = Token::generate();
        let set = token.cookie(&config()).to_string();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
        assert!(set.contains("Secure"));
        let value = cookie_pair(&set).split_once('=').unwrap().1.to_owned();
        assert!(value.len() > token.0.len() && value.ends_with(&token.0), "the token travels with its MAC");
        assert_eq!(read(&headers(&cookie_pair(&set)), &config()), Some(Presented::Digest(token.digest())));
        // Among other cookies, with spaces, and after a stale copy of itself: the last one counts.
        let name = &config().cookie_name;
        let crowded = format!("theme=dark;  {name}=stale ; other=1; {} ", cookie_pair(&set));
        assert_eq!(read(&headers(&crowded), &config()), Some(Presented::Digest(token.digest())));
    }

    #[test]
    fn secure_cookies_use_host_prefixed_names() {
        let set = Token::generate().cookie(&config()).to_string();
        assert!(set.starts_with("__Host-session=") && set.contains("Secure") && set.contains("Path=/"));
        assert!(!set.contains("Domain"));
        let plain = Config::new([7u8; 32]).unwrap().secure_cookies(false);
        let set = Token::generate().cookie(&plain).to_string();
        assert!(set.starts_with("session=") && !set.contains("Secure"));
        assert!(device_cookie(&plain, "x").to_string().starts_with("device_id="));
    }

    #[test]
    fn tokens_are_256_bit_and_unique() {
        let (a, b) = (Token::generate(), Token::generate());
        assert_eq!(a.0.len(), 64);
        assert_ne!(a.0, b.0);
        assert_eq!(format!("{a:?}"), "Token(..)");
    }

    #[test]
    fn tampered_foreign_and_garbage_cookies_are_invalid() {
        let set = Token::generate().cookie(&config()).to_string();
        let pair = cookie_pair(&set);
        let mut tampered = pair.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == '0' { '1' } else { '0' });
        assert_eq!(read(&headers(&tampered), &config()), Some(Presented::Invalid));

        let other_key = Config::new([9u8; 32]).unwrap();
        assert_eq!(read(&headers(&pair), &other_key), Some(Presented::Invalid));

        for garbage in [
            "__Host-session=",
            "__Host-session=%%%",
            "__Host-session=abc",
            &format!("__Host-session={}", "x".repeat(5000)),
        ] {
            assert_eq!(read(&headers(garbage), &config()), Some(Presented::Invalid), "{garbage:.40}");
        }
        assert_eq!(read(&headers("other=1"), &config()), None);
    }

    #[test]
    fn device_ids_are_signed_uuids() {
        let id = uuid::Uuid::new_v4().to_string();
        let set = device_cookie(&config(), &id).to_string();
        assert!(set.starts_with("__Host-device_id=") && set.contains("HttpOnly") && set.contains("SameSite=Lax"));
        assert!(set.contains("Max-Age=157680000"), "five years: {set}");
        assert_eq!(read_device_id(&headers(&cookie_pair(&set)), &config()), Some(id.clone()));
        assert_eq!(read_device_id(&headers(&format!("__Host-device_id={id}")), &config()), None, "unsigned");
        let forged = device_cookie(&Config::new([9u8; 32]).unwrap(), &id).to_string();
        assert_eq!(read_device_id(&headers(&cookie_pair(&forged)), &config()), None, "signed by another key");
        let not_uuid = device_cookie(&config(), "not-a-uuid").to_string();
        assert_eq!(read_device_id(&headers(&cookie_pair(&not_uuid)), &config()), None);
        assert_eq!(read(&http::HeaderMap::new(), &config()), None);
    }
}
