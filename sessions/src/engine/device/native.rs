//! Native app shells (Tauri, Capacitor, Hotwire Native, …): the `AppName/2.4.1 (iPhone15,2; iOS 19.5; build 241)`
//! and `AppName Android 2.4.1 (Pixel 7; Android 14; build 241)` user-agent prefixes, configured app names, Hotwire
//! markers, and validated `X-Client-*` headers.

use super::parse::is_number;
use super::{ClientHeaders, DeviceInfo};

/// Leading tokens that look like `Name/1.0 (…)` but are browsers or HTTP libraries, not apps.
const NOT_APPS: &[&str] = &["Mozilla", "Opera", "Dalvik", "Links", "Lynx", "w3m", "ELinks"];

pub(super) fn apply(info: &mut DeviceInfo, ua: &str, headers: &ClientHeaders, app_names: &[String]) {
    let mut app = prefix(ua).or_else(|| configured(ua, app_names));
    let shell = ["Hotwire Native", "Turbo Native"].iter().any(|m| ua.contains(m));
    if app.is_none() && (shell || headers.get("x-client-platform").is_some()) {
        app = Some(App { name: app_names.first().cloned(), ..App::default() });
    }
    let Some(mut app) = app else { return };
    if let Some(version) = headers.get("x-client-version").filter(|v| valid_version(v)) {
        app.version = Some(version.to_owned());
    }
    if let Some(build) = headers.get("x-client-build").filter(|b| valid_build(b)) {
        app.build = Some(build.to_owned());
    }
    if let Some(model) = headers.get("x-client-model").filter(|m| valid_text(m, 64)) {
        app.model = Some(model.to_owned());
    }
    if let Some(platform) = headers.get("x-client-platform").and_then(platform) {
        app.os = Some(platform.to_owned());
    }
    if let Some(os) = headers.get("x-client-os").filter(|o| valid_text(o, 64)) {
        let (name, version) = split_os(os);
        if let Some(name) = name {
            app.os = Some(name);
        }
        app.os_version = version.or(app.os_version);
    }

    info.app_name = app.name;
    info.app_version = app.version;
    info.app_build = app.build;
    if app.model.is_some() {
        info.device_model = app.model;
    }
    // An iOS WebView names no model, yet the app runs on an iPhone or an iPad, which people recognize better than
    // a bare "iOS 19.5 device".
    if info.device_model.is_none() {
        info.device_model = ["iPhone", "iPad"].into_iter().find(|m| ua.contains(&format!("({m};"))).map(str::to_owned);
    }
    if let Some(os) = app.os {
        info.os_name = Some(os);
        info.os_version = app.os_version;
    }
    // The app, not its embedded WebView, is what the person recognizes.
    if info.browser_name.as_deref() == Some("WebView") || info.browser_name.is_none() {
        info.browser_name = None;
        info.browser_version = None;
    }
    let tablet = info.device_model.as_deref().is_some_and(|m| m.starts_with("iPad"))
        || info.os_name.as_deref() == Some("iPadOS");
    info.device_type = match info.os_name.as_deref() {
        _ if tablet => "tablet",
        Some("iOS" | "Android") => "smartphone",
        Some("macOS" | "Windows" | "Linux") => "desktop",
        _ => info.device_type,
    };
}

#[derive(Default)]
struct App {
    name: Option<String>,
    version: Option<String>,
    build: Option<String>,
    model: Option<String>,
    os: Option<String>,
    os_version: Option<String>,
}

/// `AppName/2.4.1 (iPhone15,2; iOS 19.5; build 241)` at the start of the user agent, or
/// `AppName Android 2.4.1 (Pixel 7; Android 14; build 241)`.
fn prefix(ua: &str) -> Option<App> {
    let name = match ua.split_once('/') {
        Some((head, _)) if valid_name(head.trim()) => head,
        // No slash: the name is what comes before `<platform> <version> (`; `after_name` checks the platform.
        _ => ua.split_once(" (")?.0.rsplit_once(' ')?.0.rsplit_once(' ')?.0,
    };
    if !valid_name(name.trim()) || NOT_APPS.iter().any(|n| n.eq_ignore_ascii_case(name.trim())) {
        return None;
    }
    let app = after_name(name.trim(), &ua[name.len()..]);
    // Without a platform it is just some HTTP client naming itself.
    app.os.is_some().then_some(app)
}

/// A configured app name anywhere in the user agent, bare or followed as in [`prefix`].
fn configured(ua: &str, names: &[String]) -> Option<App> {
    names.iter().filter(|n| !n.is_empty()).find_map(|name| {
        let at = ua.find(name.as_str())?;
        Some(after_name(name, &ua[at + name.len()..]))
    })
}

/// What follows an app's name: `/2.4.1`, or ` Android 2.4.1` as Android shells often write it, then optionally
/// `(model; OS version; build N)`.
fn after_name(name: &str, after: &str) -> App {
    let mut app = App { name: Some(name.to_owned()), ..App::default() };
    let rest = match after.strip_prefix('/') {
        Some(rest) => rest,
        None => match after.trim_start().split_once(' ') {
            Some((word, rest)) if platform(word).is_some() => rest.trim_start(),
            _ => return app,
        },
    };
    let version: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let inside = rest[version.len()..].trim_start().strip_prefix('(').and_then(|r| r.split(')').next());
    app.version = valid_version(&version).then_some(version);
    for (i, part) in inside.into_iter().flat_map(|i| i.split(';')).map(str::trim).enumerate() {
        if let Some(build) = part.strip_prefix("build ").filter(|b| valid_build(b)) {
            app.build = Some(build.to_owned());
        } else if let (Some(os), version) = split_os(part) {
            app.os = Some(os);
            app.os_version = version;
        } else if i == 0 && valid_text(part, 64) {
            app.model = Some(part.to_owned());
        }
    }
    app
}

fn split_os(s: &str) -> (Option<String>, Option<String>) {
    let s = s.trim();
    let (name, version) = match s.rsplit_once(' ') {
        Some((name, version)) if version.split('.').all(is_number) => (name, Some(version)),
        _ => (s, None),
    };
    (platform(&name.to_ascii_lowercase()).map(str::to_owned), version.map(str::to_owned))
}

fn platform(p: &str) -> Option<&'static str> {
    Some(match p.trim().to_ascii_lowercase().as_str() {
        "ios" => "iOS",
        "ipados" => "iPadOS",
        "android" => "Android",
        "macos" => "macOS",
        "windows" => "Windows",
        "linux" => "Linux",
        _ => return None,
    })
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.len() <= 40
        && chars.all(|c| c.is_ascii_alphanumeric() || " ._-".contains(c))
}

fn valid_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    (1..=4).contains(&parts.len()) && parts.iter().all(|p| p.len() <= 5 && is_number(p))
}

fn valid_build(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn valid_text(s: &str, max: usize) -> bool {
    !s.is_empty() && s.chars().count() <= max && s.chars().all(|c| c.is_alphanumeric() || " ,._-()".contains(c))
}

#[cfg(test)]
mod tests {
    use super::super::{ClientHeaders, DeviceInfo};

    fn headers(pairs: &[(&str, &str)]) -> ClientHeaders {
        ClientHeaders(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn the_prefix_convention_names_app_model_os_and_build() {
        let d = DeviceInfo::parse("MyApp/2.4.1 (iPhone15,2; iOS 19.5; build 241)");
        assert_eq!(d.app_name.as_deref(), Some("MyApp"));
        assert_eq!(d.app_version.as_deref(), Some("2.4.1"));
        assert_eq!(d.app_build.as_deref(), Some("241"));
        assert_eq!(d.device_model.as_deref(), Some("iPhone15,2"));
        assert_eq!((d.os_name.as_deref(), d.os_version.as_deref()), (Some("iOS"), Some("19.5")));
        assert_eq!(d.device_type, "smartphone");
        let android = DeviceInfo::parse("MyApp/2.4.1 (Pixel 8; Android 16)");
        assert_eq!((android.device_model.as_deref(), android.os_name.as_deref()), (Some("Pixel 8"), Some("Android")));
    }

    #[test]
    fn browsers_and_http_clients_are_not_apps() {
        assert_eq!(DeviceInfo::parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/139.0").app_name, None);
        assert_eq!(DeviceInfo::parse("curl/8.5.0").app_name, None);
        assert_eq!(DeviceInfo::parse("okhttp/4.12.0").app_name, None);
    }

    #[test]
    fn hotwire_shells_and_x_client_headers() {
        let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Hotwire Native iOS; Turbo Native iOS; bridge-components: [form menu]";
        let h = headers(&[
            ("x-client-version", "2.4.1"),
            ("x-client-build", "241"),
            ("x-client-os", "iOS 19.5"),
            ("x-client-model", "iPhone15,2"),
        ]);
        let d = DeviceInfo::detect(ua, &h, &["MyApp".into()]);
        assert_eq!(d.app_name.as_deref(), Some("MyApp"));
        assert_eq!(d.app_version.as_deref(), Some("2.4.1"));
        assert_eq!(d.device_model.as_deref(), Some("iPhone15,2"));
        assert_eq!(d.os_version.as_deref(), Some("19.5"));
        assert_eq!(d.browser_name, None, "the WebView is not what people recognize");
        // Invalid header values are ignored, not stored.
        let bad = headers(&[
            ("x-client-version", "1.0; DROP TABLE"),
            ("x-client-build", "x".repeat(40).as_str()),
            ("x-client-platform", "ios"),
        ]);
        let d = DeviceInfo::detect(ua, &bad, &["MyApp".into()]);
        assert_eq!((d.app_version, d.app_build), (None, None));
        // A configured legacy name anywhere in the user agent.
        let legacy = DeviceInfo::detect(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) MyApp/3.0 Mobile",
            &ClientHeaders::default(),
            &["MyApp".into()],
        );
        assert_eq!((legacy.app_name.as_deref(), legacy.app_version.as_deref()), (Some("MyApp"), Some("3.0")));
    }
}
