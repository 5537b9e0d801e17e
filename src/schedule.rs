//! Cron schedules with the meanings cron users expect, in an IANA time zone, across DST.
//!
//! The `cron` crate parses; this module fixes its semantics: standard 5-field expressions are
//! accepted (a seconds field of `0` is added), day-of-week numbers follow Vixie cron (`0`/`7` =
//! Sunday, `1-5` = Monday–Friday) instead of the crate's Quartz numbering (`1` = Sunday), and
//! fire times are computed on local wall-clock time: a time that does not exist (spring forward)
//! fires at the first valid instant after the gap, a time that occurs twice (fall back) fires once.
//! Pure: `after` is an argument, the clock is never read.

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A parsed schedule: cron expression plus time zone.
///
/// When both day-of-month and day-of-week are restricted, Vixie cron fires on days matching
/// *either* (`0 7 1 * MON` = the 1st of the month and every Monday); the cron crate requires
/// both, so such an expression is held as two crate schedules whose fire times are merged.
#[derive(Debug, Clone)]
pub struct Schedule {
    expr: String,
    crons: Vec<cron::Schedule>,
    tz: Tz,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{0}")]
    Cron(String),
    #[error("{0}")]
    Timezone(String),
}

/// `@daily`-style macros as standard 5-field expressions (`@reboot` has no meaning here).
fn expand_macro(expr: &str) -> Option<&'static str> {
    Some(match expr.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return None,
    })
}

/// Vixie cron's test: a day field that starts with `*` (`*`, `*/2`) does not restrict in the
/// day-of-month OR day-of-week rule (cron(5): "if both fields are restricted (i.e., don't
/// start with *)").
fn is_unrestricted(field: &str) -> bool {
    field.starts_with('*') || field == "?"
}

impl Schedule {
    /// Parses a cron expression (5 fields standard, or a macro such as `@daily`; 6 or 7 fields:
    /// the cron crate's forms with seconds first and optional year last, weekdays still
    /// numbered the standard way) and an IANA time-zone name.
    pub fn parse(expr: &str, timezone: &str) -> Result<Schedule, ScheduleError> {
        let tz = Tz::from_str(timezone.trim()).map_err(|_| {
            ScheduleError::Timezone(format!(
                "unknown time zone {timezone:?}; expected an IANA name such as \"Europe/Berlin\" or \"UTC\""
            ))
        })?;
        let trimmed = expr.trim();
        if trimmed.starts_with('@') && expand_macro(trimmed).is_none() {
            return Err(ScheduleError::Cron(format!(
                "unknown cron macro {trimmed:?}; expected @yearly, @monthly, @weekly, @daily or @hourly"
            )));
        }
        let fields: Vec<&str> = expand_macro(trimmed)
            .unwrap_or(trimmed)
            .split_whitespace()
            .collect();
        let mut six: Vec<String> = match fields.len() {
            5 => std::iter::once("0")
                .chain(fields.iter().copied())
                .map(str::to_string)
                .collect(),
            6 | 7 => fields.iter().map(|s| s.to_string()).collect(),
            n => {
                return Err(ScheduleError::Cron(format!(
                    "cron expression {expr:?} has {n} fields; expected 5 (minute hour day-of-month month day-of-week), e.g. \"0 7 * * *\""
                )));
            }
        };
        six[5] = convert_weekdays(&six[5])
            .map_err(|m| ScheduleError::Cron(format!("cron expression {expr:?}: {m}")))?;
        // Vixie cron: restricted day-of-month OR restricted day-of-week.
        let variants: Vec<Vec<String>> = if !is_unrestricted(&six[3]) && !is_unrestricted(&six[5]) {
            let mut by_dom = six.clone();
            by_dom[5] = "*".into();
            let mut by_dow = six.clone();
            by_dow[3] = "*".into();
            vec![by_dom, by_dow]
        } else {
            vec![six]
        };
        let mut crons = Vec::new();
        for v in variants {
            let cron = cron::Schedule::from_str(&v.join(" ")).map_err(|e| {
                ScheduleError::Cron(format!(
                    "invalid cron expression {expr:?}: {e}; expected 5 fields such as \"0 7 * * 1-5\""
                ))
            })?;
            crons.push(cron);
        }
        let epoch = Utc.timestamp_opt(0, 0).unwrap();
        if crons.iter().all(|c| c.after(&epoch).next().is_none()) {
            return Err(ScheduleError::Cron(format!(
                "cron expression {expr:?} never fires"
            )));
        }
        Ok(Schedule {
            expr: expr.to_string(),
            crons,
            tz,
        })
    }

    pub fn expression(&self) -> &str {
        &self.expr
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The first fire time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut local = after.with_timezone(&self.tz).naive_local();
        // Bounded: a candidate is skipped only when it is the second pass of a repeated hour.
        for _ in 0..1000 {
            let candidate = self.next_naive(local)?;
            if let Some(instant) = self.resolve(candidate)
                && instant > after
            {
                return Some(instant);
            }
            local = candidate;
        }
        None
    }

    /// The latest fire time at or before `at`, within the last `lookback`.
    pub fn last_at_or_before(
        &self,
        at: DateTime<Utc>,
        lookback: Duration,
    ) -> Option<DateTime<Utc>> {
        let mut t = at - lookback;
        let mut last = None;
        while let Some(next) = self.next_after(t) {
            if next > at {
                break;
            }
            last = Some(next);
            t = next;
        }
        last
    }

    /// Next matching wall-clock time after `local`, ignoring time zones.
    fn next_naive(&self, local: NaiveDateTime) -> Option<NaiveDateTime> {
        let fake = Utc.from_utc_datetime(&local);
        self.crons
            .iter()
            .filter_map(|c| c.after(&fake).next())
            .min()
            .map(|d| d.naive_utc())
    }

    /// Maps a wall-clock time to an instant: the earlier one when it occurs twice, the end of
    /// the gap when it does not exist.
    fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        use chrono::LocalResult;
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
            LocalResult::None => {
                // Walk forward to the first valid wall-clock minute (gaps are at most a few hours).
                let mut t = local;
                for _ in 0..(24 * 60) {
                    t += Duration::minutes(1);
                    match self.tz.from_local_datetime(&t) {
                        LocalResult::Single(x) => return Some(x.with_timezone(&Utc)),
                        LocalResult::Ambiguous(a, b) => return Some(a.min(b).with_timezone(&Utc)),
                        LocalResult::None => {}
                    }
                }
                None
            }
        }
    }
}

/// Rewrites a day-of-week field from Vixie numbering (0/7 = Sunday) to the cron crate's
/// (1 = Sunday … 7 = Saturday). Names (MON-FRI, case-insensitive) may be mixed with numbers.
fn convert_weekdays(field: &str) -> Result<String, String> {
    if is_unrestricted(field) {
        return Ok(field.to_string());
    }
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .map_err(|_| format!("bad step {s:?} in day-of-week"))?,
            ),
            None => (part, 1),
        };
        if step == 0 {
            return Err("a step of 0 in day-of-week".into());
        }
        let (lo, hi) = if range == "*" {
            (0, 6)
        } else if let Some((a, b)) = range.split_once('-') {
            (parse_dow(a)?, parse_dow(b)?)
        } else {
            let d = parse_dow(range)?;
            (d, if part.contains('/') { 7 } else { d })
        };
        if lo > hi {
            return Err(format!("day-of-week range {range:?} runs backwards"));
        }
        let mut d = lo;
        while d <= hi {
            days[(d % 7) as usize] = true;
            d += step;
        }
    }
    let list: Vec<String> = (0..7u32)
        .filter(|&d| days[d as usize])
        .map(|d| (d + 1).to_string())
        .collect();
    Ok(list.join(","))
}

fn parse_dow(s: &str) -> Result<u32, String> {
    const NAMES: [(&str, &str); 7] = [
        ("sun", "sunday"),
        ("mon", "monday"),
        ("tue", "tuesday"),
        ("wed", "wednesday"),
        ("thu", "thursday"),
        ("fri", "friday"),
        ("sat", "saturday"),
    ];
    let lower = s.to_ascii_lowercase();
    if let Some(n) = NAMES
        .iter()
        .position(|(short, long)| lower == *short || lower == *long)
    {
        return Ok(n as u32);
    }
    match s.parse::<u32>() {
        Ok(n) if n <= 7 => Ok(n),
        _ => Err(format!(
            "day-of-week {s:?} is out of range; expected 0-7 (0 and 7 are Sunday) or MON-SUN"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike, Weekday};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fires(expr: &str, tz: &str, from: &str, n: usize) -> Vec<DateTime<Utc>> {
        let s = Schedule::parse(expr, tz).unwrap();
        let mut t = utc(from);
        let mut out = vec![];
        for _ in 0..n {
            t = s.next_after(t).unwrap();
            out.push(t);
        }
        out
    }

    #[test]
    fn five_fields_monday_to_friday() {
        let got = fires("0 7 * * 1-5", "UTC", "2024-05-03T12:00:00Z", 3); // a Friday
        let days: Vec<Weekday> = got.iter().map(|d| d.weekday()).collect();
        assert_eq!(days, vec![Weekday::Mon, Weekday::Tue, Weekday::Wed]);
        assert!(got.iter().all(|d| d.hour() == 7 && d.minute() == 0));
    }

    #[test]
    fn sunday_is_zero_and_seven() {
        for expr in ["0 9 * * 0", "0 9 * * 7"] {
            let got = fires(expr, "UTC", "2024-05-01T00:00:00Z", 2);
            assert!(
                got.iter().all(|d| d.weekday() == Weekday::Sun),
                "{expr}: {got:?}"
            );
        }
    }

    #[test]
    fn berlin_seven_oclock_across_both_dst_changes() {
        let s = Schedule::parse("0 7 * * *", "Europe/Berlin").unwrap();
        for start in ["2024-03-28T12:00:00Z", "2024-10-24T12:00:00Z"] {
            let mut t = utc(start);
            for _ in 0..7 {
                t = s.next_after(t).unwrap();
                let local = t.with_timezone(&s.timezone());
                assert_eq!((local.hour(), local.minute()), (7, 0), "{t}");
            }
        }
    }

    #[test]
    fn new_york_fall_back_fires_once() {
        // 2024-11-03 01:30 happens twice in New York.
        let got = fires("30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", 3);
        assert_eq!(got[0], utc("2024-11-03T05:30:00Z")); // 01:30 EDT
        assert_eq!(got[1], utc("2024-11-04T06:30:00Z")); // next day 01:30 EST
    }

    #[test]
    fn new_york_spring_forward_runs_at_next_valid_instant() {
        // 2024-03-10 02:30 does not exist in New York; it runs at 03:00 EDT.
        let got = fires("30 2 * * *", "America/New_York", "2024-03-09T12:00:00Z", 2);
        assert_eq!(got[0], utc("2024-03-10T07:00:00Z"));
        assert_eq!(got[1], utc("2024-03-11T06:30:00Z"));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            Schedule::parse("0 25 * * *", "UTC"),
            Err(ScheduleError::Cron(_))
        ));
        assert!(matches!(
            Schedule::parse("0 7 * *", "UTC"),
            Err(ScheduleError::Cron(_))
        ));
        assert!(matches!(
            Schedule::parse("0 7 * * 9", "UTC"),
            Err(ScheduleError::Cron(_))
        ));
        assert!(matches!(
            Schedule::parse("0 7 * * *", "Mars/Olympus"),
            Err(ScheduleError::Timezone(_))
        ));
    }

    #[test]
    fn last_fire_before() {
        let s = Schedule::parse("0 7 * * *", "UTC").unwrap();
        let last = s
            .last_at_or_before(utc("2024-05-03T12:00:00Z"), Duration::days(3))
            .unwrap();
        assert_eq!(last, utc("2024-05-03T07:00:00Z"));
    }

    #[test]
    fn names_mean_what_they_say() {
        let want = vec![Weekday::Mon, Weekday::Tue, Weekday::Wed];
        for expr in [
            "0 7 * * MON-FRI",
            "0 7 * * mon-fri",
            "0 7 * * Monday-Friday",
        ] {
            let got = fires(expr, "UTC", "2024-05-03T12:00:00Z", 3);
            let days: Vec<Weekday> = got.iter().map(|d| d.weekday()).collect();
            assert_eq!(days, want, "{expr}");
        }
        // Names and numbers mixed: Sunday and Wednesday.
        let got = fires("0 7 * * SUN,3", "UTC", "2024-05-01T12:00:00Z", 2);
        let days: Vec<Weekday> = got.iter().map(|d| d.weekday()).collect();
        assert_eq!(days, vec![Weekday::Sun, Weekday::Wed]);
    }

    #[test]
    fn day_of_month_or_day_of_week_like_vixie_cron() {
        // The 13th OR any Friday, from Wednesday 2024-09-11.
        let got = fires("0 7 13 * 5", "UTC", "2024-09-11T12:00:00Z", 4);
        let want: Vec<DateTime<Utc>> = [
            "2024-09-13T07:00:00Z", // Friday the 13th: once, not twice
            "2024-09-20T07:00:00Z",
            "2024-09-27T07:00:00Z",
            "2024-10-04T07:00:00Z",
        ]
        .iter()
        .map(|s| utc(s))
        .collect();
        assert_eq!(got, want);
        let got = fires("0 7 1 * MON", "UTC", "2024-09-28T12:00:00Z", 3);
        let want: Vec<DateTime<Utc>> = [
            "2024-09-30T07:00:00Z", // Monday
            "2024-10-01T07:00:00Z", // the 1st (a Tuesday)
            "2024-10-07T07:00:00Z",
        ]
        .iter()
        .map(|s| utc(s))
        .collect();
        assert_eq!(got, want);
        // Only one field restricted: plain AND semantics (every Friday).
        let got = fires("0 7 * * 5", "UTC", "2024-09-11T12:00:00Z", 2);
        assert!(got.iter().all(|d| d.weekday() == Weekday::Fri));
        // A field that starts with `*` counts as unrestricted, a step included: odd days
        // that are Mondays, as Vixie cron reads it (not odd days OR Mondays).
        let got = fires("0 7 */2 * 1", "UTC", "2024-05-01T12:00:00Z", 3);
        assert!(
            got.iter()
                .all(|d| d.weekday() == Weekday::Mon && d.day() % 2 == 1),
            "{got:?}"
        );
    }

    #[test]
    fn macros() {
        let check = |m: &str, std: &str| {
            let a = fires(m, "Europe/Berlin", "2024-03-29T12:00:00Z", 5);
            let b = fires(std, "Europe/Berlin", "2024-03-29T12:00:00Z", 5);
            assert_eq!(a, b, "{m}");
        };
        check("@daily", "0 0 * * *");
        check("@midnight", "0 0 * * *");
        check("@hourly", "0 * * * *");
        check("@weekly", "0 0 * * 0");
        check("@monthly", "0 0 1 * *");
        check("@yearly", "0 0 1 1 *");
        check("@annually", "0 0 1 1 *");
        assert!(Schedule::parse("@reboot", "UTC").is_err());
        let sundays = fires("@weekly", "UTC", "2024-05-01T00:00:00Z", 2);
        assert!(sundays.iter().all(|d| d.weekday() == Weekday::Sun));
    }

    #[test]
    fn hourly_job_runs_once_per_wall_clock_hour_on_fall_back() {
        // Berlin 2024-10-27: 02:00-03:00 happens twice (00:00Z CEST, 01:00Z CET); a cron user
        // means "at 02:00 local", so it fires once, on the first pass.
        let got = fires("0 * * * *", "Europe/Berlin", "2024-10-26T23:30:00Z", 4);
        let local: Vec<u32> = got
            .iter()
            .map(|t| t.with_timezone(&chrono_tz::Europe::Berlin).hour())
            .collect();
        assert_eq!(local, vec![2, 3, 4, 5]);
        assert_eq!(got[0], utc("2024-10-27T00:00:00Z"));
        assert_eq!(got[1], utc("2024-10-27T02:00:00Z"));
    }

    #[test]
    fn berlin_spring_forward_gap_runs_at_three() {
        // 2024-03-31 02:30 does not exist in Berlin; it runs at 03:00 CEST (01:00 UTC).
        let got = fires("30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z", 2);
        assert_eq!(got[0], utc("2024-03-31T01:00:00Z"));
        assert_eq!(got[1], utc("2024-04-01T00:30:00Z"));
    }

    #[test]
    fn six_and_seven_field_forms_keep_standard_weekdays() {
        let got = fires("0 0 7 * * 1-5", "UTC", "2024-05-03T12:00:00Z", 1);
        assert_eq!(got[0].weekday(), Weekday::Mon);
        let got = fires("0 0 7 * * 1-5 2024", "UTC", "2024-05-03T12:00:00Z", 1);
        assert_eq!(got[0].weekday(), Weekday::Mon);
    }
}
