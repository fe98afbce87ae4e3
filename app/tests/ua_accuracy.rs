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
    assert!(b_total > 300 && o_total > 150, "the corpus is loaded");
    assert!(rate(b_hit, b_total) >= 97.0, "browser family below 97%");
    assert!(rate(o_hit, o_total) >= 95.0, "OS family below 95%");
}
