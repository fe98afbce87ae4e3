//! The web parser: uap-core's rules (vendored in `data/`, Apache-2.0) through the `ua-parser` crate, with
//! corrections for what browsers freeze or fake in their user agents.

use std::sync::LazyLock;

use super::DeviceInfo;

static UAP: LazyLock<ua_parser::Extractor<'static>> = LazyLock::new(|| {
    let regexes: ua_parser::Regexes<'static> =
        serde_json::from_str(include_str!("../../../data/uap-regexes.json")).expect("vendored uap-core regexes parse");
    ua_parser::Extractor::try_from(regexes).expect("vendored uap-core regexes compile")
});

/// Compiles the rules now (about 0.2 s) instead of during the first sign-in.
pub fn warm_up() {
    LazyLock::force(&UAP);
}

/// Device models that name no device: generic placeholders and Chrome's reduced "K".
const NO_MODEL: &[&str] =
    &["K", "Generic Smartphone", "Generic Tablet", "Generic Feature Phone", "Smartphone", "Tablet", "Other"];

const DESKTOP_OS: &[&str] =
    &["macOS", "Windows", "Linux", "ChromeOS", "Ubuntu", "Fedora", "Debian", "FreeBSD", "OpenBSD", "NetBSD", "Mint"];

pub(super) fn web(ua: &str) -> DeviceInfo {
    if ua.trim().is_empty() {
        return DeviceInfo::unknown();
    }
    let known = |s: &str| (!s.is_empty() && s != "Other").then(|| s.to_owned());
    let browser = UAP.ua.extract(ua);
    let os = UAP.os.extract(ua);
    let device = UAP.dev.extract(ua);

    let device_family = device.as_ref().map(|d| d.device.to_string()).unwrap_or_default();
    let bot = device_family == "Spider";
    let browser_name = browser.as_ref().and_then(|b| known(&b.family)).map(|f| browser_display(&f).to_owned());
    let browser_version = browser.as_ref().and_then(|b| b.major).filter(|m| is_number(m)).map(str::to_owned);
    let raw_os = os.as_ref().and_then(|o| known(&o.os));
    let ipad = device_family == "iPad";
    let os_name = raw_os.as_deref().map(|o| os_display(o, ipad).to_owned());
    let reduced_android = os_name.as_deref() == Some("Android") && ua.contains("; K)");
    let os_version = match (os_name.as_deref(), os.as_ref()) {
        (Some("iOS" | "iPadOS"), Some(o)) => {
            let v = version(o.major.as_deref(), o.minor.as_deref());
            // Safari 26 and later still say "OS 18_6": the token is frozen, so it no longer names the system.
            let frozen = browser_name.as_deref() == Some("Safari")
                && browser_version.as_deref().and_then(|b| b.parse::<u32>().ok()).unwrap_or(0) >= 26;
            v.filter(|_| !frozen)
        }
        (Some("Android"), Some(o)) if !reduced_android => {
            o.major.as_deref().filter(|m| is_number(m)).map(str::to_owned)
        }
        _ => None,
    };
    let device_model = if os_name.as_deref() == Some("Android") {
        device.as_ref().and_then(|d| d.model.as_deref()).filter(|m| !NO_MODEL.contains(m)).map(str::to_owned)
    } else {
        None
    };
    let device_type = if bot {
        "bot"
    } else {
        match os_name.as_deref() {
            Some("iOS") if ipad => "tablet",
            Some("iPadOS") => "tablet",
            Some("iOS") => "smartphone",
            Some("Android") if ua.contains("Mobile") => "smartphone",
            Some("Android") => "tablet",
            Some(o) if DESKTOP_OS.contains(&o) => "desktop",
            _ if device_family == "iPhone" => "smartphone",
            _ => "unknown",
        }
    };
    DeviceInfo {
        browser_name,
        browser_version,
        os_name,
        os_version,
        device_type,
        device_model,
        ..DeviceInfo::default()
    }
}

/// uap-core's family names as people say them ("Mobile Safari" is Safari).
pub fn browser_display(family: &str) -> &str {
    match family {
        "Mobile Safari" => "Safari",
        "Chrome Mobile" | "Chrome Mobile iOS" => "Chrome",
        "Chrome Mobile WebView" | "Mobile Safari UI/WKWebView" => "WebView",
        "Firefox Mobile" | "Firefox iOS" => "Firefox",
        "Edge Mobile" => "Edge",
        "Opera Mobile" => "Opera",
        "HeadlessChrome" => "Headless Chrome",
        other => other,
    }
}

/// uap-core's OS names as people say them ("Mac OS X" is macOS; iOS on an iPad is iPadOS).
pub fn os_display(os: &str, ipad: bool) -> &str {
    match os {
        "Mac OS X" => "macOS",
        "Chrome OS" => "ChromeOS",
        "iOS" if ipad => "iPadOS",
        other => other,
    }
}

fn version(major: Option<&str>, minor: Option<&str>) -> Option<String> {
    let major = major.filter(|m| is_number(m))?;
    Some(match minor.filter(|m| is_number(m) && *m != "0") {
        Some(minor) => format!("{major}.{minor}"),
        None => major.to_owned(),
    })
}

pub(crate) fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::super::DeviceInfo;

    fn parse(ua: &str) -> (Option<String>, Option<String>, Option<String>, Option<String>, &'static str) {
        let d = DeviceInfo::parse(ua);
        (d.browser_name, d.browser_version, d.os_name, d.os_version, d.device_type)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn reduced_chrome_user_agents_claim_no_fake_versions_or_models() {
        let win = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36";
        assert_eq!(parse(win), (s("Chrome"), s("137"), s("Windows"), None, "desktop"));
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36";
        assert_eq!(parse(mac), (s("Chrome"), s("137"), s("macOS"), None, "desktop"));
        let android = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36";
        assert_eq!(parse(android), (s("Chrome"), s("137"), s("Android"), None, "smartphone"));
        assert_eq!(DeviceInfo::parse(android).device_model, None, "no 'K' model");
    }

    #[test]
    fn browsers_are_named_as_people_know_them() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.3296.52", "Edge", "137"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 OPR/119.0.0.0", "Opera", "119"),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36", "Samsung Internet", "28"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0", "Firefox", "139"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1", "Safari", "18"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/137.0.0.0 Safari/537.36", "Headless Chrome", "137"),
        ];
        for (ua, name, version) in cases {
            let d = DeviceInfo::parse(ua);
            assert_eq!((d.browser_name.as_deref(), d.browser_version.as_deref()), (Some(name), Some(version)), "{ua}");
        }
    }

    #[test]
    fn ios_versions_are_real_and_ipads_are_tablets() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";
        assert_eq!(parse(iphone), (s("Safari"), s("18"), s("iOS"), s("18.5"), "smartphone"));
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
        assert_eq!(parse(ipad), (s("Safari"), s("17"), s("iPadOS"), s("17.4"), "tablet"));
        // iOS 26 still sends "OS 18_6": the version would be a lie.
        let ios26 = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1";
        assert_eq!(parse(ios26).3, None);
    }

    #[test]
    fn android_models_and_webviews() {
        let webview = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/137.0.0.0 Mobile Safari/537.36";
        let d = DeviceInfo::parse(webview);
        assert_eq!((d.browser_name.as_deref(), d.browser_version.as_deref()), (Some("WebView"), Some("137")));
        assert_eq!((d.os_version.as_deref(), d.device_model.as_deref()), (Some("14"), Some("Pixel 8")));
        let tablet = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(DeviceInfo::parse(tablet).device_type, "tablet");
    }

    #[test]
    fn bots_and_http_clients() {
        let bot = DeviceInfo::parse("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        assert_eq!((bot.browser_name.as_deref(), bot.device_type), (Some("Googlebot"), "bot"));
        let gpt = DeviceInfo::parse(
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        );
        assert_eq!(gpt.device_type, "bot");
        let curl = DeviceInfo::parse("curl/8.5.0");
        assert_eq!((curl.browser_name.as_deref(), curl.browser_version.as_deref()), (Some("curl"), Some("8")));
        assert_eq!(curl.app_name, None);
    }

    #[test]
    fn empty_garbage_and_huge_input_are_unknown_devices() {
        assert_eq!(parse(""), (None, None, None, None, "unknown"));
        assert_eq!(parse("   "), (None, None, None, None, "unknown"));
        assert_eq!(parse("\u{0}\u{1}💥 not a browser").4, "unknown");
        let huge = "A".repeat(10 * 1024);
        assert_eq!(parse(&huge).4, "unknown");
        assert_eq!(super::super::truncate(&huge).len(), super::super::MAX_USER_AGENT_CHARS);
        let multibyte = "é".repeat(2000);
        assert_eq!(super::super::truncate(&multibyte).chars().count(), super::super::MAX_USER_AGENT_CHARS);
    }
}
