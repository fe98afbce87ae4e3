use crate::i18n::I18n;
use crate::view::DeviceView;

/// A readable name such as "Chrome 137 on macOS", from the parsed fields only.
pub fn device_name(i18n: I18n, d: &DeviceView) -> String {
    let browser = d.browser_name.as_deref().filter(|s| !s.is_empty());
    let version = d.browser_version.as_deref().filter(|s| !s.is_empty());
    let os = d.os_name.as_deref().filter(|s| !s.is_empty());
    match (browser, version, os) {
        (Some(b), Some(v), Some(o)) => i18n.t_with(
            "device-name",
            &[
                ("browser", b.into()),
                ("version", v.into()),
                ("os", o.into()),
            ],
        ),
        (Some(b), None, Some(o)) => i18n.t_with(
            "device-name-no-version",
            &[("browser", b.into()), ("os", o.into())],
        ),
        (Some(b), Some(v), None) => i18n.t_with(
            "device-name-browser",
            &[("browser", b.into()), ("version", v.into())],
        ),
        (Some(b), None, None) => b.to_owned(),
        (None, _, Some(o)) => i18n.t_with("device-name-os", &[("os", o.into())]),
        (None, _, None) => i18n.t("unknown-device"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(b: Option<&str>, v: Option<&str>, o: Option<&str>) -> DeviceView {
        DeviceView {
            id: "x".into(),
            browser_name: b.map(Into::into),
            browser_version: v.map(Into::into),
            os_name: o.map(Into::into),
            os_version: None,
            device_type: "desktop".into(),
            ip_address: None,
            created_at: 0,
            last_seen_at: 0,
            current: false,
        }
    }

    #[test]
    fn names_read_naturally_in_both_languages() {
        let en = I18n::for_tag("en");
        let es = I18n::for_tag("es");
        assert_eq!(
            device_name(en, &device(Some("Chrome"), Some("137"), Some("macOS"))),
            "Chrome 137 on macOS"
        );
        assert_eq!(
            device_name(es, &device(Some("Chrome"), Some("137"), Some("macOS"))),
            "Chrome 137 en macOS"
        );
        assert_eq!(
            device_name(en, &device(Some("Safari"), None, Some("iOS"))),
            "Safari on iOS"
        );
        assert_eq!(
            device_name(en, &device(Some("Googlebot"), None, None)),
            "Googlebot"
        );
        assert_eq!(
            device_name(en, &device(None, None, Some("Linux"))),
            "Linux device"
        );
        assert_eq!(device_name(en, &device(None, None, None)), "Unknown device");
        assert_eq!(
            device_name(es, &device(None, None, None)),
            "Dispositivo desconocido"
        );
    }
}
