//! A fast site on a slow phone (feature `assets`): the browser bundle served precompressed and cached for a year
//! under content-hashed names, and pages and server-function answers compressed as they are sent.
//!
//! The bundle's files are compressed once, at build time, at the highest settings (`name.wasm.br` and
//! `name.wasm.gz` beside `name.wasm`); each request gets the smallest one its `Accept-Encoding` allows. A file whose
//! name carries a content hash (`sessions.1f0c9a2b7d3e4f56.wasm`: cargo-leptos's `hash-files`, or this repository's
//! `scripts/assets.mjs`) never changes, so browsers keep it for a year without asking again; any other file there
//! is revalidated on each use. Pages are compressed on the fly (brotli at a speed-minded level, or gzip).
//!
//! Pages a visitor reached from another site are sent uncompressed. A compressed page's size says something about
//! its content: a page that shows personal data beside something another site put in its address could leak that
//! data, a byte at a time, to someone who watches the sizes (the BREACH attack). The session token never is in a
//! page (it travels only in a cookie header, which is not compressed), but addresses and emails are.

use std::path::Path;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use http::{header, HeaderValue};
use leptos::config::LeptosOptions;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// `router` with the site's package directory (`/pkg`, from `options`) served precompressed and cached, and every
/// other response it holds compressed where the client accepts it and the request came from this site. Call it
/// after adding the routes and the fallback, before the session layer.
///
/// ```no_run
/// use axum::Router;
/// use leptos::config::LeptosOptions;
///
/// fn app(router: Router<LeptosOptions>, options: &LeptosOptions) -> Router<LeptosOptions> {
///     leptos_sessions::assets::serve(router, options)
/// }
/// ```
pub fn serve<S>(router: Router<S>, options: &LeptosOptions) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let pkg = Router::new().fallback_service(files).layer(axum::middleware::from_fn(cache_for));
    // The layers wrap what the router holds so far: pages, server functions, the fallback. The package directory,
    // nested after them, is precompressed instead and holds nothing personal.
    router
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(same_site_only))
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg)
}

/// A year for a hashed name (it never changes), revalidation for any other; either way the answer depends on
/// `Accept-Encoding`, which shared caches must know.
async fn cache_for(req: Request, next: Next) -> Response {
    let immutable = hashed(req.uri().path());
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status() == http::StatusCode::NOT_MODIFIED {
        let policy = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        res.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

/// Whether a file name carries a content hash: a dot-separated part of 10 or more letters, digits, `-` or `_`
/// between the name and the extension, with at least one digit (`sessions.1f0c9a2b7d3e4f56.wasm`).
fn hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() >= 10
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && part.chars().any(|c| c.is_ascii_digit())
        })
}

/// Compression only for requests this site started, or the visitor typed, as the browser says in `Sec-Fetch-Site`;
/// a client that does not say gets the page uncompressed.
async fn same_site_only(mut req: Request<Body>, next: Next) -> Response {
    let site = req.headers().get("sec-fetch-site").map(HeaderValue::as_bytes);
    if !matches!(site, Some(b"same-origin" | b"none")) {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::hashed;

    #[test]
    fn hashed_names_are_told_apart_from_plain_ones() {
        for name in ["/pkg/sessions.1f0c9a2b7d3e4f56.wasm", "/pkg/host.Ab3-_x9ZqW7kLm.js", "/pkg/app.0123456789.css"] {
            assert!(hashed(name), "{name}");
        }
        for name in ["/pkg/sessions.wasm", "/pkg/sessions_bg.wasm", "/pkg/jquery.min.js", "/pkg/a.abcdefghijkl.js"] {
            assert!(!hashed(name), "{name}");
        }
    }
}
