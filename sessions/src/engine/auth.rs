//! How a session started: the method (password, oauth, passkey, …), provider, detail, and the identity typed.

use serde_json::{Map, Value};

use crate::identity::normalize_identity;

/// The methods the devices page and history know by name; anything else is stored as given (clamped).
pub const METHODS: &[&str] =
    &["password", "oauth", "google_one_tap", "passkey", "magic_link", "otp", "sso", "token", "unknown"];

/// Describes the sign-in the host is about to record.
///
/// ```
/// use leptos_sessions::engine::Auth;
/// let auth = Auth::oauth("GitHub").identity("  Ada@Example.com ").second_factor("webauthn");
/// assert_eq!(auth.method(), "oauth");
/// assert_eq!(auth.provider_name(), Some("github"));
/// assert_eq!(auth.identity_typed(), Some("ada@example.com"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Auth {
    method: String,
    provider: Option<String>,
    detail: Map<String, Value>,
    identity: Option<String>,
}

impl Auth {
    /// Any method by name: one of [`METHODS`], or your own tag.
    pub fn new(method: &str) -> Self {
        Self { method: clamp(&method.trim().to_lowercase(), 32), ..Self::default() }
    }
    /// A password sign-in.
    pub fn password() -> Self {
        Self::new("password")
    }
    /// An OAuth sign-in through `provider` (`github`, `google`, …).
    pub fn oauth(provider: &str) -> Self {
        Self::new("oauth").provider(provider)
    }
    /// A single sign-on (SAML, OIDC) through `provider`.
    pub fn sso(provider: &str) -> Self {
        Self::new("sso").provider(provider)
    }
    /// A passkey (WebAuthn) sign-in.
    pub fn passkey() -> Self {
        Self::new("passkey")
    }
    /// A sign-in through an emailed link.
    pub fn magic_link() -> Self {
        Self::new("magic_link")
    }
    /// A one-time code sign-in (TOTP, SMS or email code).
    pub fn otp() -> Self {
        Self::new("otp")
    }
    /// Google One Tap (provider `google`).
    pub fn google_one_tap() -> Self {
        Self::new("google_one_tap").provider("google")
    }
    /// A token sign-in (an API token exchange, say).
    pub fn token() -> Self {
        Self::new("token")
    }

    /// The identity provider, e.g. `github` (stored lower-cased).
    pub fn provider(mut self, provider: &str) -> Self {
        let p = clamp(&provider.trim().to_lowercase(), 64);
        self.provider = (!p.is_empty()).then_some(p);
        self
    }

    /// The identity as the user typed it (email, username); stored trimmed and lower-cased.
    pub fn identity(mut self, typed: &str) -> Self {
        self.identity = normalize_identity(typed);
        self
    }

    /// The second factor that completed this sign-in: `totp`, `webauthn`, `recovery_code`, …
    pub fn second_factor(self, factor: &str) -> Self {
        let factor = clamp(&factor.trim().to_lowercase(), 32);
        self.detail("second_factor", factor)
    }

    /// Any other fact worth keeping with the session (`remembered`, `scopes`, …).
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.detail.insert(clamp(key, 64), value.into());
        self
    }

    /// The method as given, trimmed and lower-cased (at most 32 characters); `unknown` when empty.
    pub fn method(&self) -> &str {
        if self.method.is_empty() {
            "unknown"
        } else {
            &self.method
        }
    }
    /// False for [`Auth::new`]`("")`: a failure recorded without saying how it was attempted.
    pub(crate) fn method_given(&self) -> bool {
        !self.method.is_empty()
    }
    /// The provider, lower-cased; `None` when none was given.
    pub fn provider_name(&self) -> Option<&str> {
        self.provider.as_deref()
    }
    /// The identity as typed, normalized by [`normalize_identity`]; `None` when none was given.
    pub fn identity_typed(&self) -> Option<&str> {
        self.identity.as_deref()
    }
    pub(crate) fn detail_json(&self) -> Option<Value> {
        (!self.detail.is_empty()).then(|| Value::Object(self.detail.clone()))
    }
}

pub(crate) fn clamp(s: &str, chars: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(chars).collect()
}

/// Maps loose tags onto the known methods ("github" is OAuth with provider github, "webauthn" is a passkey, …);
/// anything unrecognized is kept as given.
pub(crate) fn classify(auth: &Auth) -> Auth {
    const PROVIDERS: &[&str] = &["google", "github", "gitlab", "apple", "microsoft", "facebook", "twitter", "linkedin"];
    let mut out = auth.clone();
    match auth.method() {
        m if PROVIDERS.contains(&m) => {
            out.method = "oauth".into();
            out.provider = out.provider.or_else(|| Some(m.to_owned()));
        }
        "webauthn" | "security_key" => out.method = "passkey".into(),
        "magic-link" | "magiclink" | "email_link" => out.method = "magic_link".into(),
        "totp" | "sms" | "email_code" => out.method = "otp".into(),
        "saml" | "oidc" => out.method = "sso".into(),
        "" => out.method = "unknown".into(),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_tags_are_classified() {
        assert_eq!(classify(&Auth::new("GitHub")).method(), "oauth");
        assert_eq!(classify(&Auth::new("GitHub")).provider_name(), Some("github"));
        assert_eq!(classify(&Auth::new("webauthn")).method(), "passkey");
        assert_eq!(classify(&Auth::new("")).method(), "unknown");
        assert_eq!(classify(&Auth::new("custom_thing")).method(), "custom_thing");
        assert_eq!(classify(&Auth::password()), Auth::password());
    }
}
