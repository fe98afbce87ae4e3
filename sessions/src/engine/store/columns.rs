//! How sessions and events map to columns, written once for both backends: the column lists, the order of the binds
//! and the row mappers. A backend says only how it stores an id, a time and a JSON value ([`Cells`] to read a row,
//! [`Cell`] to bind a value). Adding a column touches the migrations, the record type and this file.

use serde_json::Value;
use time::OffsetDateTime;

use super::{Event, LiveSession, SessionRecord};

/// One value to bind, tagged with how it is stored.
#[derive(Clone, Copy, Debug)]
pub(super) enum Cell<'a> {
    Text(Option<&'a str>),
    /// The row's own id. PostgreSQL stores a UUID.
    Key(&'a str),
    /// Another row's id (a device, a session). PostgreSQL stores a UUID; anything else matches no row, so it is NULL.
    Id(Option<&'a str>),
    /// SQLite stores unix milliseconds, PostgreSQL a `timestamptz`.
    Time(OffsetDateTime),
    /// SQLite stores text, PostgreSQL `jsonb`.
    Json(Option<&'a Value>),
    Float(Option<f64>),
}

fn text(v: &Option<String>) -> Cell<'_> {
    Cell::Text(v.as_deref())
}

/// A new session row's columns, in bind order. `now` is when it signs in (and confirms its password).
pub(super) fn session_cells<'a>(
    r: &'a SessionRecord,
    token_digest: &'a str,
    now: OffsetDateTime,
) -> [(&'static str, Cell<'a>); 23] {
    [
        ("id", Cell::Key(&r.id)),
        ("user_id", Cell::Text(Some(&r.user_id))),
        ("token_digest", Cell::Text(Some(token_digest))),
        ("device_id", Cell::Id(r.device_id.as_deref())),
        ("auth_method", Cell::Text(Some(&r.auth_method))),
        ("auth_provider", text(&r.auth_provider)),
        ("auth_detail", Cell::Json(r.auth_detail.as_ref())),
        ("ip_address", text(&r.ip_address)),
        ("user_agent", text(&r.user_agent)),
        ("browser_name", text(&r.browser_name)),
        ("browser_version", text(&r.browser_version)),
        ("os_name", text(&r.os_name)),
        ("os_version", text(&r.os_version)),
        ("device_type", Cell::Text(Some(&r.device_type))),
        ("device_model", text(&r.device_model)),
        ("app_name", text(&r.app_name)),
        ("app_version", text(&r.app_version)),
        ("app_build", text(&r.app_build)),
        ("client_hints", Cell::Json(r.client_hints.as_ref())),
        ("created_at", Cell::Time(r.created_at.unwrap_or(now))),
        ("last_seen_at", Cell::Time(r.last_seen_at.unwrap_or(now))),
        ("last_seen_ip", text(&r.last_seen_ip)),
        ("reauthenticated_at", Cell::Time(now)),
    ]
}

/// The device columns re-derived from a row's user agent and client hints, in bind order.
pub(super) fn device_cells(r: &SessionRecord) -> [(&'static str, Cell<'_>); 9] {
    [
        ("browser_name", text(&r.browser_name)),
        ("browser_version", text(&r.browser_version)),
        ("os_name", text(&r.os_name)),
        ("os_version", text(&r.os_version)),
        ("device_type", Cell::Text(Some(&r.device_type))),
        ("device_model", text(&r.device_model)),
        ("app_name", text(&r.app_name)),
        ("app_version", text(&r.app_version)),
        ("app_build", text(&r.app_build)),
    ]
}

/// An event's columns, in bind order.
pub(super) fn event_cells(e: &Event) -> [(&'static str, Cell<'_>); 32] {
    [
        ("id", Cell::Key(&e.id)),
        ("kind", Cell::Text(Some(&e.kind))),
        ("user_id", text(&e.user_id)),
        ("session_id", Cell::Id(e.session_id.as_deref())),
        ("identity", text(&e.identity)),
        ("device_id", Cell::Id(e.device_id.as_deref())),
        ("auth_method", text(&e.auth_method)),
        ("auth_provider", text(&e.auth_provider)),
        ("auth_detail", Cell::Json(e.auth_detail.as_ref())),
        ("failure_reason", text(&e.failure_reason)),
        ("revoked_reason", text(&e.revoked_reason)),
        ("ip_address", text(&e.ip_address)),
        ("user_agent", text(&e.user_agent)),
        ("browser_name", text(&e.browser_name)),
        ("browser_version", text(&e.browser_version)),
        ("os_name", text(&e.os_name)),
        ("os_version", text(&e.os_version)),
        ("device_type", text(&e.device_type)),
        ("device_model", text(&e.device_model)),
        ("app_name", text(&e.app_name)),
        ("app_version", text(&e.app_version)),
        ("app_build", text(&e.app_build)),
        ("client_hints", Cell::Json(e.client_hints.as_ref())),
        ("country_code", text(&e.country_code)),
        ("country_name", text(&e.country_name)),
        ("region", text(&e.region)),
        ("city", text(&e.city)),
        ("latitude", Cell::Float(e.latitude)),
        ("longitude", Cell::Float(e.longitude)),
        ("request_id", text(&e.request_id)),
        ("metadata", Cell::Json(e.metadata.as_ref())),
        ("occurred_at", Cell::Time(e.occurred_at.unwrap_or_else(OffsetDateTime::now_utc))),
    ]
}

/// `INSERT INTO table (a, b, …) VALUES (?1, ?2, …)`, with the backend's placeholder prefix (`?` or `$`).
pub(super) fn insert_sql(table: &str, cells: &[(&str, Cell<'_>)], prefix: char) -> String {
    let columns: Vec<&str> = cells.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = (1..=cells.len()).map(|i| format!("{prefix}{i}")).collect();
    format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), values.join(", "))
}

/// `UPDATE table SET a = ?1, b = ?2, … WHERE id = ?N+1`, binding the cells and then the row's id.
pub(super) fn update_by_id_sql(table: &str, cells: &[(&str, Cell<'_>)], prefix: char) -> String {
    let set: Vec<String> =
        cells.iter().enumerate().map(|(i, (name, _))| format!("{name} = {prefix}{}", i + 1)).collect();
    format!("UPDATE {table} SET {} WHERE id = {prefix}{}", set.join(", "), cells.len() + 1)
}

/// The statements built from the column lists, in one backend's placeholder style (`?` or `$`): built once.
pub(super) struct Statements {
    pub(super) insert_event: String,
    pub(super) insert_session: String,
    pub(super) find_live: String,
    pub(super) update_device: String,
}

impl Statements {
    pub(super) fn new(prefix: char) -> Self {
        let row = SessionRecord::default();
        Self {
            insert_event: insert_sql("sessions_events", &event_cells(&Event::default()), prefix),
            insert_session: insert_sql("sessions", &session_cells(&row, "", OffsetDateTime::UNIX_EPOCH), prefix),
            find_live: format!(
                "SELECT {LIVE_COLUMNS} FROM sessions WHERE token_digest = {prefix}1 AND ended_at IS NULL"
            ),
            update_device: update_by_id_sql("sessions", &device_cells(&row), prefix),
        }
    }
}

/// Reads one column of a row the way the backend stores it.
pub(super) trait Cells {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn id(&self, column: &str) -> Result<String, sqlx::Error>;
    fn opt_id(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn time(&self, column: &str) -> Result<OffsetDateTime, sqlx::Error>;
    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, sqlx::Error>;
    /// Text that is not valid JSON reads as `None`, as a missing value would.
    fn json(&self, column: &str) -> Result<Option<Value>, sqlx::Error>;
    fn float(&self, column: &str) -> Result<Option<f64>, sqlx::Error>;
}

/// A `sessions` row (`SELECT *` or `RETURNING *`).
pub(super) fn record(row: &impl Cells) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        id: row.id("id")?,
        user_id: row.text("user_id")?,
        device_id: row.opt_id("device_id")?,
        auth_method: row.text("auth_method")?,
        auth_provider: row.opt_text("auth_provider")?,
        auth_detail: row.json("auth_detail")?,
        ip_address: row.opt_text("ip_address")?,
        user_agent: row.opt_text("user_agent")?,
        browser_name: row.opt_text("browser_name")?,
        browser_version: row.opt_text("browser_version")?,
        os_name: row.opt_text("os_name")?,
        os_version: row.opt_text("os_version")?,
        device_type: row.text("device_type")?,
        device_model: row.opt_text("device_model")?,
        app_name: row.opt_text("app_name")?,
        app_version: row.opt_text("app_version")?,
        app_build: row.opt_text("app_build")?,
        client_hints: row.json("client_hints")?,
        country_code: row.opt_text("country_code")?,
        country_name: row.opt_text("country_name")?,
        region: row.opt_text("region")?,
        city: row.opt_text("city")?,
        created_at: Some(row.time("created_at")?),
        last_seen_at: Some(row.time("last_seen_at")?),
        last_seen_ip: row.opt_text("last_seen_ip")?,
        ended_at: row.opt_time("ended_at")?,
        ended_reason: row.opt_text("ended_reason")?,
        ended_by: row.opt_text("ended_by")?,
    })
}

/// A `sessions_events` row (`SELECT *`).
pub(super) fn event(row: &impl Cells) -> Result<Event, sqlx::Error> {
    Ok(Event {
        id: row.id("id")?,
        kind: row.text("kind")?,
        user_id: row.opt_text("user_id")?,
        session_id: row.opt_id("session_id")?,
        identity: row.opt_text("identity")?,
        device_id: row.opt_id("device_id")?,
        auth_method: row.opt_text("auth_method")?,
        auth_provider: row.opt_text("auth_provider")?,
        auth_detail: row.json("auth_detail")?,
        failure_reason: row.opt_text("failure_reason")?,
        revoked_reason: row.opt_text("revoked_reason")?,
        ip_address: row.opt_text("ip_address")?,
        user_agent: row.opt_text("user_agent")?,
        browser_name: row.opt_text("browser_name")?,
        browser_version: row.opt_text("browser_version")?,
        os_name: row.opt_text("os_name")?,
        os_version: row.opt_text("os_version")?,
        device_type: row.opt_text("device_type")?,
        device_model: row.opt_text("device_model")?,
        app_name: row.opt_text("app_name")?,
        app_version: row.opt_text("app_version")?,
        app_build: row.opt_text("app_build")?,
        client_hints: row.json("client_hints")?,
        country_code: row.opt_text("country_code")?,
        country_name: row.opt_text("country_name")?,
        region: row.opt_text("region")?,
        city: row.opt_text("city")?,
        latitude: row.float("latitude")?,
        longitude: row.float("longitude")?,
        request_id: row.opt_text("request_id")?,
        metadata: row.json("metadata")?,
        occurred_at: Some(row.time("occurred_at")?),
    })
}

/// The columns [`LIVE_COLUMNS`] selects, as the per-request layer needs them.
pub(super) fn live(row: &impl Cells) -> Result<LiveSession, sqlx::Error> {
    Ok(LiveSession {
        id: row.id("id")?.into(),
        user_id: row.text("user_id")?.into(),
        created_at: row.time("created_at")?,
        last_seen_at: row.time("last_seen_at")?,
    })
}

/// What the per-request lookup reads: no more than [`LiveSession`] holds.
pub(super) const LIVE_COLUMNS: &str = "id, user_id, created_at, last_seen_at";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_their_placeholders_in_bind_order() {
        let cells = [("a", Cell::Text(None)), ("b", Cell::Float(None))];
        assert_eq!(insert_sql("t", &cells, '$'), "INSERT INTO t (a, b) VALUES ($1, $2)");
        assert_eq!(update_by_id_sql("t", &cells, '?'), "UPDATE t SET a = ?1, b = ?2 WHERE id = ?3");
    }

    #[test]
    fn every_event_field_has_its_column() {
        // A field added to Event without a column here would be silently dropped on insert.
        let e = Event { occurred_at: Some(OffsetDateTime::UNIX_EPOCH), ..Event::default() };
        let debug = format!("{e:?}");
        let fields: std::collections::BTreeSet<&str> = debug["Event { ".len()..debug.len() - 2]
            .split(", ")
            .map(|field| field.split(": ").next().unwrap_or_default())
            .collect();
        let columns: std::collections::BTreeSet<&str> = event_cells(&e).iter().map(|(n, _)| *n).collect();
        assert_eq!(fields, columns);
    }
}
