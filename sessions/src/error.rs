//! The one error type server functions return. Each variant maps to an HTTP status and a localized message.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::i18n::I18n;

/// What the server functions fail with. Each variant has an HTTP status ([`ApiError::status`]) and a
/// localized message ([`ApiError::message`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No live session: the cookie is missing, tampered with, or its session has ended.
    #[error("not signed in")]
    Unauthorized,
    /// The id is not one of the signed-in user's live sessions (another user's included).
    #[error("not found")]
    NotFound,
    /// The current session cannot be logged out from the devices page.
    #[error("cannot revoke the current session")]
    CannotRevokeCurrent,
    /// The action needs a recently confirmed password ("sudo mode").
    #[error("re-authentication required")]
    ReauthRequired,
    /// The session store did not answer; nothing changed.
    #[error("session store unavailable")]
    Unavailable,
    /// Input the user can fix; the payload is a Fluent message key, shown only when it is one of ours (`error-…`).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Too many attempts, or too many at once: try again after this many seconds (429 with `Retry-After`). The key
    /// says which (`error-rate-limited`, `error-overloaded`).
    #[error("too many attempts; retry after {1} s")]
    TooMany(String, u32),
    /// Transport or decoding failure reported by the server-function machinery.
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    /// Arguments that do not decode (malformed JSON or form data, a missing or repeated field, `page=1e30`) are
    /// the caller's mistake: a 400 with our own message, never the parser's text.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_) => {
                crate::context::fail(ApiError::Invalid("error-bad-request".into()))
            }
            other => ApiError::ServerFn(other),
        }
    }
}

impl ApiError {
    /// The status a server function answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthorized => 401,
            ApiError::ReauthRequired => 403,
            ApiError::NotFound => 404,
            ApiError::CannotRevokeCurrent | ApiError::Invalid(_) => 400,
            ApiError::TooMany(..) => 429,
            ApiError::Unavailable => 503,
            ApiError::ServerFn(_) => 500,
        }
    }

    /// The message to show the user, in their language.
    pub fn message(&self, i18n: I18n) -> String {
        i18n.try_t(self.message_key()).unwrap_or_else(|| i18n.t("error-generic"))
    }

    /// Every key [`ApiError::message_key`] answers with for our own errors (a host may add its own `error-…` keys).
    pub const MESSAGE_KEYS: &'static [&'static str] = &[
        "error-unauthorized",
        "error-not-found",
        "error-cannot-revoke-current",
        "error-reauth-required",
        "error-unavailable",
        "error-bad-request",
        "error-overloaded",
        "error-generic",
    ];

    /// The messages a host's password check may answer the confirm dialog with (`ApiError::Invalid(key)` or
    /// `TooMany(key, _)`); the devices list carries the host's words for those it has (the demo's `demo.ftl`).
    pub const REAUTH_MESSAGE_KEYS: &'static [&'static str] = &["error-wrong-password", "error-rate-limited"];

    /// The Fluent key of [`ApiError::message`].
    pub fn message_key(&self) -> &str {
        match self {
            ApiError::Unauthorized => "error-unauthorized",
            ApiError::NotFound => "error-not-found",
            ApiError::CannotRevokeCurrent => "error-cannot-revoke-current",
            ApiError::ReauthRequired => "error-reauth-required",
            ApiError::Unavailable => "error-unavailable",
            // The key may come from the URL (`?__err=` after a form post without JavaScript): show only our own
            // error messages, never text a link chose.
            ApiError::Invalid(key) | ApiError::TooMany(key, _) if key.starts_with("error-") => key,
            ApiError::Invalid(_) | ApiError::TooMany(..) | ApiError::ServerFn(_) => "error-generic",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_error_messages_are_shown() {
        let en = I18n::for_tag("en");
        let generic = en.t("error-generic");
        assert_ne!(ApiError::Invalid("error-bad-request".into()).message(en), generic);
        for chosen in ["Your account is locked, call +1 555", "app-name", "error-no-such-key", ""] {
            assert_eq!(ApiError::Invalid(chosen.into()).message(en), generic, "{chosen:?}");
            assert_eq!(ApiError::TooMany(chosen.into(), 5).message(en), generic, "{chosen:?}");
        }
        assert_eq!(ApiError::TooMany("error-rate-limited".into(), 5).status(), 429);
    }
}
