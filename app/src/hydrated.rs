//! The marker browser tests wait for before clicking, so they never race hydration.

// The #[island] macro's browser entry point keeps the island's reactive owner alive by forgetting it.
#![allow(clippy::mem_forget)]

use leptos::prelude::*;

/// `data-hydrated="true"` once the islands before it have hydrated: islands hydrate in the order of the page, so
/// the last one marks them all.
#[island]
pub fn Hydrated() -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! { <span hidden data-hydrated=move || hydrated.get().to_string()></span> }
}
