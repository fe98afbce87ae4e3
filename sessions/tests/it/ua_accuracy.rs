//! Accuracy of the device parser on real user agents (uap-core's own test cases and 40 modern ones), reported as
//! hit rates. Goals: at least 97% browser family and 95% OS family.

use leptos_sessions::engine::{device, DeviceInfo};
use serde_json::Value;

/// uap-core's family names and ours, folded to one spelling through the parser's own display names.
fn canonical_browser(name: &str) -> String {
    device::browser_display(name).to_lowercase().replace(' ', "")
}

fn canonical_os(name: &str) -> String {
    // An iPad's iPadOS is uap-core's iOS.
    device::os_display(name, false).replace("iPadOS", "iOS").to_lowercase().replace(' ', "")
}

fn rate(hit: usize, total: usize) -> f64 {
    100.0 * hit as f64 / total.max(1) as f64
}

#[test]
fn browser_and_os_family_hit_rates_meet_the_goals() {
    let corpus: Value = serde_json::from_str(include_str!("data/ua-corpus.json")).unwrap();
    let (mut b_hit, mut b_total, mut m_hit, mut m_total, mut o_hit, mut o_total) = (0, 0, 0, 0, 0, 0);
    let mut misses = Vec::new();
    for case in corpus["cases"].as_array().unwrap() {
        let ua = case["ua"].as_str().unwrap();
        let d = DeviceInfo::parse(ua);
        let accepts = |key: &str, got: Option<&str>, canon: fn(&str) -> String| -> Option<bool> {
            let want: Vec<String> = case.get(key)?.as_array()?.iter().filter_map(|v| v.as_str()).map(canon).collect();
            let got = got.map(canon).unwrap_or_else(|| canon("Other"));
            Some(want.contains(&got))
        };
        if let Some(ok) = accepts("browser", d.browser_name.as_deref(), canonical_browser) {
            b_total += 1;
            if ok {
                b_hit += 1;
            } else {
                misses.push(format!("browser {:?} for {:.90}", d.browser_name, ua));
            }
        }
        if let Some(major) = case.get("major").and_then(|m| m.as_str()) {
            m_total += 1;
            if d.browser_version.as_deref() == Some(major) {
                m_hit += 1;
            }
        }
        if let Some(ok) = accepts("os", d.os_name.as_deref(), canonical_os) {
            o_total += 1;
            if ok {
                o_hit += 1;
            } else {
                misses.push(format!("os {:?} for {:.90}", d.os_name, ua));
            }
        }
    }
    println!("browser family: {b_hit}/{b_total} = {:.1}%", rate(b_hit, b_total));
    println!("browser major:  {m_hit}/{m_total} = {:.1}%", rate(m_hit, m_total));
    println!("OS family:      {o_hit}/{o_total} = {:.1}%", rate(o_hit, o_total));
    for miss in &misses {
        println!("miss: {miss}");
    }
    assert!(b_total > 300 && m_total > 250 && o_total > 150, "the corpus is loaded");
    assert!(rate(b_hit, b_total) >= 97.0, "browser family below 97%");
    assert!(rate(o_hit, o_total) >= 95.0, "OS family below 95%");
    // Not a stated goal: a floor at what the parser measures today (271/273 = 99.3%), so a regression in version
    // extraction shows up here rather than as wrong names on the devices page.
    assert!(rate(m_hit, m_total) >= 99.0, "browser major version below today's 99%");
}

/// The name the devices list shows for a user agent, with `MyApp` configured as a native app when `configured`.
fn native_name(ua: &str, configured: bool) -> String {
    use leptos_sessions::engine::ClientHeaders;
    use leptos_sessions::{data::DeviceFields, i18n::I18n, ui::device_name};
    let apps: Vec<String> = if configured { vec!["MyApp".into()] } else { Vec::new() };
    let d = DeviceInfo::detect(ua, &ClientHeaders::default(), &apps);
    let fields = DeviceFields {
        browser_name: d.browser_name,
        browser_version: d.browser_version,
        os_name: d.os_name,
        os_version: d.os_version,
        device_type: d.device_type.into(),
        device_model: d.device_model,
        app_name: d.app_name,
        app_version: d.app_version,
    };
    device_name(I18n::for_tag("en"), &fields)
}

#[test]
fn native_android_apps_read_as_app_version_on_model() {
    let ua = "MyApp Android 2.4.1 (Pixel 7; Android 14; build 241)";
    for configured in [true, false] {
        assert_eq!(native_name(ua, configured), "MyApp 2.4.1 on Pixel 7 (Android 14)", "configured: {configured}");
    }
    let d = DeviceInfo::detect(ua, &Default::default(), &["MyApp".into()]);
    assert_eq!((d.app_build.as_deref(), d.device_type), (Some("241"), "smartphone"));
    // The same prefix in front of a Hotwire Native Android WebView.
    let hotwire = "MyApp Android 2.4.1 (Pixel 7; Android 14; build 241) Hotwire Native Android; Turbo Native Android; \
        bridge-components: [form menu]; Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP2A.240805.005; wv) \
        AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36";
    assert_eq!(native_name(hotwire, true), "MyApp 2.4.1 on Pixel 7 (Android 14)");
    let bare = "Hotwire Native Android; Turbo Native Android; bridge-components: [form menu]; Mozilla/5.0 (Linux; \
        Android 14; Pixel 7 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 \
        Chrome/127.0.6533.103 Mobile Safari/537.36";
    assert_eq!(native_name(bare, false), "Pixel 7 (Android 14)");
    assert_eq!(native_name(bare, true), "MyApp on Pixel 7 (Android 14)");
    // The shapes that already worked still do.
    assert_eq!(
        native_name("MyApp/2.4.1 (iPhone15,2; iOS 19.5; build 241)", false),
        "MyApp 2.4.1 on iPhone15,2 (iOS 19.5)"
    );
    assert_eq!(
        native_name("MyApp iOS 2.4.1 (iPhone15,2; iOS 19.5; build 241)", true),
        "MyApp 2.4.1 on iPhone15,2 (iOS 19.5)"
    );
    assert_eq!(native_name("MyApp/2.4.1 (Pixel 8; Android 16)", false), "MyApp 2.4.1 on Pixel 8 (Android 16)");
}

#[test]
fn bare_hotwire_ios_shells_read_as_iphone_or_ipad() {
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 19_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
        Mobile/15E148 Hotwire Native iOS; Turbo Native iOS; bridge-components: [form menu]";
    assert_eq!(native_name(iphone, false), "iPhone (iOS 19.5)");
    assert_eq!(native_name(iphone, true), "MyApp on iPhone (iOS 19.5)");
    let turbo = "Mozilla/5.0 (iPhone; CPU iPhone OS 19_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
        Mobile/15E148 Turbo Native iOS";
    assert_eq!(native_name(turbo, false), "iPhone (iOS 19.5)");
    let ipad = "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 \
        Hotwire Native iOS; Turbo Native iOS;";
    assert_eq!(native_name(ipad, false), "iPad (iPadOS 17.4)");
}
