//! The colour theme: the system's by default, or the one chosen in the page footer. The choice is a cookie, so the
//! server renders every page in it and nothing flashes; the switch is three buttons of a plain form, so it works
//! without JavaScript.

use leptos::prelude::*;

use leptos_sessions::i18n::use_i18n;

/// The cookie that holds the choice; absent means "follow the system".
pub const COOKIE: &str = "theme";

/// A theme the footer offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn parse(value: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The value of `data-theme` on `<html>`: none when following the system.
    pub fn attribute(self) -> Option<&'static str> {
        (self != Theme::System).then_some(self.as_str())
    }
}

/// The theme this request's cookie asks for.
#[cfg(feature = "ssr")]
pub fn from_request() -> Theme {
    use_context::<http::request::Parts>().map_or(Theme::System, |parts| from_headers(&parts.headers))
}

#[cfg(feature = "ssr")]
fn from_headers(headers: &http::HeaderMap) -> Theme {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| Theme::parse(value))
        .unwrap_or_default()
}

/// `POST /theme`: stores the choice for a year and goes back to the page it was made on. A value it does not know
/// is a 400; the session layer has already refused a post from another site.
#[cfg(feature = "ssr")]
pub async fn choose(
    axum::extract::State(secure): axum::extract::State<bool>,
    headers: http::HeaderMap,
    axum::Form(form): axum::Form<Choice>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(theme) = Theme::parse(&form.theme) else {
        return (http::StatusCode::BAD_REQUEST, "unknown theme").into_response();
    };
    let back = back_to(&headers);
    let cookie = match theme {
        Theme::System => format!("{COOKIE}=; Path=/; Max-Age=0; SameSite=Lax"),
        other => format!("{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", other.as_str()),
    };
    let cookie = if secure { format!("{cookie}; Secure") } else { cookie };
    let mut res = axum::response::Redirect::to(&back).into_response();
    if let Ok(value) = http::HeaderValue::from_str(&cookie) {
        res.headers_mut().append(http::header::SET_COOKIE, value);
    }
    res
}

/// The form's one field.
#[cfg(feature = "ssr")]
#[derive(serde::Deserialize)]
pub struct Choice {
    theme: String,
}

/// The path (and query) of the page the form was on, from the Referer: never another site.
#[cfg(feature = "ssr")]
fn back_to(headers: &http::HeaderMap) -> String {
    let referer =
        headers.get(http::header::REFERER).and_then(|v| v.to_str().ok()).and_then(|r| r.parse::<http::Uri>().ok());
    let path = referer.as_ref().and_then(|uri| uri.path_and_query()).map(|p| p.as_str().to_owned());
    super::guard::safe_next(path.as_deref())
}

/// The footer's switch: three buttons, the current one pressed.
#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let current = use_context::<Theme>().unwrap_or_default();
    let buttons = Theme::ALL
        .into_iter()
        .map(|theme| {
            view! {
                <button
                    type="submit"
                    name="theme"
                    value=theme.as_str()
                    class="theme-option"
                    aria-pressed=if theme == current { "true" } else { "false" }
                >
                    {i18n.t(&format!("theme-{}", theme.as_str()))}
                </button>
            }
        })
        .collect_view();
    view! {
        <form class="theme-switch" method="post" action="/theme">
            <fieldset>
                <legend>{i18n.t("theme-legend")}</legend>
                <div class="theme-options">{buttons}</div>
            </fieldset>
        </form>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_picks_the_theme_and_anything_else_follows_the_system() {
        let with = |cookie: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::COOKIE, http::HeaderValue::from_str(cookie).unwrap());
            from_headers(&headers)
        };
        assert_eq!(with("a=b; theme=dark"), Theme::Dark);
        assert_eq!(with("theme=light"), Theme::Light);
        assert_eq!(with("theme=purple"), Theme::System);
        assert_eq!(with("xtheme=dark"), Theme::System);
        assert_eq!(from_headers(&http::HeaderMap::new()), Theme::System);
    }

    #[test]
    fn the_way_back_never_leaves_the_site() {
        let back = |referer: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::REFERER, http::HeaderValue::from_str(referer).unwrap());
            back_to(&headers)
        };
        assert_eq!(back("http://127.0.0.1:3000/settings/sessions?done=device"), "/settings/sessions?done=device");
        assert_eq!(back("https://evil.example//elsewhere"), "/");
        assert_eq!(back_to(&http::HeaderMap::new()), "/");
    }
}
