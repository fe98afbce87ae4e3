//! User-agent client hints (Chromium): the real Windows and macOS versions, the phone model and the brand that a
//! reduced user agent hides. Ask for them with `Config::request_client_hints`.

use super::parse::is_number;
use super::{ClientHeaders, DeviceInfo};

/// The `Accept-CH` value that asks the browser for the high-entropy hints on later requests.
pub const ACCEPT_CH: &str =
    "Sec-CH-UA-Platform-Version, Sec-CH-UA-Model, Sec-CH-UA-Mobile, Sec-CH-UA-Full-Version-List";

pub(super) fn apply(info: &mut DeviceInfo, headers: &ClientHeaders) {
    let platform = headers.get("sec-ch-ua-platform").map(unquote);
    let version = headers.get("sec-ch-ua-platform-version").map(unquote);
    match (platform, version) {
        (Some("Windows"), Some(v)) => {
            let major = v.split('.').next().and_then(|m| m.parse::<u32>().ok()).unwrap_or(0);
            info.os_name = Some("Windows".into());
            info.os_version = match major {
                13.. => Some("11".into()),
                1..=12 => Some("10".into()),
                0 => None,
            };
        }
        (Some("macOS"), Some(v)) => {
            info.os_name = Some("macOS".into());
            info.os_version = short_version(v);
        }
        (Some("Android"), Some(v)) => {
            info.os_name = Some("Android".into());
            info.os_version = short_version(v).map(|v| v.split('.').next().unwrap_or_default().to_owned());
        }
        _ => {}
    }
    if let Some(model) = headers.get("sec-ch-ua-model").map(unquote).filter(|m| !m.is_empty() && m.len() <= 64) {
        info.device_model = Some(model.to_owned());
    }
    if let Some(list) = headers.get("sec-ch-ua-full-version-list").or_else(|| headers.get("sec-ch-ua")) {
        if let Some((brand, major)) = brand(list) {
            info.browser_name = Some(brand);
            info.browser_version = Some(major);
        }
    }
}

/// The one meaningful brand of a `Sec-CH-UA` list: Brave, Edge, Opera or Chrome, skipping GREASE entries.
fn brand(list: &str) -> Option<(String, String)> {
    const KNOWN: &[(&str, &str)] =
        &[("Brave", "Brave"), ("Microsoft Edge", "Edge"), ("Opera", "Opera"), ("Google Chrome", "Chrome")];
    let entries: Vec<(&str, &str)> = list
        .split(',')
        .filter_map(|item| {
            let (name, rest) = item.trim().split_once(";v=")?;
            Some((unquote(name), unquote(rest)))
        })
        .collect();
    KNOWN.iter().find_map(|(brand, display)| {
        let (_, version) = entries.iter().find(|(name, _)| name == brand)?;
        let major = version.split('.').next().filter(|m| is_number(m))?;
        Some(((*display).to_owned(), major.to_owned()))
    })
}

fn short_version(v: &str) -> Option<String> {
    let mut parts = v.split('.').filter(|p| is_number(p));
    let major = parts.next()?;
    Some(match parts.next().filter(|m| *m != "0") {
        Some(minor) => format!("{major}.{minor}"),
        None => major.to_owned(),
    })
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::super::{ClientHeaders, DeviceInfo};

    const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36";
    const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36";

    fn with(pairs: &[(&str, &str)]) -> ClientHeaders {
        ClientHeaders(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn windows_platform_version_tells_10_from_11() {
        let eleven = DeviceInfo::detect(
            CHROME_WIN,
            &with(&[("sec-ch-ua-platform", "\"Windows\""), ("sec-ch-ua-platform-version", "\"15.0.0\"")]),
            &[],
        );
        assert_eq!(eleven.os_version.as_deref(), Some("11"));
        let ten = DeviceInfo::detect(
            CHROME_WIN,
            &with(&[("sec-ch-ua-platform", "\"Windows\""), ("sec-ch-ua-platform-version", "\"10.0.0\"")]),
            &[],
        );
        assert_eq!(ten.os_version.as_deref(), Some("10"));
        let none = DeviceInfo::detect(CHROME_WIN, &ClientHeaders::default(), &[]);
        assert_eq!(none.os_version, None, "the frozen NT 10.0 token proves nothing");
    }

    #[test]
    fn model_android_version_and_brand_come_from_hints() {
        let hints = with(&[
            ("sec-ch-ua-platform", "\"Android\""),
            ("sec-ch-ua-platform-version", "\"14.0.0\""),
            ("sec-ch-ua-model", "\"Pixel 7\""),
            (
                "sec-ch-ua-full-version-list",
                "\"Not)A;Brand\";v=\"8.0.0.0\", \"Chromium\";v=\"137.0.7151.2\", \"Brave\";v=\"137.1.2.3\"",
            ),
        ]);
        let d = DeviceInfo::detect(CHROME_ANDROID, &hints, &[]);
        assert_eq!(d.device_model.as_deref(), Some("Pixel 7"));
        assert_eq!((d.os_name.as_deref(), d.os_version.as_deref()), (Some("Android"), Some("14")));
        assert_eq!((d.browser_name.as_deref(), d.browser_version.as_deref()), (Some("Brave"), Some("137")));
        let mac = with(&[("sec-ch-ua-platform", "\"macOS\""), ("sec-ch-ua-platform-version", "\"15.1.0\"")]);
        assert_eq!(DeviceInfo::detect(CHROME_WIN, &mac, &[]).os_version.as_deref(), Some("15.1"));
    }
}
