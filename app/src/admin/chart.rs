//! Sign-ins and failed sign-ins per hour as an inline SVG, drawn on the server: no script, no chart library.

use leptos::prelude::*;

use super::view::HourView;
use leptos_sessions::i18n::{use_i18n, I18n};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
/// Room for the axis labels.
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// The two series as SVG path data, scaled to the same axis, and that axis' top value.
pub fn series(hours: &[HourView]) -> (String, String, u64) {
    let top = nice_top(hours.iter().map(|h| h.logins.max(h.failures)).max().unwrap_or(0));
    let line = |value: fn(&HourView) -> u64| {
        hours
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let (x, y) = point(i, hours.len(), value(h), top);
                format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" })
            })
            .collect::<Vec<_>>()
            .join("")
    };
    (line(|h| h.logins), line(|h| h.failures), top)
}

fn point(i: usize, n: usize, value: u64, top: u64) -> (f64, f64) {
    let step = (WIDTH - LEFT) / (n.max(2) - 1) as f64;
    let x = LEFT + step * i as f64;
    let y = HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * value as f64 / top.max(1) as f64;
    (x, y)
}

/// A round number at or above `max` for the top of the axis (1, 2, 5, 10, 20, 50, …).
pub fn nice_top(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m).max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

#[component]
pub fn HourlyChart(hours: Vec<HourView>) -> impl IntoView {
    let i18n = use_i18n();
    let (logins, failures, top) = series(&hours);
    let total_logins: u64 = hours.iter().map(|h| h.logins).sum();
    let total_failures: u64 = hours.iter().map(|h| h.failures).sum();
    let summary =
        i18n.t_with("admin-chart-summary", &[("logins", total_logins.into()), ("failures", total_failures.into())]);
    let area = (!hours.is_empty()).then(|| {
        let (x_end, _) = point(hours.len() - 1, hours.len(), 0, top);
        format!("{logins}L{x_end:.1},{:.1}L{LEFT:.1},{:.1}Z", HEIGHT - BOTTOM, HEIGHT - BOTTOM)
    });
    let days = day_ticks(i18n, &hours);
    let baseline = HEIGHT - BOTTOM;
    let mid = (baseline + TOP) / 2.0;
    view! {
        <figure class="admin-chart">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-labelledby="admin-chart-title admin-chart-desc"
            >
                <title id="admin-chart-title">{i18n.t("admin-chart-title")}</title>
                <desc id="admin-chart-desc">{summary.clone()}</desc>
                <g class="admin-chart-grid">
                    <line x1=LEFT x2=WIDTH y1=TOP y2=TOP></line>
                    <line x1=LEFT x2=WIDTH y1=mid y2=mid></line>
                    <line x1=LEFT x2=WIDTH y1=baseline y2=baseline></line>
                </g>
                <g class="admin-chart-axis">
                    <text x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{top}</text>
                    <text x=LEFT - 6.0 y=mid + 4.0 text-anchor="end">{top / 2}</text>
                    <text x=LEFT - 6.0 y=baseline + 4.0 text-anchor="end">"0"</text>
                    {days
                        .into_iter()
                        .enumerate()
                        .map(|(i, (x, label))| {
                            // Every other day's label gives way on a phone, where the labels are drawn larger.
                            let class = if i % 2 == 1 { "admin-chart-day-minor" } else { "admin-chart-day" };
                            view! {
                                <line class="admin-chart-tick" x1=x x2=x y1=baseline y2=baseline + 4.0></line>
                                <text class=class x=x y=HEIGHT - 4.0 text-anchor="middle">{label}</text>
                            }
                        })
                        .collect_view()}
                </g>
                {area.map(|d| view! { <path class="admin-chart-area" d=d></path> })}
                <path class="admin-chart-logins" d=logins></path>
                <path class="admin-chart-failures" d=failures></path>
            </svg>
            <figcaption>
                <span class="admin-legend admin-legend-logins">{i18n.t("admin-chart-logins")}</span>
                <span class="admin-legend admin-legend-failures">{i18n.t("admin-chart-failures")}</span>
                <span class="admin-chart-summary">{summary}</span>
            </figcaption>
        </figure>
    }
}

/// An x position and a short date at each midnight (UTC) inside the range.
fn day_ticks(i18n: I18n, hours: &[HourView]) -> Vec<(f64, String)> {
    hours
        .iter()
        .enumerate()
        .filter(|(_, h)| h.hour.rem_euclid(86_400) == 0)
        .map(|(i, h)| {
            let (x, _) = point(i, hours.len(), 0, 1);
            let date = time::OffsetDateTime::from_unix_timestamp(h.hour).map(|t| t.date()).ok();
            let label = date.map_or_else(String::new, |d| {
                let month = i18n.t(&format!("month-{}", u8::from(d.month())));
                i18n.t_with("admin-chart-day", &[("month", month.into()), ("day", d.day().into())])
            });
            (x, label)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        let tops: Vec<u64> = [0, 1, 2, 3, 7, 10, 11, 49, 51, 999, 1001].into_iter().map(nice_top).collect();
        assert_eq!(tops, [1, 1, 2, 5, 10, 10, 20, 50, 100, 1000, 2000]);
    }

    #[test]
    fn both_series_share_the_axis_and_span_the_width() {
        let hours = [
            HourView { hour: 0, logins: 4, failures: 0 },
            HourView { hour: 3600, logins: 0, failures: 10 },
            HourView { hour: 7200, logins: 5, failures: 5 },
        ];
        let (logins, failures, top) = series(&hours);
        assert_eq!(top, 10);
        assert_eq!(logins, "M36.0,98.0L378.0,158.0L720.0,83.0");
        assert_eq!(failures, "M36.0,158.0L378.0,8.0L720.0,83.0");
        let (empty_logins, _, empty_top) = series(&[]);
        assert_eq!((empty_logins.as_str(), empty_top), ("", 1));
    }
}
