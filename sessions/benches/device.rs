//! Sign-in time costs of device intelligence: user-agent parses per second, geolocation lookups per second, and
//! client-IP resolution. Run: `cargo bench -p leptos-sessions --features ssr --bench device`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leptos_sessions::engine::{device, ClientIp, DeviceInfo, Geo};

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.3296.52",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "MyApp/2.4.1 (iPhone15,2; iOS 19.5; build 241)",
];

fn user_agents(c: &mut Criterion) {
    device::warm_up();
    let mut group = c.benchmark_group("user_agent");
    group.throughput(Throughput::Elements(USER_AGENTS.len() as u64));
    group.bench_function("parse_mix_of_8", |b| {
        b.iter(|| {
            for ua in USER_AGENTS {
                black_box(DeviceInfo::parse(black_box(ua)));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    let garbage: String =
        (0..10_240u32).map(|i| char::from(32 + (i.wrapping_mul(2_654_435_761) >> 25) as u8 % 95)).collect();
    group.bench_function("parse_10kb_garbage_cut_to_1024", |b| {
        b.iter(|| black_box(DeviceInfo::parse(black_box(&garbage))))
    });
    group.finish();
}

fn geolocation(c: &mut Criterion) {
    let geo = Geo::open(concat!(env!("CARGO_MANIFEST_DIR"), "/data/geoip/GeoLite2-City-Test.mmdb"), "en", 2).unwrap();
    let mut group = c.benchmark_group("geolocation");
    group.throughput(Throughput::Elements(1));
    let london = "81.2.69.142".parse().unwrap();
    let miss = "8.8.8.8".parse().unwrap();
    let private = "10.1.2.3".parse().unwrap();
    group.bench_function("lookup_hit", |b| b.iter(|| black_box(geo.lookup(black_box(london)))));
    group.bench_function("lookup_miss", |b| b.iter(|| black_box(geo.lookup(black_box(miss)))));
    group.bench_function("lookup_private_skipped", |b| b.iter(|| black_box(geo.lookup(black_box(private)))));
    group.finish();
}

fn client_ip(c: &mut Criterion) {
    let config = ClientIp { trusted_proxies: ClientIp::parse_proxies("10.0.0.0/8").unwrap(), ..ClientIp::default() };
    let mut headers = http::HeaderMap::new();
    headers.insert("x-forwarded-for", "203.0.113.9, 81.2.69.142, 10.0.0.7".parse().unwrap());
    let peer = "10.0.0.2".parse().ok();
    c.bench_function("client_ip/resolve_forwarded_chain", |b| {
        b.iter(|| black_box(config.resolve(black_box(peer), &headers)))
    });
}

criterion_group!(benches, user_agents, geolocation, client_ip);
criterion_main!(benches);
