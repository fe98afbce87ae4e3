//! Page-level access for the demo: signed-out visits to signed-in pages go to `/signin?next=…` and come back.

use axum::body::Body;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{Method, Request};

use leptos_sessions::engine::{CurrentSession, SessionEnded};

/// Pages anyone may see; everything else that is a page needs a session.
const PUBLIC_PAGES: &[&str] = &["/signin", "/signup"];

/// Axum middleware; put it inside (before) the session layer so the session is already resolved.
pub async fn require_sign_in(req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = matches!(*req.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && !path.contains('.')
        && path != "/healthz";
    if !is_page {
        return next.run(req).await;
    }
    let signed_in = req.extensions().get::<CurrentSession>().is_some();
    let public = PUBLIC_PAGES.contains(&path);
    // The admin page answers 404 to everyone but administrators; a sign-in redirect would reveal that it exists.
    let admin = path == "/admin" || path.starts_with("/admin/");
    if !signed_in && !public && !admin {
        let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let why = req.extensions().get::<SessionEnded>().and_then(|e| ended_notice(&e.reason));
        let why = why.map(|w| format!("&ended={w}")).unwrap_or_default();
        return Redirect::to(&format!("/signin?next={}{why}", leptos_sessions::ui::encode_query(target)))
            .into_response();
    }
    if signed_in && public {
        return Redirect::to("/").into_response();
    }
    next.run(req).await
}

/// Which notice the sign-in page shows a browser whose session ended elsewhere (`signed-out-<notice>`); none for
/// endings the person made here or that replaced the session with a newer one.
pub fn ended_notice(reason: &str) -> Option<&'static str> {
    match reason {
        "user_revoked" | "logout_everywhere" => Some("device"),
        "password_change" | "password_reset" => Some("password"),
        "expired" => Some("expired"),
        "admin_revoked" | "account_disabled" => Some("admin"),
        "pruned" => Some("pruned"),
        _ => None,
    }
}

/// Where to go after signing in: a path-absolute URL on this site, or `/`.
///
/// Browsers forgive a lot in `Location` (they drop tabs and newlines, read `\\` as `/`), so anything a browser
/// could read as another host is refused outright rather than cleaned: whitespace or control characters
/// anywhere, a backslash anywhere, a second leading slash, and anything `http::Uri` does not parse as a bare
/// path and query.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else { return "/".to_owned() };
    let bytes = next.as_bytes();
    let local = bytes.first() == Some(&b'/')
        && bytes.get(1) != Some(&b'/')
        && !next.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\' || is_invisible(c))
        && next.len() <= 2048
        && next
            .parse::<http::Uri>()
            .is_ok_and(|uri| uri.scheme().is_none() && uri.authority().is_none() && uri.path().starts_with('/'));
    if local {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// Format characters (bidi controls, zero-width) that some URL parsers drop before reading the host.
fn is_invisible(c: char) -> bool {
    leptos_sessions::engine::is_format_char(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        for good in ["/", "/settings/sessions", "/settings/sessions/history?page=2", "/a%2F%2Fb", "/%09x"] {
            assert_eq!(safe_next(Some(good)), good, "{good:?} is a local path");
        }
        // Every shape that a browser, a URL parser or a proxy has been seen to read as another host.
        let bypasses = [
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example/",
            "/\n/evil.example",
            "/\r/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/\u{b}/evil.example",
            "/\u{c}/evil.example",
            "/\u{a0}/evil.example",
            "/\u{3000}/evil.example",
            "/\u{200b}/evil.example",
            "/\u{202e}/evil.example",
            "/\u{feff}/evil.example",
            "https://evil.example/",
            "http:/evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "data:text/html,x",
            "evil.example",
            "./evil",
            "",
        ];
        for bad in bypasses {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?} must not be followed");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(5000)))), "/");
        assert_eq!(leptos_sessions::ui::encode_query("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }
}
