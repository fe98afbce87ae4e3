//! The browser's end of live push: one stream per page ([`LiveUpdates`]), whose events the lists on the page react
//! to. A revoked tab loads its page again, where the host's sign-in redirect says why; the devices list and the
//! history redraw themselves. Without JavaScript nothing of this runs, and pages are as they were.

// The #[island] macro's browser entry point keeps the island's reactive owner alive by forgetting it.
#![allow(clippy::mem_forget)]

use leptos::prelude::*;

/// The stream's path when the host does not say (as [`Config::live_path`]'s default).
///
/// [`Config::live_path`]: crate::engine::Config::live_path
pub const DEFAULT_LIVE_PATH: &str = "/api/sessions/live";

/// Keeps a signed-in page live: once another device, an administrator or a timeout ends this session, the page
/// loads again (and the host's sign-in redirect explains why), without anybody touching it. The devices section and
/// the login history include it; put it in the layout of every other signed-in page. Any number on one page open
/// one stream. A hidden tab closes its stream, and looks again when it is shown.
///
/// ```no_run
/// use leptos::prelude::*;
/// use leptos_sessions::ui::LiveUpdates;
///
/// #[component]
/// fn SignedInLayout(children: Children) -> impl IntoView {
///     view! { <main>{children()}</main> <LiveUpdates/> }
/// }
/// # fn main() {}
/// ```
#[component]
pub fn LiveUpdates(
    /// The stream's path, if the host moved it ([`Config::live_path`](crate::engine::Config::live_path)).
    #[prop(optional, into)]
    path: Option<String>,
) -> impl IntoView {
    // Rendered on the server, where the engine's configuration says the path (or that streams are off: no URL).
    let url = path.or_else(configured_path).unwrap_or_else(|| DEFAULT_LIVE_PATH.to_owned());
    view! { <div class="sessions-live" hidden><LiveStream url/></div> }
}

/// The engine's [`Config::live_path`](crate::engine::Config::live_path) for this request: `Some("")` when streams are
/// off, `None` where there is no engine to ask (the browser).
fn configured_path() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let sessions = use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<crate::engine::Sessions>().cloned())
            .or_else(use_context::<crate::engine::Sessions>)?;
        Some(sessions.config().live_stream_path().unwrap_or_default().to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    None
}

#[island]
fn LiveStream(url: String) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if !url.is_empty() {
            browser::start(url.clone());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// The names of the events the stream's messages become on `document`, for the lists on the page.
#[cfg(feature = "hydrate")]
pub(super) const DEVICES_EVENT: &str = "sessions:devices";
#[cfg(feature = "hydrate")]
pub(super) const HISTORY_EVENT: &str = "sessions:history";

/// Calls `f` on each of the page's `name` events (from the stream), for as long as the page lives.
#[cfg(feature = "hydrate")]
pub(super) fn on_document(name: &str, f: impl Fn() + 'static) {
    use leptos::wasm_bindgen::{closure::Closure, JsCast};
    let listener = Closure::<dyn Fn()>::new(f);
    let _ = document().add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
    listener.forget();
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use leptos::wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::EventSource;

    /// After a refusal (429, 503) the browser gives up on a stream; we try again, less and less often.
    const FIRST_RETRY_MS: i32 = 2_000;
    const LAST_RETRY_MS: i32 = 60_000;
    /// The page a tab loaded again because its session ended. Loading it again did not lead elsewhere (a host
    /// placed the stream on a page a signed-out person can see), so it must not load again: no loop.
    const RELOADED: &str = "sessions-live-reloaded";
    /// How long a tab that signed itself out has to leave before it is sent to the sign-in page anyway.
    const OWN_LOGOUT_MS: i32 = 500;
    /// How long news waits before the lists read again (see `dispatch_soon`).
    const SETTLE_MS: i32 = 150;

    struct Live {
        url: String,
        source: Option<EventSource>,
        /// Opened before: the next opening follows a gap, during which changes may have been missed.
        opened: bool,
        retry_ms: i32,
        ended: bool,
        /// This page is what loading it again gave.
        reloaded: bool,
        /// News the lists are about to be told.
        pending: std::collections::HashSet<&'static str>,
    }

    pub(super) fn start(url: String) {
        let Some(root) = document().document_element() else { return };
        if root.has_attribute("data-sessions-live") {
            return;
        }
        let _ = root.set_attribute("data-sessions-live", "");
        // The devices page also wants "Active now" kept fresh.
        let url = if document().query_selector(".sessions-devices-list").ok().flatten().is_some() {
            format!("{url}?activity")
        } else {
            url
        };
        let here = window().location().href().unwrap_or_default();
        let storage = window().session_storage().ok().flatten();
        let reloaded = storage.as_ref().and_then(|s| s.get_item(RELOADED).ok().flatten()).is_some_and(|h| h == here);
        if let Some(storage) = &storage {
            let _ = storage.remove_item(RELOADED);
        }
        let live = Rc::new(RefCell::new(Live {
            url,
            source: None,
            opened: false,
            retry_ms: FIRST_RETRY_MS,
            ended: false,
            reloaded,
            pending: Default::default(),
        }));
        if !document().hidden() {
            open(&live);
        }
        let again = live.clone();
        let on_visibility = Closure::<dyn Fn()>::new(move || {
            if document().hidden() {
                close(&again);
            } else if again.borrow().source.is_none() {
                open(&again);
            }
        });
        let _ = document().add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
        on_visibility.forget();
    }

    fn close(live: &Rc<RefCell<Live>>) {
        if let Some(source) = live.borrow_mut().source.take() {
            source.close();
            mark("closed");
        }
    }

    /// Where the page's stream stands, on `<html data-sessions-live>` (`open`, `closed`): for the host's scripts
    /// and the browser tests.
    fn mark(state: &str) {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-sessions-live", state);
        }
    }

    fn open(live: &Rc<RefCell<Live>>) {
        if live.borrow().ended {
            return;
        }
        let Ok(source) = EventSource::new(&live.borrow().url) else { return };
        let on = |name: &str, f: Box<dyn Fn()>| {
            let listener = Closure::<dyn Fn()>::wrap(f);
            let _ = source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            listener.forget();
        };
        let state = live.clone();
        on(
            "ready",
            Box::new(move || {
                // Back after a gap: what changed meanwhile was not pushed, so the lists look again. The first time,
                // the devices list looks once too: a sign-in between the page's render and this moment was not.
                let after_gap = state.borrow().opened;
                dispatch_soon(&state, super::DEVICES_EVENT);
                if after_gap {
                    dispatch_soon(&state, super::HISTORY_EVENT);
                }
                let mut live = state.borrow_mut();
                live.opened = true;
                // A live session's stream: a later ending is this page's to act on, whatever led here.
                live.reloaded = false;
                live.retry_ms = FIRST_RETRY_MS;
                mark("open");
            }),
        );
        let state = live.clone();
        let on_ended = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            state.borrow_mut().ended = true;
            close(&state);
            if state.borrow().reloaded {
                return;
            }
            // Signed out from this very browser (this tab's own Sign out, or another tab's): this tab's own
            // navigation, if it made one, is let go first.
            let own = event.data().as_string().is_some_and(|data| data.contains("\"logout\""));
            if own {
                let later = Closure::<dyn Fn()>::new(reload);
                let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
                    later.as_ref().unchecked_ref(),
                    OWN_LOGOUT_MS,
                );
                later.forget();
            } else {
                reload();
            }
        });
        let _ = source.add_event_listener_with_callback("ended", on_ended.as_ref().unchecked_ref());
        on_ended.forget();
        let state = live.clone();
        on("devices", Box::new(move || dispatch_soon(&state, super::DEVICES_EVENT)));
        let state = live.clone();
        on("history", Box::new(move || dispatch_soon(&state, super::HISTORY_EVENT)));
        let state = live.clone();
        let watched = source.clone();
        let on_error = Closure::<dyn Fn()>::new(move || {
            // The browser reconnects by itself after a dropped connection, not after a refusal.
            if watched.ready_state() != EventSource::CLOSED {
                return;
            }
            close(&state);
            let delay = {
                let mut live = state.borrow_mut();
                let delay = live.retry_ms;
                live.retry_ms = (delay * 2).min(LAST_RETRY_MS);
                delay
            };
            let state = state.clone();
            let retry = Closure::<dyn Fn()>::new(move || {
                if !document().hidden() && state.borrow().source.is_none() {
                    open(&state);
                }
            });
            let _ =
                window().set_timeout_with_callback_and_timeout_and_arguments_0(retry.as_ref().unchecked_ref(), delay);
            retry.forget();
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        live.borrow_mut().source = Some(source);
    }

    /// Tells the lists a moment later, once for a burst of news, and not at all if the session ended meanwhile: the
    /// news of a sign-out can come just before the ending itself, and a list that asked then would be refused.
    fn dispatch_soon(live: &Rc<RefCell<Live>>, name: &'static str) {
        if !live.borrow_mut().pending.insert(name) {
            return;
        }
        let state = live.clone();
        let later = Closure::<dyn Fn()>::new(move || {
            let ended = {
                let mut live = state.borrow_mut();
                live.pending.remove(name);
                live.ended
            };
            if !ended {
                dispatch(name);
            }
        });
        let _ =
            window().set_timeout_with_callback_and_timeout_and_arguments_0(later.as_ref().unchecked_ref(), SETTLE_MS);
        later.forget();
    }

    fn dispatch(name: &str) {
        if let Ok(event) = web_sys::Event::new(name) {
            let _ = document().dispatch_event(&event);
        }
    }

    fn reload() {
        if let (Some(storage), Ok(here)) = (window().session_storage().ok().flatten(), window().location().href()) {
            let _ = storage.set_item(RELOADED, &here);
        }
        let _ = window().location().reload();
    }
}
