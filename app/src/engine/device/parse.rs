//! The web parser: uap-core's rules (vendored in `app/data/`, Apache-2.0) through the `ua-parser` crate, with
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

/// uap-core's family names as people say them.
pub(crate) fn browser_display(family: &str) -> &str {
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

pub(crate) fn os_display(os: &str, ipad: bool) -> &str {
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
