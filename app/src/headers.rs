//! Security headers for every response of the demo site. The page's Content-Security-Policy carries the
//! per-response nonce Leptos puts on its inline scripts, so it is set where the page renders (`shell`).

use axum::body::Body;
use axum::extract::State;
use axum::middleware::Next;
use axum::response::Response;
use http::{header, HeaderValue, Request};

/// Axum middleware: `secure` adds HSTS (only meaningful, and only sent, when the site is served over HTTPS).
pub async fn security_headers(State(secure): State<bool>, req: Request<Body>, next: Next) -> Response {
    let static_file = req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    if !static_file && !h.contains_key(header::CACHE_CONTROL) {
        // Pages show who is signed in and from where: never keep them in shared or back-forward caches.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
        );
    }
    if secure {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    res
}

/// The policy of a rendered page: scripts only from this site or inline with this response's nonce, WASM
/// compilation allowed, nothing framed, forms only to this site.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}
