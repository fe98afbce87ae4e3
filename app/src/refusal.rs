//! The demo's own page for the session layer's refusals (a cross-site post, the session store unreachable), in
//! place of the layer's one line of text. API clients keep the layer's JSON.

use axum::response::{Html, IntoResponse, Response};
use leptos_sessions::engine::Refusal;

/// Axum `map_response` middleware, outside the session layer.
pub async fn page(res: Response) -> Response {
    let Some(refusal) = res.extensions().get::<Refusal>().copied().filter(|r| !r.for_api()) else { return res };
    crate::add_messages();
    let i18n = refusal.i18n();
    let escape = |s: String| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/pkg/sessions.css\"></head><body><main class=\"auth\">\
         <a class=\"brand brand-centered\" href=\"/\"><span class=\"brand-mark\" aria-hidden=\"true\"></span>{name}</a>\
         <div class=\"card auth-card\"><h1>{title}</h1><p role=\"alert\">{message}</p>\
         <p class=\"auth-switch\"><a href=\"/\">{home}</a></p></div></main></body></html>",
        lang = i18n.tag(),
        title = escape(i18n.t("refusal-title")),
        name = escape(i18n.t("app-name")),
        message = escape(refusal.message()),
        home = escape(i18n.t("refusal-home")),
    );
    let mut page = (refusal.status(), Html(html)).into_response();
    // What the layer said about caching and retrying still holds.
    for name in [http::header::CACHE_CONTROL, http::header::RETRY_AFTER] {
        if let Some(value) = res.headers().get(&name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    page.extensions_mut().insert(refusal);
    page
}
