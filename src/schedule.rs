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
#[derive(Debug, Clone)]
pub struct Schedule {
    expr: String,
    cron: cron::Schedule,
    tz: Tz,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{0}")]
    Cron(String),
    #[error("{0}")]
    Timezone(String),
}

impl Schedule {
    /// Parses a cron expression (5 fields standard; 6 or 7 fields: the cron crate's forms with
    /// seconds first and optional year last, weekdays still numbered the standard way) and an
    /// IANA time-zone name.
    pub fn parse(expr: &str, timezone: &str) -> Result<Schedule, ScheduleError> {
        let tz = Tz::from_str(timezone.trim()).map_err(|_| {
            ScheduleError::Timezone(format!(
                "unknown time zone {timezone:?}; expected an IANA name such as \"Europe/Berlin\" or \"UTC\""
            ))
        })?;
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let six = match fields.len() {
            5 => {
                let mut f = vec!["0"];
                f.extend_from_slice(&fields);
                f
            }
            6 | 7 => fields.clone(),
            n => {
                return Err(ScheduleError::Cron(format!(
                    "cron expression {expr:?} has {n} fields; expected 5 (minute hour day-of-month month day-of-week), e.g. \"0 7 * * *\""
                )));
            }
        };
        let mut six: Vec<String> = six.iter().map(|s| s.to_string()).collect();
        six[5] = convert_weekdays(&six[5])
            .map_err(|m| ScheduleError::Cron(format!("cron expression {expr:?}: {m}")))?;
        // Vixie cron: day-of-month `*` with a restricted day-of-week means "those weekdays";
        // the cron crate treats `?` the same way.
        let cron_text = six.join(" ");
        let cron = cron::Schedule::from_str(&cron_text).map_err(|e| {
            ScheduleError::Cron(format!(
                "invalid cron expression {expr:?}: {e}; expected 5 fields such as \"0 7 * * 1-5\""
            ))
        })?;
        if cron.upcoming(Utc).next().is_none()
            && cron
                .after(&Utc.timestamp_opt(0, 0).unwrap())
                .next()
                .is_none()
        {
            return Err(ScheduleError::Cron(format!(
                "cron expression {expr:?} never fires"
            )));
        }
        Ok(Schedule {
            expr: expr.to_string(),
            cron,
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
        self.cron.after(&fake).next().map(|d| d.naive_utc())
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
/// (1 = Sunday … 7 = Saturday). Names (MON-FRI) are passed through unchanged.
fn convert_weekdays(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" || field.chars().any(|c| c.is_ascii_alphabetic()) {
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
}
