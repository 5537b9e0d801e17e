//! Human durations in config and on the command line: `90s`, `15m`, `6h`, `7d`, `2w`, `1h30m`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative span of time written the way people write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(pub std::time::Duration);

impl HumanDuration {
    pub const fn secs(s: u64) -> Self {
        HumanDuration(std::time::Duration::from_secs(s))
    }
    pub const fn minutes(m: u64) -> Self {
        Self::secs(m * 60)
    }
    pub const fn hours(h: u64) -> Self {
        Self::secs(h * 3600)
    }
    pub const fn days(d: u64) -> Self {
        Self::secs(d * 86_400)
    }
    pub fn as_std(self) -> std::time::Duration {
        self.0
    }
    pub fn as_chrono(self) -> chrono::Duration {
        chrono::Duration::from_std(self.0).unwrap_or(chrono::Duration::MAX)
    }
}

/// Parses `90s`, `15m`, `6h`, `7d`, `2w`, `1h30m` (units may repeat in any order; a bare
/// number means seconds).
pub fn parse_duration(text: &str) -> Result<HumanDuration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration; expected e.g. 90s, 15m, 6h, 7d".into());
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(HumanDuration::secs(n));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("invalid duration {text:?}: a number must precede unit {c:?}"))?;
        digits.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {c:?}; use s, m, h, d or w"
                ));
            }
        };
        total = total
            .checked_add(
                n.checked_mul(unit)
                    .ok_or_else(|| format!("duration {text:?} is too large"))?,
            )
            .ok_or_else(|| format!("duration {text:?} is too large"))?;
    }
    if !digits.is_empty() {
        return Err(format!(
            "invalid duration {text:?}: {digits} has no unit (s, m, h, d, w)"
        ));
    }
    Ok(HumanDuration::secs(total))
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.0.as_secs();
        if s == 0 {
            return write!(f, "0s");
        }
        for (unit, len) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
            if s >= len {
                write!(f, "{}{unit}", s / len)?;
                s %= len;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_duration(s)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, secs: u64) {
        assert_eq!(parse_duration(input).unwrap().0.as_secs(), secs, "{input}");
    }

    #[test]
    fn parses_common_forms() {
        check("90s", 90);
        check("15m", 900);
        check("6h", 21_600);
        check("7d", 604_800);
        check("1000d", 86_400_000);
        check("1h30m", 5_400);
        check("2w", 1_209_600);
        check("45", 45);
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in ["", "h", "5x", "5h3", "-3h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_round_trip() {
        for s in ["1d6h", "15m", "30s", "2d"] {
            assert_eq!(parse_duration(s).unwrap().to_string(), s);
        }
    }
}
