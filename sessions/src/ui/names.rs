use crate::data::DeviceFields;
use crate::i18n::I18n;

/// A readable name: "Chrome 137 on macOS", "Safari 18 on iOS 18.5", "Chrome 137 on Pixel 7 (Android 14)",
/// "MyApp 2.4.1 on iPhone15,2 (iOS 19.5)",
/// "Pixel 7 (Android 14)", "Bot (Googlebot)", "Unknown device".
pub fn device_name(i18n: I18n, d: &DeviceFields) -> String {
    let some = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let join = |a: Option<String>, b: Option<String>| match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    };
    let os = join(some(&d.os_name), some(&d.os_name).and(some(&d.os_version)));
    let model = some(&d.device_model);
    let browser = some(&d.browser_name);
    let version = some(&d.browser_version);

    if let Some(app) = some(&d.app_name) {
        let app = join(Some(app), some(&d.app_version)).unwrap_or_default();
        let place = match (model, os) {
            (Some(m), Some(o)) => Some(i18n.t_with("device-name-model-os", &[("model", m.into()), ("os", o.into())])),
            (m, o) => m.or(o),
        };
        return match place {
            Some(place) => i18n.t_with("device-name-app-on", &[("app", app.into()), ("place", place.into())]),
            None => app,
        };
    }
    if d.device_type == "bot" {
        if let Some(name) = browser {
            return i18n.t_with("device-name-bot", &[("name", name.into())]);
        }
    }
    // A known model tells two phones apart: "Chrome 137 on Pixel 7 (Android 14)".
    let os = match (model.clone(), os) {
        (Some(m), Some(o)) if browser.is_some() => {
            Some(i18n.t_with("device-name-model-os", &[("model", m.into()), ("os", o.into())]))
        }
        (_, os) => os,
    };
    match (browser, version, os, model) {
        (Some(b), Some(v), Some(o), _) => {
            i18n.t_with("device-name", &[("browser", b.into()), ("version", v.into()), ("os", o.into())])
        }
        (Some(b), None, Some(o), _) => {
            i18n.t_with("device-name-no-version", &[("browser", b.into()), ("os", o.into())])
        }
        (Some(b), Some(v), None, _) => {
            i18n.t_with("device-name-browser", &[("browser", b.into()), ("version", v.into())])
        }
        (Some(b), None, None, _) => b,
        (None, _, Some(o), Some(m)) => i18n.t_with("device-name-model-os", &[("model", m.into()), ("os", o.into())]),
        (None, _, None, Some(m)) => m,
        (None, _, Some(o), None) => i18n.t_with("device-name-os", &[("os", o.into())]),
        (None, _, None, None) => i18n.t("unknown-device"),
    }
}

/// The flag emoji of a two-letter country code ("ES" → 🇪🇸).
pub fn flag(country_code: &str) -> Option<String> {
    let code = country_code.trim().to_ascii_uppercase();
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()))
        .then(|| code.bytes().filter_map(|b| char::from_u32(0x1F1E6 + u32::from(b - b'A'))).collect())
}

/// One line naming where a sign-in came from, for alerts and emails:
/// "🇪🇸 Madrid, Spain · IP 83.45.112.7 · Firefox 139 on Windows".
pub fn source_line(
    i18n: I18n,
    device: &DeviceFields,
    place: Option<&crate::data::PlaceView>,
    ip: Option<&str>,
) -> String {
    let place = place.map(|p| match p.country_code.as_deref().and_then(flag) {
        Some(flag) => format!("{flag} {}", p.label),
        None => p.label.clone(),
    });
    let ip = ip.map(|ip| i18n.t_with("ip-short", &[("ip", ip.to_owned().into())]));
    [place, ip, Some(device_name(i18n, device))].into_iter().flatten().collect::<Vec<_>>().join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::PlaceView;

    fn d(pairs: &[(&str, &str)]) -> DeviceFields {
        let get = |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string());
        DeviceFields {
            browser_name: get("browser"),
            browser_version: get("version"),
            os_name: get("os"),
            os_version: get("os_version"),
            device_type: get("type").unwrap_or_else(|| "desktop".into()),
            device_model: get("model"),
            app_name: get("app"),
            app_version: get("app_version"),
        }
    }

    #[test]
    fn names_read_naturally_in_both_languages() {
        let en = I18n::for_tag("en");
        let es = I18n::for_tag("es");
        let chrome = d(&[("browser", "Chrome"), ("version", "137"), ("os", "macOS")]);
        assert_eq!(device_name(en, &chrome), "Chrome 137 on macOS");
        assert_eq!(device_name(es, &chrome), "Chrome 137 en macOS");
        let safari = d(&[("browser", "Safari"), ("version", "18"), ("os", "iOS"), ("os_version", "18.5")]);
        assert_eq!(device_name(en, &safari), "Safari 18 on iOS 18.5");
        let app = d(&[
            ("app", "MyApp"),
            ("app_version", "2.4.1"),
            ("model", "iPhone15,2"),
            ("os", "iOS"),
            ("os_version", "19.5"),
        ]);
        assert_eq!(device_name(en, &app), "MyApp 2.4.1 on iPhone15,2 (iOS 19.5)");
        assert_eq!(
            device_name(en, &d(&[("app", "MyApp"), ("app_version", "2.4.1"), ("os", "Android")])),
            "MyApp 2.4.1 on Android"
        );
        assert_eq!(device_name(en, &d(&[("app", "MyApp")])), "MyApp", "never a dangling 'on'");
        assert_eq!(
            device_name(en, &d(&[("model", "Pixel 7"), ("os", "Android"), ("os_version", "14")])),
            "Pixel 7 (Android 14)"
        );
        assert_eq!(
            device_name(
                en,
                &d(&[
                    ("browser", "Chrome"),
                    ("version", "137"),
                    ("model", "Pixel 7"),
                    ("os", "Android"),
                    ("os_version", "14")
                ])
            ),
            "Chrome 137 on Pixel 7 (Android 14)"
        );
        assert_eq!(
            device_name(en, &d(&[("browser", "Googlebot"), ("version", "2"), ("type", "bot")])),
            "Bot (Googlebot)"
        );
        assert_eq!(device_name(es, &d(&[("browser", "Googlebot"), ("type", "bot")])), "Bot (Googlebot)");
        assert_eq!(device_name(en, &d(&[("os", "Linux")])), "Linux device");
        assert_eq!(device_name(en, &d(&[])), "Unknown device");
        assert_eq!(device_name(es, &d(&[])), "Dispositivo desconocido");
        assert_eq!(device_name(en, &d(&[("os_version", "14")])), "Unknown device", "a version alone names nothing");
    }

    #[test]
    fn flags_and_source_lines() {
        assert_eq!(flag("es").as_deref(), Some("🇪🇸"));
        assert_eq!(flag("GB").as_deref(), Some("🇬🇧"));
        assert_eq!(flag("E"), None);
        assert_eq!(flag("1A"), None);
        let en = I18n::for_tag("en");
        let firefox = d(&[("browser", "Firefox"), ("version", "139"), ("os", "Windows")]);
        let madrid = PlaceView::new(Some("ES".into()), Some("Madrid".into()), Some("Spain".into()));
        assert_eq!(
            source_line(en, &firefox, madrid.as_ref(), Some("83.45.112.7")),
            "🇪🇸 Madrid, Spain · IP 83.45.112.7 · Firefox 139 on Windows"
        );
        assert_eq!(source_line(en, &firefox, None, None), "Firefox 139 on Windows");
    }
}
