//! Hostile input never panics the device parser or the client-IP resolver: a committed corpus replayed on every
//! run, plus proptest's generated strings (failures are saved under proptest-regressions/ and replayed too).

use leptos_sessions::engine::{ClientHeaders, ClientIp, DeviceInfo};
use proptest::prelude::*;

fn headers(pairs: &[(&str, &str)]) -> ClientHeaders {
    ClientHeaders(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn check(ua: &str) {
    let d = DeviceInfo::detect(ua, &ClientHeaders::default(), &["MyApp".into()]);
    assert!(["desktop", "smartphone", "tablet", "bot", "unknown"].contains(&d.device_type));
    for field in [&d.browser_name, &d.browser_version, &d.os_name, &d.os_version, &d.device_model, &d.app_name] {
        assert!(field.as_ref().is_none_or(|f| f.chars().count() <= 1024));
    }
}

#[test]
fn the_committed_corpus_parses_without_panicking() {
    for ua in include_str!("data/hostile-user-agents.txt").lines() {
        check(ua);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_user_agent_parses(ua in "\\PC{0,1200}") {
        check(&ua);
    }

    #[test]
    fn user_agent_shaped_noise_parses(ua in "[A-Za-z]{1,12}/[0-9.]{0,12} \\(([A-Za-z0-9 ,._;]{0,40})\\)[ -~]{0,200}") {
        check(&ua);
    }

    #[test]
    fn any_client_headers_parse(platform in "[ -~]{0,40}", version in "[ -~]{0,40}", model in "\\PC{0,80}", list in "[ -~]{0,200}") {
        let h = headers(&[
            ("sec-ch-ua-platform", &platform),
            ("sec-ch-ua-platform-version", &version),
            ("sec-ch-ua-model", &model),
            ("sec-ch-ua-full-version-list", &list),
            ("x-client-platform", &platform),
            ("x-client-version", &version),
            ("x-client-os", &model),
        ]);
        let _ = DeviceInfo::detect("Mozilla/5.0 (Linux; Android 10; K) Chrome/137.0.0.0 Mobile Safari/537.36 MyApp/1.0", &h, &["MyApp".into()]);
    }

    #[test]
    fn any_forwarded_headers_resolve(xff in "[ -~]{0,300}", fwd in "[ -~]{0,300}") {
        let config = ClientIp { trusted_proxies: ClientIp::parse_proxies("0.0.0.0/0, ::/0").unwrap(), ..ClientIp::default() };
        let mut map = http::HeaderMap::new();
        if let Ok(v) = xff.parse() { map.insert("x-forwarded-for", v); }
        if let Ok(v) = fwd.parse() { map.insert("forwarded", v); }
        prop_assert!(config.resolve("10.0.0.1".parse().ok(), &map).is_some());
    }
}
