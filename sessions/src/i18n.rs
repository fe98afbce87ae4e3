//! Every user-visible string comes from the Fluent files in this crate's `locales/`, and from the host's own, if
//! it adds them with [`add_host_messages`].
//!
//! The language is negotiated once per request from `Accept-Language` on the server, written to `<html lang>`, and
//! read back from there when the page hydrates, so both sides render the same words.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, StaticLoader};
use leptos::prelude::*;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Isolation marks around placeables break copy/paste and text assertions; our UI has no bidi mixing.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static HOST: OnceLock<&'static StaticLoader> = OnceLock::new();

/// Makes [`I18n::t`] look up the host's own Fluent messages first, then the library's: one lookup for the whole
/// page, and a host can reword any of ours by defining the same key. Call it before the first render, on the server
/// and in the browser alike (the app's root component is a good place); the first loader given stays, and the
/// result says whether this one did.
///
/// ```no_run
/// fluent_templates::static_loader! {
///     static MESSAGES = { locales: "./locales", fallback_language: "en" };
/// }
/// leptos_sessions::i18n::add_host_messages(&MESSAGES);
/// ```
pub fn add_host_messages(loader: &'static StaticLoader) -> bool {
    HOST.set(loader).is_ok() || HOST.get().is_some_and(|kept| std::ptr::eq(*kept, loader))
}

/// Languages shipped in `locales/`, the first is the default.
pub const LANGUAGES: &[&str] = &["en", "es"];

/// The negotiated language of the current page; `Copy`, so components can capture it freely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct I18n {
    tag: &'static str,
}

impl Default for I18n {
    fn default() -> Self {
        Self { tag: LANGUAGES[0] }
    }
}

impl I18n {
    /// The language for a tag such as `es`; unknown tags fall back to the default language.
    pub fn for_tag(tag: &str) -> Self {
        let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        LANGUAGES.iter().find(|l| **l == primary).map(|tag| Self { tag }).unwrap_or_default()
    }

    /// The language a browser prefers, from an `Accept-Language` header value (highest `q` first).
    #[cfg(feature = "ssr")]
    pub fn from_accept_language(header: &str) -> Self {
        let mut wanted: Vec<(&str, f32)> = header
            .split(',')
            .take(32)
            .filter_map(|item| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (!tag.is_empty() && q > 0.0).then_some((tag, q))
            })
            .collect();
        // Stable: equal weights keep the browser's order.
        wanted.sort_by(|a, b| b.1.total_cmp(&a.1));
        let shipped = |tag: &str| {
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            LANGUAGES.iter().find(|l| l.eq_ignore_ascii_case(primary)).map(|tag| Self { tag })
        };
        wanted.iter().find_map(|(tag, _)| shipped(tag)).unwrap_or_default()
    }

    /// The language tag, one of [`LANGUAGES`].
    pub fn tag(self) -> &'static str {
        self.tag
    }

    fn langid(self) -> LanguageIdentifier {
        self.tag.parse().expect("LANGUAGES holds valid tags")
    }

    /// The message `key`.
    pub fn t(self, key: &str) -> String {
        self.try_t(key).unwrap_or_else(|| LOCALES.lookup(&self.langid(), key))
    }

    /// The message `key`, or `None` when no language has it (for open vocabularies such as reasons).
    pub fn try_t(self, key: &str) -> Option<String> {
        let lang = self.langid();
        HOST.get().and_then(|host| host.try_lookup(&lang, key)).or_else(|| LOCALES.try_lookup(&lang, key))
    }

    /// The message `key` with arguments, e.g. `i18n.t_with("active-ago", &[("n", 3.into()), ("unit", "hour".into())])`.
    pub fn t_with(self, key: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> =
            args.iter().map(|(k, v)| (Cow::Borrowed(*k), v.clone())).collect();
        let lang = self.langid();
        HOST.get()
            .and_then(|host| host.try_lookup_with_args(&lang, key, &args))
            .unwrap_or_else(|| LOCALES.lookup_with_args(&lang, key, &args))
    }
}

/// Negotiates the page language and provides it to every component below. Call it once at the root of the app.
///
/// ```no_run
/// use leptos::prelude::*;
///
/// #[component]
/// fn App() -> impl IntoView {
///     let i18n = leptos_sessions::i18n::provide_i18n();
///     view! { <p>{i18n.t("devices-title")}</p> }
/// }
/// # fn main() {}
/// ```
pub fn provide_i18n() -> I18n {
    if let Some(existing) = use_context::<I18n>() {
        return existing;
    }
    let i18n = detect();
    provide_context(i18n);
    i18n
}

/// The page language provided by [`provide_i18n`] (the default language when none was).
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn detect() -> I18n {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(I18n::from_accept_language)
        })
        .unwrap_or_default()
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn detect() -> I18n {
    document()
        .document_element()
        .and_then(|html| html.get_attribute("lang"))
        .map(|tag| I18n::for_tag(&tag))
        .unwrap_or_default()
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn detect() -> I18n {
    I18n::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_every_language() {
        let en = include_str!("../locales/en/sessions.ftl");
        let es = include_str!("../locales/es/sessions.ftl");
        let keys = |s: &str| -> Vec<String> {
            let mut k: Vec<String> = s
                .lines()
                .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.to_owned()))
                .collect();
            k.sort();
            k
        };
        assert_eq!(keys(en), keys(es));
    }

    #[test]
    fn plurals_and_arguments_render_without_isolation_marks() {
        let en = I18n::for_tag("en-GB");
        assert_eq!(en.t_with("active-ago", &[("n", 1.into()), ("unit", "hour".into())]), "Active 1 hour ago");
        assert_eq!(en.t_with("active-ago", &[("n", 5.into()), ("unit", "minute".into())]), "Active 5 minutes ago");
        let es = I18n::for_tag("es");
        assert_eq!(es.t_with("active-ago", &[("n", 2.into()), ("unit", "day".into())]), "Activo hace 2 días");
        assert_eq!(es.t("devices-title"), "Tus dispositivos");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn accept_language_picks_the_best_shipped_language() {
        assert_eq!(I18n::from_accept_language("es-MX,es;q=0.9,en;q=0.8").tag(), "es");
        assert_eq!(I18n::from_accept_language("fr-FR,en;q=0.5").tag(), "en");
        assert_eq!(I18n::from_accept_language("de").tag(), "en");
        assert_eq!(I18n::from_accept_language("").tag(), "en");
        assert_eq!(I18n::from_accept_language("es;q=0, en;q=0.3").tag(), "en");
        assert_eq!(I18n::from_accept_language("*;q=0.5, ES-es").tag(), "es");
        assert_eq!(I18n::from_accept_language("en;q=0.1,es;q=0.9").tag(), "es");
    }
}
