//! Reads the date formats real feeds use: RFC 3339, RFC 822 with named zones, SQL-style
//! `2018-12-13 00:00:00`, `2020/1/10 14:33:00`, German `13.12.2018` and month names, epochs.
//!
//! A missing offset means UTC. Pure: the clamp of far-future dates needs the fetch time and
//! lives with the caller ([`clamp_future`]).

use std::sync::OnceLock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use regex::Regex;

/// Parses one date string with a chain of increasingly forgiving readers.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 100 {
        return None;
    }
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date.with_timezone(&Utc));
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Some(date.with_timezone(&Utc));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return parse_epoch(text);
    }
    parse_loose(text)
}

/// A date later than a day after the fetch is a feed's mistake (or a scheduled post that
/// leaked); it would pin the item to the top of every digest, so it becomes the fetch time.
pub fn clamp_future(date: DateTime<Utc>, fetched_at: DateTime<Utc>) -> DateTime<Utc> {
    if date > fetched_at + Duration::days(1) {
        fetched_at
    } else {
        date
    }
}

fn parse_epoch(digits: &str) -> Option<DateTime<Utc>> {
    let value: i64 = digits.parse().ok()?;
    match digits.len() {
        // `20230103`: a compact calendar date, not seconds after 1970.
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN).and_utc()),
        9 | 10 => Utc.timestamp_opt(value, 0).single(),
        12 | 13 => Utc.timestamp_millis_opt(value).single(),
        _ => None,
    }
}

struct Patterns {
    ymd: Regex,
    dmy_dots: Regex,
    mdy_slashes: Regex,
    day_month_name: Regex,
    month_name_day: Regex,
    time: Regex,
    offset: Regex,
    zone_word: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        ymd: Regex::new(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})").unwrap(),
        dmy_dots: Regex::new(r"\b(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})").unwrap(),
        mdy_slashes: Regex::new(r"\b(\d{1,2})/(\d{1,2})/(\d{4})").unwrap(),
        day_month_name: Regex::new(r"\b(\d{1,2})\.?\s*(\p{L}{3,10})\.?,?\s+(\d{4})").unwrap(),
        month_name_day: Regex::new(r"(\p{L}{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
            .unwrap(),
        time: Regex::new(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:\s*([AaPp])\.?[Mm]\.?)?")
            .unwrap(),
        offset: Regex::new(r"^\s*(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})?\b").unwrap(),
        zone_word: Regex::new(r"^\s*\(?([A-Za-z]{1,5})\b").unwrap(),
    })
}

/// Finds a calendar date, then a time after it, then a zone after the time.
fn parse_loose(text: &str) -> Option<DateTime<Utc>> {
    let p = patterns();
    let (date, date_end) = find_date(p, text)?;
    let rest = &text[date_end..];
    let (time, zone_text) = match p.time.captures(rest) {
        Some(c) => {
            let mut hour: u32 = c[1].parse().ok()?;
            let minute: u32 = c[2].parse().ok()?;
            let second: u32 = c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
            if let Some(half) = c.get(4) {
                let pm = half.as_str().eq_ignore_ascii_case("p");
                hour = match (hour, pm) {
                    (12, false) => 0,
                    (12, true) => 12,
                    (h, true) => h + 12,
                    (h, false) => h,
                };
            }
            // Some feeds write 24:00 for midnight.
            if hour == 24 {
                hour = 0;
            }
            let time = NaiveTime::from_hms_opt(hour, minute, second.min(59))?;
            (time, &rest[c.get(0)?.end()..])
        }
        None => (NaiveTime::MIN, rest),
    };
    let offset = parse_zone(p, zone_text).unwrap_or(FixedOffset::east_opt(0)?);
    let local = date.and_time(time);
    offset
        .from_local_datetime(&local)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

fn find_date(p: &Patterns, text: &str) -> Option<(NaiveDate, usize)> {
    if let Some(c) = p.ymd.captures(text) {
        let date = ymd(&c[1], &c[2], &c[3])?;
        return Some((date, c.get(0)?.end()));
    }
    if let Some(c) = p.dmy_dots.captures(text) {
        let date = ymd(&c[3], &c[2], &c[1])?;
        return Some((date, c.get(0)?.end()));
    }
    if let Some(c) = p.mdy_slashes.captures(text) {
        // US order unless the first number cannot be a month.
        let first: u32 = c[1].parse().ok()?;
        let date = if first > 12 {
            ymd(&c[3], &c[2], &c[1])?
        } else {
            ymd(&c[3], &c[1], &c[2])?
        };
        return Some((date, c.get(0)?.end()));
    }
    if let Some(c) = p.day_month_name.captures(text)
        && let Some(month) = month_number(&c[2])
    {
        let date = NaiveDate::from_ymd_opt(c[3].parse().ok()?, month, c[1].parse().ok()?)?;
        return Some((date, c.get(0)?.end()));
    }
    if let Some(c) = p.month_name_day.captures(text)
        && let Some(month) = month_number(&c[1])
    {
        let date = NaiveDate::from_ymd_opt(c[3].parse().ok()?, month, c[2].parse().ok()?)?;
        return Some((date, c.get(0)?.end()));
    }
    None
}

fn ymd(year: &str, month: &str, day: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// English and German month names and their usual abbreviations.
fn month_number(word: &str) -> Option<u32> {
    let word = word.to_lowercase();
    let month = match word.as_str() {
        "jan" | "january" | "januar" | "jänner" | "jän" => 1,
        "feb" | "february" | "februar" => 2,
        "mar" | "march" | "märz" | "mär" | "maerz" | "mrz" => 3,
        "apr" | "april" => 4,
        "may" | "mai" => 5,
        "jun" | "june" | "juni" => 6,
        "jul" | "july" | "juli" => 7,
        "aug" | "august" => 8,
        "sep" | "sept" | "september" => 9,
        "oct" | "october" | "okt" | "oktober" => 10,
        "nov" | "november" => 11,
        "dec" | "december" | "dez" | "dezember" => 12,
        _ => return None,
    };
    Some(month)
}

fn parse_zone(p: &Patterns, text: &str) -> Option<FixedOffset> {
    if let Some(c) = p.offset.captures(text) {
        let hours: i32 = c[2].parse().ok()?;
        let minutes: i32 = c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
        let seconds = hours * 3600 + minutes * 60;
        let sign = if &c[1] == "-" { -1 } else { 1 };
        return FixedOffset::east_opt(sign * seconds);
    }
    let word = p.zone_word.captures(text)?;
    let hours = zone_hours(&word[1].to_ascii_uppercase())?;
    FixedOffset::east_opt((hours * 3600.0) as i32)
}

/// Offsets of the zone abbreviations seen in feeds (RFC 822 names plus European ones).
fn zone_hours(name: &str) -> Option<f64> {
    let hours = match name {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => 0.0,
        "BST" | "CET" | "MEZ" | "WEST" => 1.0,
        "IST" => 5.5,
        "CEST" | "MESZ" | "EET" | "SAST" => 2.0,
        "EEST" | "MSK" => 3.0,
        "EST" | "CDT" => -5.0,
        "EDT" => -4.0,
        "CST" | "MDT" => -6.0,
        "MST" | "PDT" => -7.0,
        "PST" | "AKDT" => -8.0,
        "AKST" => -9.0,
        "HST" => -10.0,
        "JST" | "KST" => 9.0,
        "HKT" | "SGT" | "AWST" => 8.0,
        "AEST" => 10.0,
        "AEDT" => 11.0,
        "NZST" => 12.0,
        "NZDT" => 13.0,
        _ => return None,
    };
    Some(hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Option<&str>) {
        let got = parse_date(text).map(|d| d.to_rfc3339());
        assert_eq!(got.as_deref(), expected, "input {text:?}");
    }

    #[test]
    fn standard_formats() {
        check("2024-05-01T10:00:00Z", Some("2024-05-01T10:00:00+00:00"));
        check(
            "Tue, 03 Jan 2023 00:00:00 GMT",
            Some("2023-01-03T00:00:00+00:00"),
        );
        check(
            "Wed, 02 Oct 2002 13:00:00 +0200",
            Some("2002-10-02T11:00:00+00:00"),
        );
    }

    #[test]
    fn named_zones() {
        check(
            "Mon, 16 Oct 2017 15:10:00 BST",
            Some("2017-10-16T14:10:00+00:00"),
        );
        check(
            "Mon, 16 Oct 2017 15:10:00 CEST",
            Some("2017-10-16T13:10:00+00:00"),
        );
        check(
            "Mon, 16 Oct 2017 15:10:00 PDT",
            Some("2017-10-16T22:10:00+00:00"),
        );
        check(
            "Mon, 16 Oct 2017 15:10:00 MESZ",
            Some("2017-10-16T13:10:00+00:00"),
        );
    }

    #[test]
    fn sql_and_slashes_and_no_offset() {
        check("2018-12-13 00:00:00", Some("2018-12-13T00:00:00+00:00"));
        check("2020/1/10 14:33:00", Some("2020-01-10T14:33:00+00:00"));
        check("2012-11-13T14:36:22", Some("2012-11-13T14:36:22+00:00"));
        check(
            "2022-09-03 09:37:11+03:00",
            Some("2022-09-03T06:37:11+00:00"),
        );
        check("2016-01-01", Some("2016-01-01T00:00:00+00:00"));
        check(
            "2023-01-03T10:00:00.000+0000",
            Some("2023-01-03T10:00:00+00:00"),
        );
        check(
            "Tue, 03 Jan 2023 10:00:00 +02:00",
            Some("2023-01-03T08:00:00+00:00"),
        );
        check(
            "Di, 03 Jan 2023 10:00:00 +0100",
            Some("2023-01-03T09:00:00+00:00"),
        );
    }

    #[test]
    fn epochs() {
        check("1518478934", Some("2018-02-12T23:42:14+00:00"));
        check("1518478934000", Some("2018-02-12T23:42:14+00:00"));
        check("42", None);
        check("20230103", Some("2023-01-03T00:00:00+00:00"));
    }

    #[test]
    fn month_names() {
        check(
            "Thursday, 13 July 2011 07:38:00 GMT",
            Some("2011-07-13T07:38:00+00:00"),
        );
        check(
            "Mittwoch, 3. März 2021 14:05 MEZ",
            Some("2021-03-03T13:05:00+00:00"),
        );
        check(
            "13. Dezember 2018, 09:30 Uhr",
            Some("2018-12-13T09:30:00+00:00"),
        );
        check("13.12.2018 09:30", Some("2018-12-13T09:30:00+00:00"));
        check(
            "July 4th, 2023 3:15 PM EDT",
            Some("2023-07-04T19:15:00+00:00"),
        );
        check("Sep 5 2023", Some("2023-09-05T00:00:00+00:00"));
    }

    #[test]
    fn rubbish() {
        check("", None);
        check("yesterday", None);
        check("2023-02-30", None);
        check("99:99", None);
    }

    #[test]
    fn far_future_is_clamped() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let future = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(clamp_future(future, now), now);
        let soon = now + Duration::hours(2);
        assert_eq!(clamp_future(soon, now), soon);
    }
}
