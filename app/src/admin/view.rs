//! What the admin page shows (plain data on the wire) and its state, which lives in the URL so every view, filter,
//! sort and page can be linked, bookmarked and used without JavaScript.

use serde::{Deserialize, Serialize};

use leptos_sessions::data::{DeviceFields, EventView, PlaceView};

/// Rows per page of every admin list.
pub const PAGE_SIZE: u32 = 25;

/// One registry row, with its owner's email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSessionView {
    pub id: String,
    pub user_id: String,
    /// `None` when the account no longer exists.
    pub email: Option<String>,
    pub device: DeviceFields,
    pub ip_address: Option<String>,
    pub place: Option<PlaceView>,
    pub auth_method: String,
    pub auth_provider: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ended_at: Option<i64>,
    pub ended_reason: Option<String>,
}

/// Failed sign-ins sharing an address or a typed identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureView {
    pub key: String,
    pub attempts: u64,
    pub distinct: u64,
    pub countries: Vec<String>,
    pub first_at: i64,
    pub last_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryView {
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub logins: u64,
    pub failures: u64,
    pub users: u64,
}

/// A flagged sign-in with the account it signed in to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeviceView {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub event: EventView,
}

/// Sign-ins and failed sign-ins in one hour (unix seconds of its start).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourView {
    pub hour: i64,
    pub logins: u64,
    pub failures: u64,
}

/// One page of a list, with the server's clock for relative times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage<T> {
    pub rows: Vec<T>,
    pub has_more: bool,
    pub now: i64,
}

/// A user's full trail, failures typed against their email included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserHistoryView {
    pub user_id: String,
    pub email: String,
    pub live_sessions: u64,
    pub events: Vec<EventView>,
    pub has_more: bool,
}

/// The page's URL query: `(name, value)` pairs in a fixed order, empty values left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut pairs: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.trim().is_empty()).collect();
        pairs.sort();
        Query(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn owned(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| v.trim().to_owned())
    }

    /// 1-based page number, within bounds.
    pub fn page(&self) -> u32 {
        self.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).clamp(1, 10_000)
    }

    /// `?…` with `changes` applied (`None` removes a name). Changing anything but the page starts at page 1.
    pub fn with(&self, changes: &[(&str, Option<&str>)]) -> String {
        let mut pairs = self.0.clone();
        if changes.iter().all(|(k, _)| *k != "page") {
            pairs.retain(|(k, _)| k != "page");
        }
        for (name, value) in changes {
            pairs.retain(|(k, _)| k != name);
            if let Some(v) = value {
                pairs.push(((*name).to_owned(), (*v).to_owned()));
            }
        }
        let query = Query::new(pairs);
        let encoded: Vec<String> = query.0.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        format!("?{}", encoded.join("&"))
    }

    /// The link a sortable column header points to: this column, flipping the direction when it is already sorted
    /// by it. Returns the link and the column's current `aria-sort`.
    pub fn sort_link(&self, column: &str, default_sort: &str) -> (String, &'static str) {
        let current = self.get("sort").unwrap_or(default_sort);
        let descending = self.get("dir") != Some("asc");
        if current == column {
            let flip = if descending { "asc" } else { "desc" };
            (
                self.with(&[("sort", Some(column)), ("dir", Some(flip))]),
                if descending { "descending" } else { "ascending" },
            )
        } else {
            (self.with(&[("sort", Some(column)), ("dir", Some("desc"))]), "none")
        }
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Query {
        Query::new(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    #[test]
    fn links_keep_filters_reset_the_page_and_encode_values() {
        let query = q(&[("view", "sessions"), ("email", "a+b@example.com"), ("page", "3"), ("ip", "")]);
        assert_eq!(query.page(), 3);
        assert_eq!(query.with(&[("page", Some("4"))]), "?email=a%2Bb@example.com&page=4&view=sessions");
        assert_eq!(query.with(&[("state", Some("idle"))]), "?email=a%2Bb@example.com&state=idle&view=sessions");
        assert_eq!(query.with(&[("email", None)]), "?view=sessions");
        assert_eq!(q(&[("page", "-1")]).page(), 1);
        assert_eq!(q(&[("page", "99999999")]).page(), 10_000);
    }

    #[test]
    fn sort_links_flip_the_current_column_only() {
        let query = q(&[("sort", "attempts")]);
        assert_eq!(query.sort_link("attempts", "attempts"), ("?dir=asc&sort=attempts".into(), "descending"));
        assert_eq!(query.sort_link("last", "attempts"), ("?dir=desc&sort=last".into(), "none"));
        let asc = q(&[("sort", "last"), ("dir", "asc")]);
        assert_eq!(asc.sort_link("last", "attempts"), ("?dir=desc&sort=last".into(), "ascending"));
        assert_eq!(q(&[]).sort_link("attempts", "attempts").1, "descending", "the default sort is marked");
    }
}
