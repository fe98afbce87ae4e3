//! Times in the reader's own time zone. The server knows only UTC and says so ("14:58 UTC"); once the page is live,
//! this island rewrites each `<time data-local>` in the browser's zone and language, keeping the UTC words as its
//! tooltip, and draws the history's day separators again by the reader's calendar. Without JavaScript the UTC
//! times and days stay, labelled.

// The #[island] macro's browser entry point keeps the island's reactive owner alive by forgetting it.
#![allow(clippy::mem_forget)]

use leptos::prelude::*;

/// Place once anywhere on a page (more than once does no harm: a rewritten time loses its marker).
#[island]
pub(super) fn LocalTimes() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| rewrite());
}

#[cfg(feature = "hydrate")]
pub(super) fn rewrite() {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    let document = document();
    let lang = document.document_element().and_then(|html| html.get_attribute("lang")).unwrap_or_else(|| "en".into());
    regroup(&lang);
    let Ok(found) = document.query_selector_all("time[data-local]") else { return };
    for i in 0..found.length() {
        let Some(element) = found.item(i).and_then(|node| node.dyn_into::<web_sys::Element>().ok()) else { continue };
        let (Some(iso), Some(style)) = (element.get_attribute("datetime"), element.get_attribute("data-local")) else {
            continue;
        };
        let date = js_sys::Date::new(&JsValue::from_str(&iso));
        if date.get_time().is_nan() {
            continue;
        }
        let options = js_sys::Object::new();
        let set = |key: &str, value: &str| js_sys::Reflect::set(&options, &key.into(), &value.into()).is_ok();
        let ok = match style.as_str() {
            "date" => set("dateStyle", "long"),
            _ => set("dateStyle", "medium") && set("timeStyle", "short"),
        };
        if !ok {
            continue;
        }
        let local = String::from(date.to_locale_string(&lang, &options));
        if let Some(utc) = element.text_content() {
            let _ = element.set_attribute("title", &utc);
        }
        element.set_text_content(Some(&local));
        let _ = element.remove_attribute("data-local");
    }
}

/// Re-draws the day separators of each history list by the reader's calendar: the server grouped by UTC days, and
/// an event near midnight belongs to the reader's previous or next day.
#[cfg(feature = "hydrate")]
fn regroup(lang: &str) {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    let document = document();
    let Ok(lists) = document.query_selector_all("ol.sessions-events[data-days]") else { return };
    for i in 0..lists.length() {
        let Some(list) = lists.item(i).and_then(|node| node.dyn_into::<web_sys::Element>().ok()) else { continue };
        let _ = list.remove_attribute("data-days");
        let Ok(separators) = list.query_selector_all(":scope > li.sessions-day") else { continue };
        for j in 0..separators.length() {
            if let Some(separator) = separators.item(j).and_then(|node| node.dyn_into::<web_sys::Element>().ok()) {
                separator.remove();
            }
        }
        let Ok(events) = list.query_selector_all(":scope > li.sessions-event") else { continue };
        let mut day = String::new();
        for j in 0..events.length() {
            let Some(event) = events.item(j).and_then(|node| node.dyn_into::<web_sys::Element>().ok()) else {
                continue;
            };
            let Some(iso) =
                event.query_selector("time[datetime]").ok().flatten().and_then(|t| t.get_attribute("datetime"))
            else {
                continue;
            };
            let date = js_sys::Date::new(&JsValue::from_str(&iso));
            if date.get_time().is_nan() {
                continue;
            }
            let options = js_sys::Object::new();
            if js_sys::Reflect::set(&options, &"dateStyle".into(), &"long".into()).is_err() {
                continue;
            }
            let this_day = String::from(date.to_locale_date_string(lang, &options));
            if this_day != day {
                let Ok(separator) = document.create_element("li") else { continue };
                separator.set_class_name("sessions-day");
                separator.set_text_content(Some(&this_day));
                let _ = list.insert_before(&separator, Some(&event));
                day = this_day;
            }
        }
    }
}
