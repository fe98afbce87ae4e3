//! The client's IP address: the socket peer, or, behind proxies you trust, the right-most forwarded address that
//! is not one of them. Forwarded headers are ignored unless the peer itself is a trusted proxy.

use std::net::IpAddr;

use ipnet::IpNet;

/// How to find the client address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientIp {
    /// Proxies whose forwarded headers are believed (CIDR list). Empty: only the peer address counts.
    pub trusted_proxies: Vec<IpNet>,
    /// A single-address header set by your CDN (`CF-Connecting-IP`, `Fly-Client-IP`, `X-Real-IP`), read instead
    /// of `X-Forwarded-For` when the peer is trusted.
    pub header: Option<http::HeaderName>,
    /// Zero the last IPv4 octet and the last 80 bits of IPv6 before anything is stored.
    pub truncate: bool,
}

impl ClientIp {
    /// Parses a comma- or space-separated CIDR list such as `10.0.0.0/8, 127.0.0.1` (bare addresses are /32 or /128).
    pub fn parse_proxies(list: &str) -> Result<Vec<IpNet>, String> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an IP address or CIDR range"))
            })
            .collect()
    }

    /// The client address of a request that came from `peer`.
    pub fn resolve(&self, peer: Option<IpAddr>, headers: &http::HeaderMap) -> Option<IpAddr> {
        let peer_ip = peer?.to_canonical();
        if !self.trusted(peer_ip) {
            return Some(peer_ip);
        }
        if let Some(name) = &self.header {
            return headers.get(name).and_then(|v| v.to_str().ok()).and_then(parse_one).or(Some(peer_ip));
        }
        let mut hops: Vec<Option<IpAddr>> = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let Ok(value) = value.to_str() else { return Some(peer_ip) };
            hops.extend(value.split(',').map(parse_one));
        }
        if hops.is_empty() {
            for value in headers.get_all(http::header::FORWARDED) {
                let Ok(value) = value.to_str() else { return Some(peer_ip) };
                hops.extend(value.split(',').filter_map(|el| {
                    el.split(';').find_map(|pair| {
                        let (k, v) = pair.split_once('=')?;
                        k.trim().eq_ignore_ascii_case("for").then(|| parse_one(v))
                    })
                }));
            }
        }
        // Walk back from the nearest hop; the first address we do not trust is the client. A garbage hop means
        // the chain cannot be followed past it: the last trusted hop before it is all we know.
        let mut client = peer_ip;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(ip) if self.trusted(ip) => client = ip,
                Some(ip) => return Some(ip),
                None => return Some(client),
            }
        }
        Some(client)
    }

    /// The address as stored: canonical, and truncated in privacy mode.
    pub fn store_form(&self, ip: IpAddr) -> String {
        let ip = ip.to_canonical();
        let ip = if self.truncate { truncate(ip) } else { ip };
        ip.to_string()
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// One address from a header element: quotes, brackets and ports removed; at most 45 characters looked at.
fn parse_one(raw: &str) -> Option<IpAddr> {
    let s: String = raw.trim().trim_matches('"').chars().take(45).collect();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    let (host, port) = s.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// /24 for IPv4, /48 for IPv6.
pub fn truncate(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) & 0xFFFF_FF00).into()),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 80) - 1)).into()),
    }
}

/// Addresses no geolocation database knows: private, loopback, link-local, documentation, unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xC0) == 64)
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] == 0x2001 && seg[1] == 0x0db8))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (k, v) in pairs {
            map.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn resolution_table_including_spoofing_attempts() {
        let none = ClientIp::default();
        let proxied = ClientIp {
            trusted_proxies: ClientIp::parse_proxies("10.0.0.0/8, 127.0.0.1").unwrap(),
            ..ClientIp::default()
        };
        let cdn = ClientIp { header: Some(http::HeaderName::from_static("cf-connecting-ip")), ..proxied.clone() };
        type Case<'a> = (&'a ClientIp, &'a str, &'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: &[Case<'_>] = &[
            // No proxies configured: forwarded headers are never believed.
            (&none, "203.0.113.9", &[("x-forwarded-for", "1.2.3.4")], Some("203.0.113.9")),
            (&none, "::ffff:203.0.113.9", &[], Some("203.0.113.9")),
            // A direct client (not a trusted proxy) cannot spoof.
            (&proxied, "198.51.100.7", &[("x-forwarded-for", "1.2.3.4")], Some("198.51.100.7")),
            // Through our proxy: the right-most untrusted hop wins, a spoofed left-most entry is ignored.
            (&proxied, "10.0.0.2", &[("x-forwarded-for", "6.6.6.6, 81.2.69.142")], Some("81.2.69.142")),
            (&proxied, "10.0.0.2", &[("x-forwarded-for", "81.2.69.142, 10.0.0.5")], Some("81.2.69.142")),
            (
                &proxied,
                "10.0.0.2",
                &[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "81.2.69.142")],
                Some("81.2.69.142"),
            ),
            (&proxied, "10.0.0.2", &[("x-forwarded-for", "10.0.0.9, 10.0.0.8")], Some("10.0.0.9")),
            (&proxied, "10.0.0.2", &[("x-forwarded-for", "81.2.69.142:4711")], Some("81.2.69.142")),
            (&proxied, "10.0.0.2", &[("x-forwarded-for", "garbage, 81.2.69.142")], Some("81.2.69.142")),
            (&proxied, "10.0.0.2", &[("x-forwarded-for", "81.2.69.142, garbage")], Some("10.0.0.2")),
            (
                &proxied,
                "10.0.0.2",
                &[("forwarded", "for=\"[2001:db8:cafe::17]:4711\";proto=https")],
                Some("2001:db8:cafe::17"),
            ),
            (&proxied, "10.0.0.2", &[("forwarded", "for=192.0.2.60;by=10.0.0.1, for=10.0.0.3")], Some("192.0.2.60")),
            (&proxied, "10.0.0.2", &[], Some("10.0.0.2")),
            (&proxied, "127.0.0.1", &[("x-forwarded-for", "::ffff:81.2.69.142")], Some("81.2.69.142")),
            // Single-header mode reads only that header, and only from a trusted peer.
            (
                &cdn,
                "10.0.0.2",
                &[("cf-connecting-ip", "81.2.69.142"), ("x-forwarded-for", "6.6.6.6")],
                Some("81.2.69.142"),
            ),
            (&cdn, "10.0.0.2", &[("cf-connecting-ip", "not an ip")], Some("10.0.0.2")),
            (&cdn, "198.51.100.7", &[("cf-connecting-ip", "81.2.69.142")], Some("198.51.100.7")),
        ];
        for (config, peer, headers, want) in cases {
            let got = config.resolve(peer.parse().ok(), &h(headers));
            assert_eq!(got, want.and_then(ip), "peer {peer} headers {headers:?}");
        }
        assert_eq!(none.resolve(None, &h(&[("x-forwarded-for", "1.2.3.4")])), None);
        let long = "1".repeat(10_000);
        assert_eq!(proxied.resolve(ip("10.0.0.2"), &h(&[("x-forwarded-for", &long)])), ip("10.0.0.2"));
        assert!(ClientIp::parse_proxies("10.0.0.0/8, nonsense").is_err());
    }

    #[test]
    fn canonical_and_truncated_forms() {
        let plain = ClientIp::default();
        let private = ClientIp { truncate: true, ..ClientIp::default() };
        assert_eq!(plain.store_form("::ffff:81.2.69.142".parse().unwrap()), "81.2.69.142");
        assert_eq!(plain.store_form("2001:0db8:0000:0000:0000:0000:0000:0001".parse().unwrap()), "2001:db8::1");
        assert_eq!(private.store_form("81.2.69.142".parse().unwrap()), "81.2.69.0");
        assert_eq!(private.store_form("2001:480:10:1234:5678::1".parse().unwrap()), "2001:480:10::");
        assert!(!is_public("10.1.2.3".parse().unwrap()) && !is_public("::1".parse().unwrap()));
        assert!(!is_public("2001:db8::1".parse().unwrap()) && is_public("81.2.69.142".parse().unwrap()));
    }
}
