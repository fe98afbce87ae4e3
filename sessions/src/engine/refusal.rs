//! What the layer answers when it refuses a request itself: a typed rejection, which a host may render its own way.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Request, StatusCode};

use crate::error::ApiError;
use crate::i18n::I18n;

/// Why the session layer answered a request itself instead of passing it on.
///
/// The layer's own answer is short and unstyled: JSON (an [`ApiError`]) for server-function and API clients, one
/// line of text in the browser's language otherwise. The response carries this value in its extensions, so a host
/// that wants its own page maps those responses, for example with `axum::middleware::map_response` outside the
/// session layer:
///
/// ```no_run
/// use axum::response::{Html, IntoResponse, Response};
/// use leptos_sessions::engine::Refusal;
///
/// async fn own_page(res: Response) -> Response {
///     match res.extensions().get::<Refusal>().copied() {
///         Some(refusal) if !refusal.for_api() => {
///             let page = format!("<!doctype html><title>Sorry</title><h1>{}</h1>", refusal.message());
///             (refusal.status(), Html(page)).into_response()
///         }
///         _ => res,
///     }
/// }
/// // Router::new()….layer(sessions.layer()).layer(axum::middleware::map_response(own_page))
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A state-changing request from another site (`Sec-Fetch-Site`, or `Origin` against the trusted origins).
    CrossSite {
        /// The language the browser asked for.
        i18n: I18n,
        /// Whether the client asked for JSON rather than a page.
        api: bool,
    },
    /// The session store did not answer: the cookie is kept, since an outage is not a sign-out.
    Unavailable {
        /// The language the browser asked for.
        i18n: I18n,
        /// Whether the client asked for JSON rather than a page.
        api: bool,
    },
}

impl Refusal {
    pub(crate) fn cross_site<B>(req: &Request<B>) -> Self {
        let (i18n, api) = negotiate(req);
        Self::CrossSite { i18n, api }
    }

    pub(crate) fn unavailable<B>(req: &Request<B>) -> Self {
        let (i18n, api) = negotiate(req);
        Self::Unavailable { i18n, api }
    }

    /// The status the layer answers with: 403 or 503.
    pub fn status(self) -> StatusCode {
        match self {
            Self::CrossSite { .. } => StatusCode::FORBIDDEN,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The Fluent key of the message (`error-cross-site`, `error-unavailable`).
    pub fn message_key(self) -> &'static str {
        match self {
            Self::CrossSite { .. } => "error-cross-site",
            Self::Unavailable { .. } => "error-unavailable",
        }
    }

    /// The message in the browser's language.
    pub fn message(self) -> String {
        self.i18n().t(self.message_key())
    }

    /// The language negotiated from the request's `Accept-Language`.
    pub fn i18n(self) -> I18n {
        match self {
            Self::CrossSite { i18n, .. } | Self::Unavailable { i18n, .. } => i18n,
        }
    }

    /// Whether the client asked for JSON (a server function, an API call) rather than a page.
    pub fn for_api(self) -> bool {
        match self {
            Self::CrossSite { api, .. } | Self::Unavailable { api, .. } => api,
        }
    }
}

fn negotiate<B>(req: &Request<B>) -> (I18n, bool) {
    let header = |name| req.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let i18n = header(header::ACCEPT_LANGUAGE).map(I18n::from_accept_language).unwrap_or_default();
    let api = header(header::ACCEPT).is_some_and(|a| a.contains("json") && !a.contains("text/html"));
    (i18n, api)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response<Body> {
        let (content_type, body) = if self.for_api() {
            let error = match self {
                Self::Unavailable { .. } => ApiError::Unavailable,
                _ => ApiError::Invalid(self.message_key().to_owned()),
            };
            ("application/json", serde_json::to_string(&error).unwrap_or_default())
        } else {
            ("text/plain; charset=utf-8", self.message())
        };
        let mut res = Response::new(Body::from(body));
        *res.status_mut() = self.status();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Ok(lang) = HeaderValue::from_str(self.i18n().tag()) {
            headers.insert(header::CONTENT_LANGUAGE, lang);
        }
        if matches!(self, Self::Unavailable { .. }) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res.extensions_mut().insert(self);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(accept: &str, language: &str) -> Request<()> {
        Request::builder().header(header::ACCEPT, accept).header(header::ACCEPT_LANGUAGE, language).body(()).unwrap()
    }

    #[tokio::test]
    async fn pages_get_one_line_of_text_in_the_browser_s_language_and_api_clients_json() {
        let page = Refusal::cross_site(&request("text/html", "es")).into_response();
        assert_eq!(page.status(), 403);
        assert_eq!(page.headers()[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert_eq!(page.extensions().get::<Refusal>().map(|r| r.i18n().tag()), Some("es"));
        let body = axum::body::to_bytes(page.into_body(), 4096).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(text, I18n::for_tag("es").t("error-cross-site"));
        assert!(!text.contains('<'), "no markup: {text}");

        let api = Refusal::unavailable(&request("application/json", "en")).into_response();
        assert_eq!((api.status().as_u16(), &api.headers()[header::RETRY_AFTER]), (503, &HeaderValue::from_static("5")));
        let body = axum::body::to_bytes(api.into_body(), 4096).await.unwrap();
        assert_eq!(serde_json::from_slice::<ApiError>(&body).unwrap(), ApiError::Unavailable);
    }
}
