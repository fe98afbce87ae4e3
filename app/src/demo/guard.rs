//! Page-level access for the demo: signed-out visits to signed-in pages go to `/signin?next=…` and come back.

use axum::body::Body;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{Method, Request};

use crate::engine::CurrentSession;

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
        return Redirect::to(&format!("/signin?next={}", encode(target))).into_response();
    }
    if signed_in && public {
        return Redirect::to("/").into_response();
    }
    next.run(req).await
}

/// Where to go after signing in: only a local path, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.contains(['\r', '\n']) => {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/settings/sessions")), "/settings/sessions");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(encode("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }
}
