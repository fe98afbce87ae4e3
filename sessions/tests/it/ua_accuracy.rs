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

/// The design card named woothee; the engine uses ua-parser. Both alone and the combination the card suggested
/// (ua-parser, with woothee where ua-parser answers "Other", and woothee's crawler class added to ours), scored on
/// the same corpus. The README's table comes from this test's output
/// (`cargo test -p leptos-sessions --test it ua_parsers -- --nocapture`); it fails if the combination ever scores
/// better than what ships, which would be the time to adopt it.
#[test]
fn ua_parsers_alone_and_combined_on_the_corpus() {
    let corpus: Value = serde_json::from_str(include_str!("data/ua-corpus.json")).unwrap();
    let woothee = woothee::parser::Parser::new();
    // [ua-parser, woothee, combination] × [browser, major, os, bot] hits, and the totals.
    let mut hits = [[0usize; 4]; 3];
    let mut totals = [0usize; 4];
    // What woothee names where the engine names no browser.
    let mut fallbacks = Vec::new();
    for case in corpus["cases"].as_array().unwrap() {
        let ua = case["ua"].as_str().unwrap();
        let d = DeviceInfo::parse(ua);
        let w = woothee.parse(ua);
        let known = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty() && *s != "Other").map(str::to_owned);
        let w_browser = w.as_ref().map(|w| woothee_browser(w.name)).filter(|n| *n != "Other").map(str::to_owned);
        let w_major = w.as_ref().and_then(|w| w.version.split('.').next().filter(|m| !m.is_empty()).map(str::to_owned));
        let w_os = w.as_ref().map(|w| woothee_os(w.os)).filter(|n| *n != "Other").map(str::to_owned);
        let w_bot = w.as_ref().is_some_and(|w| w.category == "crawler");
        let ours = (known(&d.browser_name), d.browser_version.clone(), known(&d.os_name), d.device_type == "bot");
        let alone = (w_browser.clone(), w_major.clone(), w_os.clone(), w_bot);
        if ours.0.is_none() {
            if let Some(name) = &w_browser {
                fallbacks.push(name.clone());
            }
        }
        let combined = match ours.0 {
            Some(_) => (ours.0.clone(), ours.1.clone(), ours.2.clone().or(w_os), ours.3 || w_bot),
            None => (w_browser, w_major, ours.2.clone().or(w_os), ours.3 || w_bot),
        };
        for (row, (browser, major, os, bot)) in [ours, alone, combined].into_iter().enumerate() {
            let accepts = |key: &str, got: Option<&str>, canon: fn(&str) -> String| -> Option<bool> {
                let want: Vec<String> =
                    case.get(key)?.as_array()?.iter().filter_map(|v| v.as_str()).map(canon).collect();
                Some(want.contains(&canon(got.unwrap_or("Other"))))
            };
            let scored = [
                accepts("browser", browser.as_deref(), canonical_browser),
                case.get("major")
                    .and_then(|m| m.as_str())
                    .map(|m| major.as_deref().map(|v| v.split('.').next() == Some(m)) == Some(true)),
                accepts("os", os.as_deref(), canonical_os),
                case.get("bot").and_then(Value::as_bool).map(|want| want == bot),
            ];
            for (metric, ok) in scored.into_iter().enumerate() {
                if let Some(ok) = ok {
                    if row == 0 {
                        totals[metric] += 1;
                    }
                    hits[row][metric] += usize::from(ok);
                }
            }
        }
    }
    println!(
        "| parser | browser family ({}) | browser major ({}) | OS family ({}) | bot or not ({}) |",
        totals[0], totals[1], totals[2], totals[3]
    );
    println!("| --- | --- | --- | --- | --- |");
    for (name, row) in
        ["ua-parser alone (what ships)", "woothee alone", "ua-parser, woothee where it adds"].iter().zip(hits)
    {
        let cells: Vec<String> = row.iter().zip(totals).map(|(h, t)| format!("{h} ({:.1}%)", rate(*h, t))).collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    println!("woothee's names where ua-parser gives none: {fallbacks:?}");
    // The decision the README records: the combination gains browser families only by calling an app's embedded
    // browser "WebView", which the engine leaves unnamed on purpose (the device list then names the phone:
    // "Pixel 8 (Android 14)", not "WebView 4 on Android"), and it loses OS families (game consoles woothee names
    // where uap-core expects "Other"). Anything else woothee starts adding fails here, to be looked at.
    assert!(fallbacks.iter().all(|name| name == "WebView"), "woothee adds more than WebView now: {fallbacks:?}");
    assert!(hits[2][2] <= hits[0][2], "woothee's OS names now help: {} > {}", hits[2][2], hits[0][2]);
    assert!(hits[2][1] <= hits[0][1] && hits[2][3] <= hits[0][3], "woothee now adds versions or crawlers");
}

/// woothee's browser names in uap-core's spelling.
fn woothee_browser(name: &str) -> &str {
    match name {
        "Internet Explorer" => "IE",
        "Webview" => "WebView",
        "UNKNOWN" | "HTTP Library" | "misc crawler" => "Other",
        other => other,
    }
}

/// woothee's OS names ("Windows 10", "Mac OSX", "iPhone") as uap-core's families.
fn woothee_os(os: &str) -> &str {
    match os {
        "Mac OSX" => "Mac OS X",
        "iPhone" | "iPad" | "iPod" => "iOS",
        "UNKNOWN" => "Other",
        os if os.starts_with("Windows") => "Windows",
        os if os.starts_with("BlackBerry") => "BlackBerry OS",
        other => other,
    }
}
