use crate::i18n::I18n;

/// A readable name such as "Chrome 137 on macOS", from the parsed fields only.
pub fn device_name(i18n: I18n, browser: Option<&str>, version: Option<&str>, os: Option<&str>) -> String {
    let browser = browser.filter(|s| !s.is_empty());
    let version = version.filter(|s| !s.is_empty());
    let os = os.filter(|s| !s.is_empty());
    match (browser, version, os) {
        (Some(b), Some(v), Some(o)) => {
            i18n.t_with("device-name", &[("browser", b.into()), ("version", v.into()), ("os", o.into())])
        }
        (Some(b), None, Some(o)) => i18n.t_with("device-name-no-version", &[("browser", b.into()), ("os", o.into())]),
        (Some(b), Some(v), None) => i18n.t_with("device-name-browser", &[("browser", b.into()), ("version", v.into())]),
        (Some(b), None, None) => b.to_owned(),
        (None, _, Some(o)) => i18n.t_with("device-name-os", &[("os", o.into())]),
        (None, _, None) => i18n.t("unknown-device"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_naturally_in_both_languages() {
        let en = I18n::for_tag("en");
        let es = I18n::for_tag("es");
        assert_eq!(device_name(en, Some("Chrome"), Some("137"), Some("macOS")), "Chrome 137 on macOS");
        assert_eq!(device_name(es, Some("Chrome"), Some("137"), Some("macOS")), "Chrome 137 en macOS");
        assert_eq!(device_name(en, Some("Safari"), None, Some("iOS")), "Safari on iOS");
        assert_eq!(device_name(en, Some("Googlebot"), None, None), "Googlebot");
        assert_eq!(device_name(en, None, None, Some("Linux")), "Linux device");
        assert_eq!(device_name(en, None, None, None), "Unknown device");
        assert_eq!(device_name(es, None, None, None), "Dispositivo desconocido");
    }
}
