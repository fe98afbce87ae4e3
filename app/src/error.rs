//! The one error type server functions return. Each variant maps to an HTTP status and a localized message.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::i18n::I18n;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
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
    /// Input the user can fix; the payload is a Fluent message key.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Transport or decoding failure reported by the server-function machinery.
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::ServerFn(value)
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
            ApiError::Unavailable => 503,
            ApiError::ServerFn(_) => 500,
        }
    }

    /// The message to show the user, in their language.
    pub fn message(&self, i18n: I18n) -> String {
        match self {
            ApiError::Unauthorized => i18n.t("error-unauthorized"),
            ApiError::NotFound => i18n.t("error-not-found"),
            ApiError::CannotRevokeCurrent => i18n.t("error-cannot-revoke-current"),
            ApiError::ReauthRequired => i18n.t("error-reauth-required"),
            ApiError::Unavailable => i18n.t("error-unavailable"),
            ApiError::Invalid(key) => i18n.t(key),
            ApiError::ServerFn(_) => i18n.t("error-generic"),
        }
    }
}
