//! Relative activity and dates, computed from the server's clock (never the browser's) so SSR and hydration agree.

use ::time::OffsetDateTime;

use crate::i18n::I18n;

/// Activity within this many seconds counts as "Active now" (the default touch interval).
const ACTIVE_NOW_SECS: i64 = 5 * 60;

/// "Active now" spans at least this long, so a very short touch interval does not make a device just used look idle.
const MIN_ACTIVE_NOW_SECS: i64 = 60;

/// "Active now", "Active 3 minutes ago", "Active 2 days ago".
pub fn last_active(i18n: I18n, now: i64, then: i64) -> String {
    last_active_within(i18n, now, then, ACTIVE_NOW_SECS)
}

/// [`last_active`] for activity recorded at most once per `touch_secs`: a device in use can look that stale, so
/// anything within it is "Active now".
pub fn last_active_within(i18n: I18n, now: i64, then: i64, touch_secs: i64) -> String {
    let secs = (now - then).max(0);
    if secs < touch_secs.max(MIN_ACTIVE_NOW_SECS) {
        return i18n.t("active-now");
    }
    let (n, unit) = match secs {
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    i18n.t_with("active-ago", &[("n", n.into()), ("unit", unit.into())])
}

/// A date such as "Nov 22, 2026" or "22 de noviembre de 2026" (UTC).
pub fn long_date(i18n: I18n, unix: i64) -> String {
    let date = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH).date();
    let month = i18n.t(&format!("month-{}", u8::from(date.month())));
    i18n.t_with("date-long", &[("month", month.into()), ("day", date.day().into()), ("year", date.year().into())])
}

/// A date and time such as "Nov 22, 2026, 19:05 UTC".
pub fn date_time(i18n: I18n, unix: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let time = format!("{:02}:{:02}", t.hour(), t.minute());
    i18n.t_with("date-time", &[("date", long_date(i18n, unix).into()), ("time", time.into())])
}

/// ISO 8601 for `<time datetime>`.
pub fn iso(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&::time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_buckets() {
        let en = I18n::for_tag("en");
        let now = 1_800_000_000;
        assert_eq!(last_active(en, now, now), "Active now");
        assert_eq!(last_active(en, now, now + 30), "Active now", "clock skew is not the future");
        assert_eq!(last_active(en, now, now - 299), "Active now");
        assert_eq!(last_active(en, now, now - 300), "Active 5 minutes ago");
        assert_eq!(last_active(en, now, now - 3600), "Active 1 hour ago");
        assert_eq!(last_active(en, now, now - 3 * 86_400), "Active 3 days ago");
    }

    #[test]
    fn active_now_follows_the_touch_interval() {
        let en = I18n::for_tag("en");
        let now = 1_800_000_000;
        let ten_minutes = 10 * 60;
        assert_eq!(last_active_within(en, now, now - 7 * 60, ten_minutes), "Active now");
        assert_eq!(last_active_within(en, now, now - 10 * 60, ten_minutes), "Active 10 minutes ago");
        // The default interval reads as before.
        assert_eq!(last_active_within(en, now, now - 299, 5 * 60), "Active now");
        assert_eq!(last_active_within(en, now, now - 300, 5 * 60), "Active 5 minutes ago");
        // A tiny (or zero) interval still leaves a minute of "Active now".
        assert_eq!(last_active_within(en, now, now - 59, 0), "Active now");
        assert_eq!(last_active_within(en, now, now - 60, 5), "Active 1 minute ago");
    }

    #[test]
    fn dates_are_localized() {
        let t = 1_795_305_600; // 2026-11-22T00:00:00Z
        assert_eq!(long_date(I18n::for_tag("en"), t), "Nov 22, 2026");
        assert_eq!(long_date(I18n::for_tag("es"), t), "22 de noviembre de 2026");
        assert_eq!(iso(t), "2026-11-22T00:00:00Z");
        assert_eq!(date_time(I18n::for_tag("en"), t + 3600 + 5 * 60), "Nov 22, 2026, 01:05 UTC");
    }
}
