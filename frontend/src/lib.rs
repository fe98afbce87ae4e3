//! The browser entry point: hydrates the islands of the server-rendered demo app.

// Links the demo's islands, and through it the library's: nothing else here names them.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
