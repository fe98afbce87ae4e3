//! Hostile input never panics the device parser or the client-IP resolver: a committed corpus replayed on every
//! run, plus proptest's generated strings (failures are saved under proptest-regressions/ and replayed too).

use std::net::IpAddr;

use leptos_sessions::engine::{ClientHeaders, ClientIp, DeviceInfo};
use proptest::prelude::*;

fn headers(pairs: &[(&str, &str)]) -> ClientHeaders {
    ClientHeaders(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn check(ua: &str) {
    check_with(ua, &ClientHeaders::default());
}

fn check_with(ua: &str, headers: &ClientHeaders) -> DeviceInfo {
    let d = DeviceInfo::detect(ua, headers, &["MyApp".into()]);
    assert!(["desktop", "smartphone", "tablet", "bot", "unknown"].contains(&d.device_type));
    for field in [&d.browser_name, &d.browser_version, &d.os_name, &d.os_version, &d.device_model, &d.app_name] {
        assert!(field.as_ref().is_none_or(|f| f.chars().count() <= 1024));
    }
    d
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
        let d = check_with("Mozilla/5.0 (Linux; Android 10; K) Chrome/137.0.0.0 Mobile Safari/537.36 MyApp/1.0", &h);
        // What a client says about itself reaches a stored field only through validation, which keeps nothing
        // longer than 64 characters (a model, an OS name); the user agent alone names nothing that long here.
        for field in [&d.browser_name, &d.browser_version, &d.os_name, &d.os_version, &d.device_model, &d.app_version] {
            prop_assert!(field.as_ref().is_none_or(|f| f.chars().count() <= 64), "{field:?}");
        }
    }

    #[test]
    fn any_forwarded_headers_resolve(xff in "[ -~]{0,300}", fwd in "[ -~]{0,300}") {
        let mut map = http::HeaderMap::new();
        if let Ok(v) = xff.parse() { map.insert("x-forwarded-for", v); }
        if let Ok(v) = fwd.parse() { map.insert("forwarded", v); }
        let peer = "10.0.0.1".parse().ok();
        // Behind a proxy trusted to say anything, garbage never panics the resolver.
        let everyone = ClientIp { trusted_proxies: ClientIp::parse_proxies("0.0.0.0/0, ::/0").unwrap(), ..ClientIp::default() };
        everyone.resolve(peer, &map);
        // From a peer nobody trusts, the headers are not even read.
        prop_assert_eq!(ClientIp::default().resolve(peer, &map), peer);
    }

    /// An `X-Forwarded-For` chain of real addresses and garbage, from a peer that is or is not our proxy: the
    /// client is the peer unless it is trusted, else the right-most hop outside 10.0.0.0/8, and a garbage hop
    /// stops the walk at the last trusted address before it.
    #[test]
    fn the_client_is_the_nearest_untrusted_hop(hops in prop::collection::vec(hop(), 1..6), via_proxy: bool) {
        let config = ClientIp { trusted_proxies: ClientIp::parse_proxies("10.0.0.0/8").unwrap(), ..ClientIp::default() };
        let trusted = |ip: IpAddr| matches!(ip, IpAddr::V4(v4) if v4.octets()[0] == 10);
        let peer: IpAddr = if via_proxy { [10, 0, 0, 1] } else { [192, 0, 2, 1] }.into();
        let chain: Vec<String> = hops.iter().map(|h| h.map_or("unknown".into(), |ip| ip.to_string())).collect();
        let mut map = http::HeaderMap::new();
        map.insert("x-forwarded-for", chain.join(", ").parse().unwrap());

        let mut expected = peer;
        if via_proxy {
            for hop in hops.iter().rev() {
                match hop.map(|ip| ip.to_canonical()) {
                    Some(ip) if trusted(ip) => expected = ip,
                    Some(ip) => { expected = ip; break }
                    None => break,
                }
            }
        }
        prop_assert_eq!(config.resolve(Some(peer), &map), Some(expected), "{:?}", chain);
    }
}

/// A forwarded hop: an address (IPv4, IPv6, v4-mapped, sometimes inside the trusted 10.0.0.0/8), or garbage.
fn hop() -> impl Strategy<Value = Option<IpAddr>> {
    prop_oneof![
        any::<IpAddr>().prop_map(Some),
        any::<[u8; 3]>().prop_map(|[a, b, c]| Some(IpAddr::from([10, a, b, c]))),
        Just(None),
    ]
}
