//! `/admin/sessions`: the operator's triage page. Live sessions of every user with filters and revocation, the
//! trail's triage views, and an hourly chart. Only accounts with the admin flag see it (`server admin grant
//! <email>`); everyone else, signed out or not, gets the site's 404 page.

mod api;
mod chart;
mod sessions;
mod trail;
pub mod view;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use self::api::{admin_access, admin_per_hour};
use self::view::Query;
use super::layout::SignedInLayout;
use leptos_sessions::error::ApiError;
use leptos_sessions::i18n::{use_i18n, I18n};

pub use api::{
    admin_link, AdminAccess, AdminCountries, AdminFailures, AdminHistory, AdminLink, AdminNewDevices, AdminPerHour,
    AdminRevoke, AdminRevokeAll, AdminSessions,
};

/// The URL query names the page reads.
const NAMES: &[&str] = &["view", "email", "ip", "country", "method", "device", "state", "by", "sort", "dir", "page"];

/// The page's views, as `?view=` names and their tab labels.
const VIEWS: &[(&str, &str)] = &[
    ("sessions", "admin-tab-sessions"),
    ("failures", "admin-tab-failures"),
    ("new-devices", "admin-tab-new-devices"),
    ("countries", "admin-tab-countries"),
    ("history", "admin-tab-history"),
];

#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let access = Resource::new(|| (), |_| admin_access());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(()) => view! { <Console/> }.into_any(),
                    Err(ApiError::NotFound) => view! { <super::pages::NotFound/> }.into_any(),
                    Err(e) => {
                        view! {
                            <Title text=i18n.t("admin-title")/>
                            <SignedInLayout>
                                <p class="sessions-error" role="alert">{e.message(i18n)}</p>
                            </SignedInLayout>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Console() -> impl IntoView {
    let i18n = use_i18n();
    let query = Memo::new(move |_| {
        let params = use_query_map().read();
        Query::new(NAMES.iter().filter_map(|n| params.get(n).map(|v| ((*n).to_owned(), v))))
    });
    let current = Memo::new(move |_| query.with(view_of));
    let hours = Resource::new(|| (), |_| admin_per_hour());
    let tabs = VIEWS
        .iter()
        .map(|(name, label)| {
            let href = format!("?view={name}");
            view! {
                <a href=href class="admin-tab" aria-current=move || (current.get() == *name).then_some("page")>
                    {i18n.t(label)}
                </a>
            }
        })
        .collect_view();
    view! {
        <Title text=i18n.t("admin-title")/>
        <SignedInLayout>
            <div class="admin">
                <header class="admin-header">
                    <h1>{i18n.t("admin-title")}</h1>
                    <p class="sessions-intro">{i18n.t("admin-intro")}</p>
                </header>
                <section class="card admin-card" aria-labelledby="admin-activity-title">
                    <h2 id="admin-activity-title">{i18n.t("admin-activity-title")}</h2>
                    <Suspense fallback=move || loading(i18n)>
                        {move || Suspend::new(async move {
                            match hours.await {
                                Ok(hours) => view! { <chart::HourlyChart hours/> }.into_any(),
                                Err(e) => error(i18n, e),
                            }
                        })}
                    </Suspense>
                </section>
                <nav class="admin-tabs" aria-label=i18n.t("admin-views")>{tabs}</nav>
                <section class="card admin-card">
                    {move || {
                        let view = current.get();
                        let query = for_view(query, view);
                        match view {
                            "failures" => view! { <trail::FailuresTab query/> }.into_any(),
                            "new-devices" => view! { <trail::NewDevicesTab query/> }.into_any(),
                            "countries" => view! { <trail::CountriesTab query/> }.into_any(),
                            "history" => view! { <trail::HistoryTab query/> }.into_any(),
                            _ => view! { <sessions::SessionsTab query/> }.into_any(),
                        }
                    }}
                </section>
            </div>
        </SignedInLayout>
    }
}

/// The view a query asks for (`sessions` unless it names another).
fn view_of(q: &Query) -> &'static str {
    VIEWS.iter().map(|(n, _)| *n).find(|n| q.get("view") == Some(*n)).unwrap_or("sessions")
}

/// The query as one view sees it: it stops changing once the URL moves to another view, so the view being replaced
/// does not start a fetch of its own (whose pending read would outlive the view).
fn for_view(query: Memo<Query>, view: &'static str) -> Memo<Query> {
    Memo::new(move |previous: Option<&Query>| {
        let q = query.get();
        match previous {
            Some(previous) if view_of(&q) != view => previous.clone(),
            _ => q,
        }
    })
}

fn loading(i18n: I18n) -> impl IntoView {
    view! { <p class="sessions-loading">{i18n.t("admin-loading")}</p> }
}

fn error(i18n: I18n, e: ApiError) -> AnyView {
    view! { <p class="sessions-error" role="alert">{e.message(i18n)}</p> }.into_any()
}

/// A column header that sorts by `column` (`default` is the column the list is sorted by when the URL says none).
#[component]
fn SortHeader(
    query: Memo<Query>,
    column: &'static str,
    default: &'static str,
    label: String,
    /// Right-aligned, over a column of numbers.
    #[prop(optional)]
    numeric: bool,
) -> impl IntoView {
    let link = move || query.with(|q| q.sort_link(column, default));
    view! {
        <th scope="col" class:admin-number=numeric aria-sort=move || link().1>
            <a href=move || link().0 class="admin-sort">{label}</a>
        </th>
    }
}

/// "Previous" and "Next" links around the current page.
/// The frame every list view shares: the header row and the rows in a scrolling table, then the pager.
#[component]
fn AdminTable(query: Memo<Query>, has_more: bool, head: AnyView, body: AnyView) -> impl IntoView {
    view! {
        <div class="admin-table-wrap">
            <table class="admin-table">
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        <Pager query has_more/>
    }
}

#[component]
fn Pager(query: Memo<Query>, has_more: bool) -> impl IntoView {
    let i18n = use_i18n();
    let page = query.with_untracked(Query::page);
    let prev = (page > 1).then(|| query.with_untracked(|q| q.with(&[("page", Some(&(page - 1).to_string()))])));
    let next = has_more.then(|| query.with_untracked(|q| q.with(&[("page", Some(&(page + 1).to_string()))])));
    (prev.is_some() || next.is_some()).then(|| {
        view! {
            <nav class="sessions-pager" aria-label=i18n.t("admin-pages")>
                {prev.map(|href| view! { <a href=href rel="prev">{i18n.t("admin-page-prev")}</a> })}
                <span class="admin-page-number">{i18n.t_with("admin-page-number", &[("page", page.into())])}</span>
                {next.map(|href| view! { <a href=href rel="next">{i18n.t("admin-page-next")}</a> })}
            </nav>
        }
    })
}
