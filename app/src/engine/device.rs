//! Device fields from the user agent, parsed once at sign-in and stored on the row (never per request).

/// User agents are stored and parsed up to this many characters; longer input is cut, never rejected.
pub const MAX_USER_AGENT_CHARS: usize = 1024;

/// What a user agent says about the device. Missing parts stay `None` rather than guessed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    pub browser_name: Option<String>,
    /// Major version only.
    pub browser_version: Option<String>,
    pub os_name: Option<String>,
    /// Only when the user agent carries a real one (frozen values such as "Mac OS X 10_15_7" are dropped).
    pub os_version: Option<String>,
    /// desktop, smartphone, tablet, bot or unknown.
    pub device_type: &'static str,
}

impl DeviceInfo {
    pub fn parse(user_agent: &str) -> Self {
        let ua = truncate(user_agent);
        let Some(r) = woothee::parser::Parser::new().parse(ua) else {
            return Self::unknown();
        };
        if r.name == woothee::woothee::VALUE_UNKNOWN && r.os == woothee::woothee::VALUE_UNKNOWN {
            return Self::unknown();
        }
        let known = |s: &str| (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_owned());
        let (os_name, os_version) = os(r.os, &r.os_version);
        let tablet = r.os == "iPad" || (r.os == "Android" && !ua.contains("Mobile"));
        let device_type = match r.category {
            "crawler" => "bot",
            "pc" => "desktop",
            "smartphone" | "mobilephone" if tablet => "tablet",
            "smartphone" | "mobilephone" => "smartphone",
            _ => "unknown",
        };
        let browser_version = known(r.version)
            .and_then(|v| v.split('.').next().map(str::to_owned))
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        Self { browser_name: known(r.name), browser_version, os_name, os_version, device_type }
    }

    pub(crate) fn unknown() -> Self {
        Self { device_type: "unknown", ..Self::default() }
    }
}

/// Cuts a user agent to [`MAX_USER_AGENT_CHARS`] characters on a character boundary.
pub fn truncate(user_agent: &str) -> &str {
    match user_agent.char_indices().nth(MAX_USER_AGENT_CHARS) {
        Some((at, _)) => &user_agent[..at],
        None => user_agent,
    }
}

fn os(name: &str, version: &str) -> (Option<String>, Option<String>) {
    let real = |v: &str| {
        (!v.is_empty() && v != woothee::woothee::VALUE_UNKNOWN && v.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .then(|| v.replace('_', "."))
    };
    match name {
        // Browsers froze these tokens, so the version they carry is not the real one.
        "Mac OSX" => (Some("macOS".into()), None),
        "Windows 10" => (Some("Windows".into()), None),
        n if n.starts_with("Windows ") => (Some("Windows".into()), Some(n["Windows ".len()..].to_owned())),
        "iPhone" | "iPod" | "iOS" => (Some("iOS".into()), real(version)),
        "iPad" => (Some("iPadOS".into()), real(version)),
        "Android" => (Some("Android".into()), None),
        "ChromeOS" => (Some("ChromeOS".into()), None),
        n if n.is_empty() || n == woothee::woothee::VALUE_UNKNOWN => (None, None),
        n => (Some(n.to_owned()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(ua: &str) -> (Option<String>, Option<String>, Option<String>, &'static str) {
        let d = DeviceInfo::parse(ua);
        (d.browser_name, d.browser_version, d.os_name, d.device_type)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn common_browsers() {
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36";
        assert_eq!(parse(mac), (s("Chrome"), s("137"), s("macOS"), "desktop"));
        let win = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0";
        assert_eq!(parse(win), (s("Firefox"), s("139"), s("Windows"), "desktop"));
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";
        assert_eq!(parse(iphone), (s("Safari"), s("18"), s("iOS"), "smartphone"));
        assert_eq!(DeviceInfo::parse(iphone).os_version, s("18.5"));
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
        assert_eq!(parse(ipad).3, "tablet");
        let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        assert_eq!(parse(bot).3, "bot");
    }

    #[test]
    fn empty_garbage_and_huge_input_are_unknown_devices() {
        assert_eq!(parse(""), (None, None, None, "unknown"));
        assert_eq!(parse("\u{0}\u{1}💥 not a browser"), (None, None, None, "unknown"));
        let huge = "A".repeat(10 * 1024);
        assert_eq!(parse(&huge).3, "unknown");
        assert_eq!(truncate(&huge).len(), MAX_USER_AGENT_CHARS);
        let multibyte = "é".repeat(2000);
        assert_eq!(truncate(&multibyte).chars().count(), MAX_USER_AGENT_CHARS);
    }
}
