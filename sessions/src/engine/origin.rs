//! Which state-changing requests come from our own pages. SameSite=Lax cookies stop other sites, but not a page on
//! another port or a sibling subdomain (`same-site`), which could otherwise post with the user's cookie.

use http::{header, Method, Request};

use super::Config;

/// True when a state-changing request must be refused: it did not come from this site's own origin (or one the
/// host trusts, [`Config::trusted_origins`]).
///
/// A browser tells us with `Sec-Fetch-Site`: only `same-origin` and `none` (typed in the address bar, a bookmark)
/// pass on their own; `same-site` and `cross-site` pass only with a trusted `Origin`. Browsers that do not send it
/// are judged by `Origin`, else `Referer`, which must be exactly this site's origin; `Origin: null` (sandboxed
/// frames, some redirects) never passes. A request with none of these headers comes from a non-browser client
/// (curl, a server, a mobile app's HTTP stack): it carries no ambient cookie a third party could ride on, so it
/// is let through and the session cookie it presents decides as usual.
pub(crate) fn is_cross_site<B>(req: &Request<B>, config: &Config) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE) {
        return false;
    }
    let headers = req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let trusted =
        |origin: Option<&str>| origin.and_then(origin_of).is_some_and(|o| config.trusted_origins.contains(&o));
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => false,
            _ => !trusted(text("origin")),
        };
    }
    let Some(source) = text("origin").or_else(|| text("referer")) else {
        return headers.contains_key(header::ORIGIN) || headers.contains_key(header::REFERER);
    };
    let Some(source) = origin_of(source) else { return true };
    let own = own_origin(req, config);
    own.as_deref() != Some(source.as_str()) && !config.trusted_origins.contains(&source)
}

/// `https://Example.com:443/path?q` -> `https://example.com`; `None` for anything that is not an http(s) URL
/// (including `null`).
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https") || authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", without_default_port(&scheme, &authority)))
}

/// The origin this request was addressed to: the scheme our cookies imply, and the `Host` (or, on HTTP/2, the
/// URI's authority).
fn own_origin<B>(req: &Request<B>, config: &Config) -> Option<String> {
    let host =
        req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).or(req.uri().authority().map(|a| a.as_str()))?;
    let scheme = if config.secure_cookies { "https" } else { "http" };
    Some(format!("{scheme}://{}", without_default_port(scheme, &host.to_ascii_lowercase())))
}

fn without_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let default = if scheme == "https" { ":443" } else { ":80" };
    authority.strip_suffix(default).unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request<()> {
        let mut req = Request::post("/api/sessions/revoke");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.body(()).unwrap()
    }

    fn config() -> Config {
        Config::new([7u8; 32]).unwrap().secure_cookies(false)
    }

    #[test]
    fn only_our_own_origin_may_change_state() {
        let config = config();
        let host = ("host", "127.0.0.1:3000");
        let refused = [
            // A page on another port, or a sibling subdomain: the browser says same-site.
            vec![host, ("sec-fetch-site", "same-site"), ("origin", "http://127.0.0.1:3001")],
            vec![("host", "app.example.com"), ("sec-fetch-site", "same-site"), ("origin", "http://evil.example.com")],
            vec![host, ("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")],
            // An unknown value is not a pass.
            vec![host, ("sec-fetch-site", "same-sitex")],
            // Older browsers: Origin or Referer must be exactly ours.
            vec![host, ("origin", "http://127.0.0.1:3001")],
            vec![host, ("origin", "https://127.0.0.1:3000")],
            vec![host, ("origin", "http://127.0.0.1:3000.evil.example")],
            vec![host, ("origin", "null")],
            vec![host, ("referer", "http://127.0.0.1:3001/page")],
            vec![host, ("referer", "http://127.0.0.1:3000@evil.example/")],
            vec![host, ("origin", "")],
        ];
        for headers in refused {
            assert!(is_cross_site(&post(&headers), &config), "{headers:?} must be refused");
        }
        let accepted = [
            vec![host, ("sec-fetch-site", "same-origin"), ("origin", "http://127.0.0.1:3000")],
            vec![host, ("sec-fetch-site", "none")],
            vec![host, ("origin", "http://127.0.0.1:3000")],
            vec![("host", "example.com:80"), ("origin", "http://EXAMPLE.com")],
            vec![host, ("referer", "http://127.0.0.1:3000/settings/sessions?x=1")],
            // No browser headers at all: a non-browser client, which has no ambient cookie to abuse.
            vec![host],
        ];
        for headers in accepted {
            assert!(!is_cross_site(&post(&headers), &config), "{headers:?} must pass");
        }
        let get = Request::get("/").header("sec-fetch-site", "cross-site").body(()).unwrap();
        assert!(!is_cross_site(&get, &config));
    }

    #[test]
    fn a_host_may_trust_named_origins() {
        let config = config().trusted_origins(["https://admin.example.com"]).unwrap();
        let sibling = [("host", "app.example.com"), ("sec-fetch-site", "same-site")];
        let with = |origin| [sibling[0], sibling[1], ("origin", origin)];
        assert!(!is_cross_site(&post(&with("https://admin.example.com")), &config));
        assert!(is_cross_site(&post(&with("https://other.example.com")), &config));
        assert!(is_cross_site(&post(&with("http://admin.example.com")), &config));
        assert!(Config::new([7u8; 32]).unwrap().trusted_origins(["admin.example.com"]).is_err());
        assert!(Config::new([7u8; 32]).unwrap().trusted_origins(["https://a.example/path"]).is_err());
    }
}
