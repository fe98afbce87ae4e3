//! The interactive list of devices, a Leptos island. In a host in islands mode it is all of the devices section the
//! browser runs, so every word it shows comes in its props, written on the server: the browser bundle carries no
//! message catalogue and no date or device-name formatting.

// The #[island] macro's browser entry point keeps the island's reactive owner alive by forgetting it.
#![allow(clippy::mem_forget)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::icons::DeviceIcon;
use crate::api::{RevokeDevice, RevokeOtherDevices};
use crate::error::ApiError;

/// One device, as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub(super) id: String,
    pub(super) current: bool,
    /// The device type, for the icon; `kind_label` says it in words.
    pub(super) kind: String,
    pub(super) kind_label: String,
    pub(super) name: String,
    /// The session's own page, when the host has one.
    pub(super) href: Option<String>,
    /// How the session started, when that is not a password ("Passkey", "GitHub").
    pub(super) method: Option<String>,
    /// The flag, if any, and "London, United Kingdom".
    pub(super) place: Option<(Option<String>, String)>,
    /// The address, and its tooltip.
    pub(super) ip: Option<(String, String)>,
    pub(super) activity: String,
    pub(super) active_now: bool,
    pub(super) signed_in: String,
    pub(super) signed_in_iso: String,
    /// "Log out Chrome 137 on macOS", for screen readers.
    pub(super) log_out_label: String,
    /// "Chrome 137 on macOS has been logged out.": each logout is announced in words of its own.
    pub(super) logged_out: String,
    /// "Chrome 137 on macOS just signed in from London, United Kingdom.", announced when the row appears live.
    pub(super) appeared: String,
    /// Appeared while the page was open (set in the browser).
    #[serde(default)]
    pub(super) arrived: bool,
}

/// The words every row or the list as a whole may show, in the page's language.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Texts {
    pub(super) this_device: String,
    pub(super) log_out: String,
    pub(super) method_title: String,
    pub(super) location_title: String,
    pub(super) sign_out_others: String,
    pub(super) hint: String,
    pub(super) empty: String,
    pub(super) confirm_link: String,
    /// Above the logout offered again once the password is confirmed.
    pub(super) retry_intro: String,
    /// The confirm-password dialog: its title, what it asks, the field's label and the button.
    pub(super) dialog_title: String,
    pub(super) dialog_intro: String,
    pub(super) password_label: String,
    pub(super) confirm: String,
    pub(super) cancel: String,
    /// A device logged out by a plain form post (its name is no longer on the page).
    pub(super) done_device: String,
    /// "N other sessions have been signed out", for the N the page expects (0, 1 and the number of other devices
    /// listed); worded once each, not once per possible N.
    pub(super) others_done: Vec<(u64, String)>,
    /// The same without a number, for any other N (devices signed in or out since the page was rendered).
    pub(super) others_done_more: String,
    /// Each error message by its Fluent key ([`ApiError::message_key`]).
    pub(super) errors: Vec<(String, String)>,
}

impl Texts {
    fn error(&self, e: &ApiError) -> String {
        let find = |key: &str| self.errors.iter().find(|(k, _)| k == key).map(|(_, text)| text.clone());
        find(e.message_key()).or_else(|| find("error-generic")).unwrap_or_default()
    }

    fn others_done(&self, n: u64) -> String {
        self.others_done.iter().find(|(count, _)| *count == n).map_or(&self.others_done_more, |(_, text)| text).clone()
    }
}

/// What a plain form post (no JavaScript) left in the page's URL: the device (or `others`) whose logout waits for
/// the password to be confirmed, or what was done (`device`, `others`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct FromUrl {
    pub(super) retry: Option<String>,
    pub(super) done: Option<String>,
}

/// Counts the changes the list made, where it shares [`super::DevicesSection`]'s context (a host hydrating the
/// whole page), so the recent history below it refreshes.
#[derive(Clone, Copy)]
pub(super) struct Changes(pub(super) RwSignal<usize>);

/// What every row reports to: the outcome to announce, and who is gone.
#[derive(Clone, Copy)]
struct ListState {
    /// The latest outcome, numbered: each one renders as a new message, so it is announced even when its words
    /// repeat the last ones.
    status: RwSignal<Option<(usize, Result<String, ApiError>)>>,
    gone: RwSignal<Vec<String>>,
    all_others_gone: RwSignal<bool>,
    /// The logout refused for want of a recent password (a device id or `others`), carried through the confirm page.
    retry: RwSignal<Option<String>>,
    /// Where focus goes after an outcome. The button that was pressed is hidden with its row, and the next row's
    /// button would take its place under the keyboard or the mouse: a second Enter must not log out another device.
    message: NodeRef<leptos::html::Div>,
}

impl ListState {
    fn report(self, outcome: Result<String, ApiError>) {
        let done = outcome.is_ok();
        self.status.update(|status| {
            let seq = status.as_ref().map_or(0, |(seq, _)| seq + 1);
            *status = Some((seq, outcome));
        });
        focus_later(self.message);
        if done {
            if let Some(changes) = use_context::<Changes>() {
                changes.0.update(|n| *n += 1);
            }
        }
    }
}

/// Focuses `target` once the outcome just reported has been rendered into it.
fn focus_later(target: NodeRef<leptos::html::Div>) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        if let Some(element) = target.get_untracked() {
            let _ = element.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = target;
}

/// The devices, "Log out" on each other one, "sign out everywhere else", and what happened.
#[island]
pub(super) fn DeviceList(
    rows: Vec<Row>,
    texts: Texts,
    reauth_href: Option<String>,
    reauth_action: Option<String>,
    from_url: FromUrl,
    /// As [`super::DevicesSection`]'s, for the rows that appear live.
    detail_href: Option<String>,
) -> impl IntoView {
    let texts = StoredValue::new(texts);
    let first_rows = rows.clone();
    let rows = RwSignal::new(rows);
    // What the live stream changed, said to screen readers (politely: focus stays where it is).
    let heard = RwSignal::new(String::new());

    let revoke_others = ServerAction::<RevokeOtherDevices>::new();
    let revoke = ServerAction::<RevokeDevice>::new();
    // A plain form post's outcome, from the URL: the effects below only ever run in a browser.
    let url_error = revoke
        .value()
        .get_untracked()
        .and_then(Result::err)
        .or_else(|| revoke_others.value().get_untracked().and_then(Result::err));
    let url_status = match (&url_error, from_url.done.as_deref()) {
        (Some(e), _) => Some((0, Err(e.clone()))),
        (None, Some("device")) => Some((0, Ok(texts.with_value(|t| t.done_device.clone())))),
        (None, Some("others")) => Some((0, Ok(texts.with_value(|t| t.others_done_more.clone())))),
        _ => None,
    };
    let state = ListState {
        status: RwSignal::new(url_status),
        gone: RwSignal::new(Vec::new()),
        all_others_gone: RwSignal::new(false),
        retry: RwSignal::new(from_url.retry.clone().filter(|_| url_error.is_some())),
        message: NodeRef::new(),
    };
    #[cfg(feature = "hydrate")]
    {
        let refreshing = StoredValue::new(Refreshing::No);
        super::live::on_document(super::live::DEVICES_EVENT, move || {
            refresh_rows(rows, heard, state, detail_href.clone(), refreshing);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = detail_href;
    let others = first_rows.iter().filter(|r| !r.current).count();
    let dialog = Dialog::new(reauth_action);
    Effect::new(move |_| {
        if let Some(outcome) = revoke_others.value().get() {
            match &outcome {
                Ok(_) => state.all_others_gone.set(true),
                Err(ApiError::ReauthRequired) => {
                    state.retry.set(Some("others".into()));
                    if dialog.open() {
                        return;
                    }
                }
                Err(_) => {}
            }
            state.report(outcome.map(|n| texts.with_value(|t| t.others_done(n))));
        }
    });
    // The session may have ended under us (revoked elsewhere): reload so the host's sign-in redirect takes over.
    Effect::new(move |_| {
        if matches!(state.status.get(), Some((_, Err(ApiError::Unauthorized)))) {
            reload();
        }
    });

    let status = move || match state.status.get()?.1 {
        Ok(done) => Some(view! { <p class="sessions-notice" role="status">{done}</p> }.into_any()),
        Err(e) => {
            let link = matches!(e, ApiError::ReauthRequired).then(|| reauth_href.clone()).flatten().map(|href| {
                // Back to this page with the same logout offered again, so nothing has to be found twice.
                let back = match state.retry.get() {
                    Some(retry) => format!("{}?revoke={}", current_path(), super::encode_query(&retry)),
                    None => current_path(),
                };
                let href = format!("{href}?next={}", super::encode_query(&back));
                view! { " " <a href=href>{texts.with_value(|t| t.confirm_link.clone())}</a> }
            });
            let message = texts.with_value(|t| t.error(&e));
            Some(view! { <p class="sessions-error" role="alert">{message} {link}</p> }.into_any())
        }
    };
    let none_left = Memo::new(move |_| {
        state.all_others_gone.get()
            || rows.with(|rows| state.gone.with(|gone| rows.iter().all(|r| r.current || gone.contains(&r.id))))
    });
    // One action for every row (one per row made a long list's page measurably slower to render); the id it was
    // dispatched with is noted when it starts, as the action forgets it once it completes.
    let revoking = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        if let Some(input) = revoke.input().get() {
            revoking.set_value(Some(input.id));
        }
    });
    let logged_out = move |id: &str| {
        rows.with_untracked(|rows| rows.iter().find(|r| r.id == id).map(|r| r.logged_out.clone()).unwrap_or_default())
    };
    Effect::new(move |_| {
        if let Some(outcome) = revoke.value().get() {
            let id = revoking.get_value();
            match (&outcome, &id) {
                (Ok(()), Some(id)) => state.gone.update(|gone| gone.push(id.clone())),
                (Err(ApiError::ReauthRequired), Some(id)) => {
                    state.retry.set(Some(id.clone()));
                    if dialog.open() {
                        return;
                    }
                }
                _ => {}
            }
            let words = id.as_deref().map(logged_out).unwrap_or_default();
            state.report(outcome.map(|()| words));
        }
    });
    // Back from the confirm page: the logout that was refused, offered again with focus on it.
    let offered = from_url.retry.filter(|_| url_error.is_none()).and_then(|retry| {
        let label = if retry == "others" {
            (others > 0).then(|| texts.with_value(|t| t.sign_out_others.clone()))
        } else {
            first_rows.iter().find(|r| r.id == retry && !r.current).map(|r| r.log_out_label.clone())
        }?;
        Some((retry, label))
    });
    let retry_button = NodeRef::<leptos::html::Button>::new();
    // `autofocus` covers a page load; arriving by the router's navigation, focus is moved once the page is live.
    Effect::new(move |_| {
        if let Some(button) = retry_button.get() {
            let _ = button.focus();
        }
    });
    let retry_prompt = offered.map(|(retry, label)| {
        let (intro, cancel) = texts.with_value(|t| (t.retry_intro.clone(), t.cancel.clone()));
        let button = move || {
            view! {
                <button type="submit" class="sessions-button sessions-button-danger" autofocus node_ref=retry_button>
                    {label.clone()}
                </button>
            }
        };
        let form = if retry == "others" {
            view! { <ActionForm action=revoke_others>{button()}</ActionForm> }.into_any()
        } else {
            view! {
                <ActionForm action=revoke>
                    <input type="hidden" name="id" value=retry.clone()/>
                    {button()}
                </ActionForm>
            }
            .into_any()
        };
        // Hidden once anything happens on the list, like the rows it stands for.
        view! {
            <div
                class="sessions-retry"
                role="group"
                aria-labelledby="sessions-retry-intro"
                hidden=move || state.status.with(Option::is_some)
            >
                <p id="sessions-retry-intro">{intro}</p>
                <div class="sessions-retry-actions">
                    {form}
                    <a class="sessions-button sessions-button-secondary" href=current_path()>{cancel}</a>
                </div>
            </div>
        }
    });
    // Confirmed in the dialog: the refused logout goes through at once. Closed any other way: the message and the
    // confirm page's link take over.
    let confirmed = move || match state.retry.get_untracked().as_deref() {
        Some("others") => {
            revoke_others.dispatch(RevokeOtherDevices {});
        }
        Some(id) => {
            revoke.dispatch(RevokeDevice { id: id.to_owned() });
        }
        None => {}
    };
    let dismissed = move || state.report(Err(ApiError::ReauthRequired));
    let dialog_view = dialog.enabled().then(|| view! { <ConfirmDialog dialog texts confirmed dismissed/> });
    view! {
        {dialog_view}
        // Focusable from script only, so the focus moved here after an outcome takes no extra Tab stop.
        <div class="sessions-status" aria-live="polite" tabindex="-1" node_ref=state.message>
            {status}
        </div>
        {retry_prompt}
        <p class="sessions-visually-hidden" aria-live="polite">{move || heard.get()}</p>
        <ul class="sessions-list" aria-labelledby="sessions-devices-title">
            <For each=move || rows.get() key=|row| row.id.clone() let(row)>
                <DeviceItem row rows texts state revoke/>
            </For>
        </ul>
        <Show when=move || none_left.get()>
            <p class="sessions-empty">{texts.with_value(|t| t.empty.clone())}</p>
        </Show>
        <Show when=move || !none_left.get()>
            <div class="sessions-others">
                <ActionForm action=revoke_others>
                    <button type="submit" class="sessions-button sessions-button-danger">
                        {texts.with_value(|t| t.sign_out_others.clone())}
                    </button>
                </ActionForm>
                <p class="sessions-hint">{texts.with_value(|t| t.hint.clone())}</p>
            </div>
        </Show>
    }
}

#[component]
fn DeviceItem(
    row: Row,
    /// The whole list, where a live refresh puts this row's newer activity and place.
    rows: RwSignal<Vec<Row>>,
    texts: StoredValue<Texts>,
    state: ListState,
    revoke: ServerAction<RevokeDevice>,
) -> impl IntoView {
    let (current, row_id) = (row.current, row.id.clone());
    // Hidden, not removed, once logged out: a row is the same element for the server and the browser.
    let gone = move || !current && (state.all_others_gone.get() || state.gone.with(|g| g.contains(&row_id)));
    // Only the words this row shows: cloning all of them per row cost a long list more than its rendering.
    let (method_title, location_title, this_device, log_out) = texts
        .with_value(|t| (t.method_title.clone(), t.location_title.clone(), t.this_device.clone(), t.log_out.clone()));
    let method = row
        .method
        .map(|label| view! { <span class="sessions-badge sessions-badge-method" title=method_title>{label}</span> });
    // What a live refresh may change while the row stays: the rest of it is the same session's for good.
    let this = row.id.clone();
    let latest = Memo::new(move |_| {
        rows.with(|rows| {
            rows.iter()
                .find(|r| r.id == this)
                .map(|r| (r.place.clone(), r.ip.clone(), r.activity.clone(), r.active_now))
        })
    });
    let place = move || {
        latest.get().and_then(|l| l.0).map(|(flag, label)| {
            view! {
                <span class="sessions-place" title=location_title.clone()>
                    {flag.map(|f| view! { <span class="sessions-flag" aria-hidden="true">{f}" "</span> })}
                    {label}
                </span>
                {super::SEPARATOR}
            }
        })
    };
    let ip = move || {
        latest.get().and_then(|l| l.1).map(|(ip, title)| {
            view! { <span class="sessions-ip" title=title>{ip}</span> {super::SEPARATOR} }
        })
    };
    let activity = move || latest.get().map(|l| l.2).unwrap_or_default();
    let active_now = move || latest.get().is_some_and(|l| l.3);
    let id = row.id.clone();
    let action = if row.current {
        view! { <span class="sessions-badge sessions-badge-current">{this_device}</span> }.into_any()
    } else {
        view! {
            <ActionForm action=revoke attr:class="sessions-revoke">
                <input type="hidden" name="id" value=id/>
                // A double click's second click would land on whichever row moved under the pointer.
                <button
                    type="submit"
                    class="sessions-button sessions-button-secondary"
                    aria-label=row.log_out_label
                    disabled=move || revoke.pending().get()
                    on:click=|ev| {
                        if ev.detail() > 1 {
                            ev.prevent_default();
                        }
                    }
                >
                    {log_out}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <li class="sessions-device" class:is-current=row.current class:is-new=row.arrived data-device-id=row.id hidden=gone>
            // The type is written out beside the name; the icon only repeats it.
            <span class="sessions-device-icon" aria-hidden="true">
                <DeviceIcon kind=row.kind/>
            </span>
            <div class="sessions-device-body">
                <p class="sessions-device-name">
                    {match row.href {
                        Some(href) => view! { <a class="sessions-device-link" href=href>{row.name}</a> }.into_any(),
                        None => row.name.into_any(),
                    }}
                    " "
                    <span class="sessions-device-kind">{row.kind_label}</span>
                    {method}
                </p>
                <p class="sessions-device-meta">
                    {place}
                    {ip}
                    <span class="sessions-activity" class:is-active=active_now>{activity}</span>
                    {super::SEPARATOR}
                    <time datetime=row.signed_in_iso>{row.signed_in}</time>
                </p>
            </div>
            <div class="sessions-device-action">{action}</div>
        </li>
    }
}

/// The in-place confirm-password step, where the host names its password check (`reauth_action`).
#[derive(Clone, Copy)]
struct Dialog {
    action: StoredValue<Option<String>>,
    element: NodeRef<leptos::html::Dialog>,
    password: NodeRef<leptos::html::Input>,
    error: RwSignal<Option<String>>,
    checking: RwSignal<bool>,
    /// Set when the password was confirmed, so closing the dialog then is not a cancel.
    confirmed: StoredValue<bool>,
}

impl Dialog {
    fn new(action: Option<String>) -> Self {
        Self {
            action: StoredValue::new(action),
            element: NodeRef::new(),
            password: NodeRef::new(),
            error: RwSignal::new(None),
            checking: RwSignal::new(false),
            confirmed: StoredValue::new(false),
        }
    }

    fn enabled(self) -> bool {
        self.action.with_value(Option::is_some)
    }

    /// Opens the dialog with the focus in its password field; false where there is none to open.
    fn open(self) -> bool {
        #[cfg(feature = "hydrate")]
        if let (true, Some(element)) = (self.enabled(), self.element.get_untracked()) {
            self.error.set(None);
            self.confirmed.set_value(false);
            if element.show_modal().is_ok() {
                if let Some(input) = self.password.get_untracked() {
                    input.set_value("");
                    let _ = input.focus();
                }
                return true;
            }
        }
        false
    }
}

/// "Confirm your password", in place: a modal dialog (the browser traps focus in it and Escape cancels it) whose
/// form posts the password to the host's check and, once it answers yes, lets the refused logout go through.
#[component]
fn ConfirmDialog(
    dialog: Dialog,
    texts: StoredValue<Texts>,
    confirmed: impl Fn() + Copy + Send + Sync + 'static,
    dismissed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let (title, intro, label, confirm, cancel) = texts.with_value(|t| {
        (t.dialog_title.clone(), t.dialog_intro.clone(), t.password_label.clone(), t.confirm.clone(), t.cancel.clone())
    });
    // Only the browser submits it.
    #[cfg(not(feature = "hydrate"))]
    let _ = confirmed;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let (Some(url), Some(input)) = (dialog.action.get_value(), dialog.password.get_untracked()) else { return };
            let password = input.value();
            dialog.checking.set(true);
            leptos::task::spawn_local(async move {
                let outcome = check_password(&url, &password).await;
                dialog.checking.set(false);
                match outcome {
                    Ok(()) => {
                        dialog.confirmed.set_value(true);
                        if let Some(element) = dialog.element.get_untracked() {
                            element.close();
                        }
                        confirmed();
                    }
                    Err(e) => {
                        dialog.error.set(Some(texts.with_value(|t| t.error(&e))));
                        input.set_value("");
                        let _ = input.focus();
                    }
                }
            });
        }
    };
    let cancel_click = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(element) = dialog.element.get_untracked() {
            element.close();
        }
    };
    let on_close = move |_| {
        if !dialog.confirmed.get_value() {
            dismissed();
        }
    };
    view! {
        <dialog class="sessions-dialog" aria-labelledby="sessions-dialog-title" node_ref=dialog.element on:close=on_close>
            <form on:submit=submit>
                <h3 id="sessions-dialog-title">{title}</h3>
                <p class="sessions-intro">{intro}</p>
                {move || dialog.error.get().map(|e| view! { <p class="sessions-error" role="alert">{e}</p> })}
                <label for="sessions-dialog-password">{label}</label>
                <input
                    id="sessions-dialog-password"
                    type="password"
                    autocomplete="current-password"
                    required
                    node_ref=dialog.password
                />
                <div class="sessions-dialog-actions">
                    <button type="submit" class="sessions-button sessions-button-danger" disabled=move || dialog.checking.get()>
                        {confirm}
                    </button>
                    <button type="button" class="sessions-button sessions-button-secondary" on:click=cancel_click>
                        {cancel}
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// Posts `password` to the host's check; any 2xx is a yes, anything else the error it answers with.
#[cfg(feature = "hydrate")]
async fn check_password(url: &str, password: &str) -> Result<(), ApiError> {
    use leptos::server_fn::error::FromServerFnError;
    use leptos::wasm_bindgen::JsCast;
    let unavailable = |_| ApiError::Unavailable;
    let body = web_sys::UrlSearchParams::new().map_err(unavailable)?;
    body.append("password", password);
    let headers = web_sys::Headers::new().map_err(unavailable)?;
    headers.set("Accept", "application/json").map_err(unavailable)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&body);
    let response = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str_and_init(url, &init))
        .await
        .map_err(unavailable)?
        .dyn_into::<web_sys::Response>()
        .map_err(unavailable)?;
    if response.ok() {
        return Ok(());
    }
    let text =
        wasm_bindgen_futures::JsFuture::from(response.text().map_err(unavailable)?).await.map_err(unavailable)?;
    Err(ApiError::de(text.as_string().unwrap_or_default().into()))
}

/// The page the section is on, for coming back after confirming the password.
fn current_path() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().pathname().unwrap_or_else(|_| "/".into())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        leptos_router::hooks::use_location().pathname.get_untracked()
    }
}

/// Reloads the page (in the browser), so the host's sign-in redirect takes over once the session has ended.
pub(super) fn reload() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().reload();
    }
}

/// Whether the rows are being read again, and whether they must be once more after that.
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Refreshing {
    No,
    Yes,
    Again,
}

/// Reads the rows again (worded on the server, like the first ones) and says what changed. A refresh asked for
/// while one is under way runs again once it is over.
#[cfg(feature = "hydrate")]
fn refresh_rows(
    rows: RwSignal<Vec<Row>>,
    heard: RwSignal<String>,
    state: ListState,
    detail_href: Option<String>,
    refreshing: StoredValue<Refreshing>,
) {
    // One read at a time; a refresh asked for meanwhile runs once it is over.
    match refreshing.get_value() {
        Refreshing::No => refreshing.set_value(Refreshing::Yes),
        Refreshing::Yes | Refreshing::Again => return refreshing.set_value(Refreshing::Again),
    }
    leptos::task::spawn_local(async move {
        let fresh = super::devices::device_rows(detail_href.clone()).await;
        let again = refreshing.get_value() == Refreshing::Again;
        refreshing.set_value(Refreshing::No);
        if again {
            refresh_rows(rows, heard, state, detail_href, refreshing);
        }
        match fresh {
            Ok(fresh) => {
                // This page's own logouts were announced already.
                let (gone, all_gone) = (state.gone.get_untracked(), state.all_others_gone.get_untracked());
                let said = rows.with_untracked(|old| {
                    let came = fresh.iter().filter(|r| !old.iter().any(|o| o.id == r.id)).map(|r| r.appeared.clone());
                    let went = old
                        .iter()
                        .filter(|o| !fresh.iter().any(|r| r.id == o.id))
                        .filter(|o| !all_gone && !gone.contains(&o.id))
                        .map(|o| o.logged_out.clone());
                    came.chain(went).collect::<Vec<_>>().join(" ")
                });
                let mut fresh = fresh;
                rows.with_untracked(|old| {
                    for row in &mut fresh {
                        row.arrived = !old.iter().any(|o| o.id == row.id);
                    }
                });
                rows.set(fresh);
                if !said.is_empty() {
                    heard.set(said);
                }
            }
            // Signed out meanwhile: the page loads again and the host's sign-in redirect takes over.
            Err(ApiError::Unauthorized) => reload(),
            Err(_) => {}
        }
    });
}
