//! The triage commands an operator runs to answer "is someone attacking us?" and "what happened to this account?":
//! `failed-logins`, `history`, `sessions` and `revoke-all`. Tables for people, `--json` for scripts.

use std::time::Duration;

use app::users::{User, Users};
use leptos_sessions::engine::{visible_identity, Event, FailureKey, Page, SessionRecord, Sessions};
use leptos_sessions::i18n::I18n;
use serde_json::{json, Value};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// What follows the command name: options anywhere, one positional argument at most.
#[derive(Debug, PartialEq)]
pub struct Args {
    pub json: bool,
    pub since: Duration,
    pub by: FailureKey,
    pub limit: u32,
    pub target: Option<String>,
}

impl Args {
    pub fn parse(args: &[String]) -> std::result::Result<Self, String> {
        let mut parsed =
            Args { json: false, since: Duration::from_secs(24 * 3600), by: FailureKey::Ip, limit: 50, target: None };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--json" => parsed.json = true,
                "--since" => {
                    let v = value("--since")?;
                    parsed.since = crate::settings::parse_duration(&v)?.ok_or("--since cannot be off")?;
                }
                "--by" => {
                    parsed.by = match value("--by")?.as_str() {
                        "ip" => FailureKey::Ip,
                        "identity" => FailureKey::Identity,
                        other => return Err(format!("--by must be ip or identity, got {other:?}")),
                    }
                }
                "--limit" => {
                    let v = value("--limit")?;
                    parsed.limit = v.parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or("--limit: 1 to 10000")?;
                }
                other if other.starts_with("--") => return Err(format!("unknown option {other}")),
                other if parsed.target.is_none() => parsed.target = Some(other.to_owned()),
                other => return Err(format!("unexpected argument {other:?}")),
            }
        }
        Ok(parsed)
    }

    fn email(&self, command: &str) -> std::result::Result<&str, String> {
        self.target.as_deref().ok_or_else(|| format!("usage: server {command} <email> [--json]"))
    }
}

async fn account(users: &Users, email: &str) -> Result<User> {
    Ok(users.by_email(email).await?.ok_or_else(|| format!("no account with the email {email:?}"))?)
}

/// `failed-logins --since 24h --by ip|identity`: failed sign-ins grouped, most attempts first.
pub async fn failed_logins(sessions: &Sessions, args: &Args) -> Result<String> {
    let since = sessions.now() - args.since;
    let groups = sessions.triage().failures_by(args.by, since, &Page::first(args.limit)).await?;
    let key = if args.by == FailureKey::Ip { "ip" } else { "identity" };
    let distinct = if args.by == FailureKey::Ip { "identities" } else { "addresses" };
    if args.json {
        let rows: Vec<Value> = groups
            .iter()
            .map(|g| {
                json!({ key: g.key, "attempts": g.attempts, distinct: g.distinct, "countries": g.countries,
                        "first_at": rfc3339(g.first_at), "last_at": rfc3339(g.last_at) })
            })
            .collect();
        return Ok(Value::Array(rows).to_string());
    }
    let rows = groups
        .iter()
        .map(|g| {
            vec![
                // Typed by strangers: hidden and direction characters are spelled out, never sent to the terminal.
                visible_identity(&g.key),
                g.attempts.to_string(),
                g.distinct.to_string(),
                g.countries.join(" "),
                rfc3339(g.first_at),
                rfc3339(g.last_at),
            ]
        })
        .collect();
    Ok(table(&[key, "attempts", distinct, "countries", "first seen", "last seen"], rows))
}

/// `history <email>`: the account's trail, newest first, failures typed against its email included.
pub async fn history(sessions: &Sessions, users: &Users, args: &Args) -> Result<String> {
    let user = account(users, args.email("history")?).await?;
    let events = sessions.history(&user.id, args.limit, 0).await?;
    if args.json {
        return Ok(Value::Array(events.iter().map(event_json).collect()).to_string());
    }
    let rows = events
        .iter()
        .map(|e| {
            vec![
                rfc3339(e.occurred_at),
                e.kind.clone(),
                reason(e),
                visible_identity(e.identity.as_deref().unwrap_or_default()),
                device(&leptos_sessions::context::event_device(e)),
                e.ip_address.clone().unwrap_or_default(),
                e.country_code.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Ok(table(&["when", "event", "reason", "identity", "device", "ip", "country"], rows))
}

/// `sessions <email>`: the account's live sessions, most recently active first.
pub async fn sessions_of(sessions: &Sessions, users: &Users, args: &Args) -> Result<String> {
    let user = account(users, args.email("sessions")?).await?;
    let rows = sessions.registry().list_live(&user.id).await?;
    if args.json {
        return Ok(Value::Array(rows.iter().map(session_json).collect()).to_string());
    }
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                device(&leptos_sessions::context::session_device(r)),
                r.auth_method.clone(),
                r.last_seen_ip.clone().or_else(|| r.ip_address.clone()).unwrap_or_default(),
                r.country_code.clone().unwrap_or_default(),
                rfc3339(r.created_at),
                rfc3339(r.last_seen_at),
            ]
        })
        .collect();
    Ok(table(&["session", "device", "method", "ip", "country", "signed in", "last active"], rows))
}

/// `revoke-all <email>`: ends every session of the account, recorded in the trail with the CLI as the actor.
pub async fn revoke_all(sessions: &Sessions, users: &Users, args: &Args) -> Result<String> {
    let user = account(users, args.email("revoke-all")?).await?;
    let ended = sessions.end_all(&user.id, "admin_revoked", Some("admin:cli")).await?;
    Ok(if args.json {
        json!({ "email": user.email, "ended": ended }).to_string()
    } else {
        format!("signed {} out everywhere: {ended} sessions ended", visible_identity(&user.email))
    })
}

/// Who ended a session (`user:…`, `admin:…`, `system`), from the event's metadata.
fn ended_by(e: &Event) -> Option<String> {
    e.metadata.as_ref()?.get("ended_by")?.as_str().map(str::to_owned)
}

fn reason(e: &Event) -> String {
    let why = e.failure_reason.clone().or_else(|| e.revoked_reason.clone()).unwrap_or_default();
    match ended_by(e) {
        Some(by) if !why.is_empty() => format!("{why} by {by}"),
        _ => why,
    }
}

fn device(fields: &leptos_sessions::data::DeviceFields) -> String {
    leptos_sessions::ui::device_name(I18n::default(), fields)
}

fn rfc3339(at: Option<OffsetDateTime>) -> String {
    at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default()
}

fn event_json(e: &Event) -> Value {
    json!({
        "id": e.id, "kind": e.kind, "occurred_at": rfc3339(e.occurred_at), "user_id": e.user_id,
        "session_id": e.session_id, "identity": e.identity, "auth_method": e.auth_method,
        "failure_reason": e.failure_reason, "revoked_reason": e.revoked_reason, "ended_by": ended_by(e),
        "ip_address": e.ip_address, "country_code": e.country_code, "city": e.city,
        "device": device(&leptos_sessions::context::event_device(e)),
    })
}

fn session_json(r: &SessionRecord) -> Value {
    json!({
        "id": r.id, "device": device(&leptos_sessions::context::session_device(r)), "device_type": r.device_type,
        "auth_method": r.auth_method, "auth_provider": r.auth_provider,
        "ip_address": r.last_seen_ip.clone().or_else(|| r.ip_address.clone()), "country_code": r.country_code,
        "city": r.city, "created_at": rfc3339(r.created_at), "last_seen_at": rfc3339(r.last_seen_at),
    })
}

/// Left-aligned columns two spaces apart, a header and a rule; "(none)" when there is nothing to show.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return "(none)".into();
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(headers.to_vec())];
    out.push(line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect()));
    out.extend(rows.iter().map(|r| line(r.iter().map(String::as_str).collect())));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> std::result::Result<Args, String> {
        Args::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_parse_and_bad_ones_are_refused() {
        let a = args(&["--since", "7d", "--by", "identity", "--json"]).unwrap();
        assert_eq!((a.since, a.by, a.json), (Duration::from_secs(7 * 86_400), FailureKey::Identity, true));
        assert_eq!(args(&["ada@example.com"]).unwrap().target.as_deref(), Some("ada@example.com"));
        assert!(args(&["--by", "country"]).is_err());
        assert!(args(&["--since"]).is_err());
        assert!(args(&["--since", "off"]).is_err());
        assert!(args(&["--limit", "0"]).is_err());
        assert!(args(&["--frobnicate"]).is_err());
        assert!(args(&["a@example.com", "b@example.com"]).is_err());
    }

    #[test]
    fn tables_align_columns() {
        let t =
            table(&["ip", "attempts"], vec![vec!["203.0.113.7".into(), "12".into()], vec!["::1".into(), "3".into()]]);
        assert_eq!(t, "ip           attempts\n-----------  --------\n203.0.113.7  12\n::1          3");
        assert_eq!(table(&["ip"], vec![]), "(none)");
    }
}
