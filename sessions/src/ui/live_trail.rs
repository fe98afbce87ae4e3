//! New login-history entries, shown while the page is open: on the stream's `history` event the page is read again
//! and each history list (`section.sessions-history`, `section.sessions-recent`) takes the new one's place. The
//! lists are worded on the server, so the browser needs no formatting code; nothing focusable is replaced.

// The #[island] macro's browser entry point keeps the island's reactive owner alive by forgetting it.
#![allow(clippy::mem_forget)]

use leptos::prelude::*;

/// Place once beside the history lists of a page; "Your login history has new entries" is said politely.
#[island]
pub(super) fn LiveTrail(
    /// What is said when new entries arrive, in the page's language.
    heard_text: String,
) -> impl IntoView {
    let heard = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    {
        // Hydrating the whole page, the lists are the host's reactive components: they are asked to read again.
        // In islands mode this island has no such context, and the lists are plain HTML it may replace.
        let changes = use_context::<super::device_list::Changes>();
        let busy = StoredValue::new(super::device_list::Refreshing::No);
        super::live::on_document(super::live::HISTORY_EVENT, move || match changes {
            Some(changes) => changes.0.update(|n| *n += 1),
            None => browser::refresh(heard, heard_text.clone(), busy),
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = heard_text;
    view! { <p class="sessions-visually-hidden" aria-live="polite">{move || heard.get()}</p> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;

    use super::super::device_list::Refreshing;

    const SECTIONS: &str = "section.sessions-history, section.sessions-recent";
    const LIST: &str = ":scope > ol.sessions-events, :scope > p.sessions-empty";

    pub(super) fn refresh(heard: RwSignal<String>, text: String, busy: StoredValue<Refreshing>) {
        // An older page keeps what its reader is reading; only the first shows new entries.
        let search = window().location().search().unwrap_or_default();
        let page = web_sys::UrlSearchParams::new_with_str(&search).ok().and_then(|q| q.get("page"));
        if page.is_some_and(|p| p != "1") {
            return;
        }
        // One read at a time; news that arrives meanwhile is read once it is over.
        match busy.get_value() {
            Refreshing::No => busy.set_value(Refreshing::Yes),
            Refreshing::Yes | Refreshing::Again => return busy.set_value(Refreshing::Again),
        }
        leptos::task::spawn_local(async move {
            let changed = replace_lists().await.unwrap_or(false);
            let again = busy.get_value() == Refreshing::Again;
            busy.set_value(Refreshing::No);
            if changed {
                super::super::local_time::rewrite();
                heard.set(text.clone());
            }
            if again {
                refresh(heard, text, busy);
            }
        });
    }

    /// Reads this page again and puts each history list of the new one in its place; true if any differs.
    async fn replace_lists() -> Option<bool> {
        // Not `Accept: text/html`: a page load clears an ended session's cookie, and the page the stream then loads
        // would no longer be told why it was signed out.
        let init = web_sys::RequestInit::new();
        init.set_cache(web_sys::RequestCache::NoStore);
        let url = window().location().href().ok()?;
        let response = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str_and_init(&url, &init))
            .await
            .ok()?
            .dyn_into::<web_sys::Response>()
            .ok()?;
        // Signed out meanwhile, or redirected: the stream's own `ended` takes care of the page.
        if !response.ok() || response.redirected() {
            return None;
        }
        let html = wasm_bindgen_futures::JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
        let fresh = web_sys::DomParser::new().ok()?.parse_from_string(&html, web_sys::SupportedType::TextHtml).ok()?;
        let (old_sections, new_sections) =
            (document().query_selector_all(SECTIONS).ok()?, fresh.query_selector_all(SECTIONS).ok()?);
        let mut changed = false;
        for i in 0..old_sections.length().min(new_sections.length()) {
            let element = |list: &web_sys::NodeList| list.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok());
            let (Some(old), Some(new)) = (element(&old_sections), element(&new_sections)) else { continue };
            let (Some(old_list), Some(new_list)) =
                (old.query_selector(LIST).ok().flatten(), new.query_selector(LIST).ok().flatten())
            else {
                continue;
            };
            if signature(&old_list) == signature(&new_list) {
                continue;
            }
            let adopted = document().import_node_with_deep(&new_list, true).ok()?;
            changed |= old_list.replace_with_with_node_1(&adopted).is_ok();
        }
        Some(changed)
    }

    /// What the list says, to tell a new list from the same one read again: its events' kinds and times.
    fn signature(list: &web_sys::Element) -> String {
        let Ok(times) = list.query_selector_all("li.sessions-event time[datetime]") else { return String::new() };
        (0..times.length())
            .filter_map(|i| times.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()))
            .filter_map(|t| t.get_attribute("datetime"))
            .collect::<Vec<_>>()
            .join(",")
    }
}
