//! Lenient parsing of the timestamps SES writes, and formatting back to RFC 3339.
//!
//! SES normally writes RFC 3339 with milliseconds (`2026-11-20T10:15:30.000Z`), but documented examples
//! also show `2018-10-08T14:05:45 +0000`. A parser that rejected those would lose the feedback's own time,
//! so this one accepts a `T` or a space between date and time, any number of fraction digits, and an offset
//! of `Z`, `±HH:MM`, `±HHMM` or `±HH`, optionally after a space; no offset means UTC.

use chrono::format::{parse, Parsed, StrftimeItems};
use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch for `text`, or `None` if it is not a date-time.
pub(crate) fn parse_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    // chrono's RFC 3339 parser: fixed-width fields, `T`, `t` or a space, leap second 60, offset range.
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_millis());
    }
    // The other forms: chrono has no `,` fraction and no optional offset, so the date-time and its
    // fraction are read as UTC and the offset, if any, separately (chrono's `%#z`).
    let (date_time, rest) = (text.get(..19)?, text.get(19..)?);
    let (fraction, offset) = match rest.strip_prefix(['.', ',']) {
        Some(fraction) => fraction.split_at(
            fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len()),
        ),
        None => ("0", rest),
    };
    let utc = DateTime::parse_from_rfc3339(&format!("{date_time}.{fraction}Z")).ok()?;
    let offset_seconds = match offset.trim_start() {
        "" => 0,
        offset => {
            let mut parsed = Parsed::new();
            parse(&mut parsed, offset, StrftimeItems::new("%#z")).ok()?;
            parsed.to_fixed_offset().ok()?.local_minus_utc()
        }
    };
    Some(utc.timestamp_millis() - i64::from(offset_seconds) * 1_000)
}

/// `millis` as RFC 3339 UTC with milliseconds, the form SES itself writes.
pub(crate) fn format_millis(millis: i64) -> String {
    // Out of chrono's range (±262,000 years) only for times no parse or clock here produces.
    let time = DateTime::from_timestamp_millis(millis).unwrap_or(if millis < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    });
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_20_2026_101530: i64 = 1_795_169_730_000;

    #[test]
    fn parses_the_rfc3339_form_ses_writes() {
        assert_eq!(
            parse_millis("2026-11-20T10:15:30.000Z"),
            Some(NOV_20_2026_101530)
        );
        assert_eq!(
            parse_millis("2026-11-20T10:15:30.123Z"),
            Some(NOV_20_2026_101530 + 123)
        );
    }

    #[test]
    fn parses_the_documented_space_and_colonless_offset_form() {
        assert_eq!(
            parse_millis("2018-10-08T14:05:45 +0000"),
            Some(1_539_007_545_000)
        );
    }

    #[test]
    fn applies_offsets_and_accepts_variants() {
        let utc = parse_millis("2026-11-20T10:15:30Z");
        assert_eq!(utc, Some(NOV_20_2026_101530));
        assert_eq!(parse_millis("2026-11-20T12:15:30+02:00"), utc);
        assert_eq!(parse_millis("2026-11-20T05:15:30-0500"), utc);
        assert_eq!(parse_millis("2026-11-20T11:15:30+01"), utc);
        assert_eq!(parse_millis("2026-11-20 10:15:30"), utc);
        assert_eq!(parse_millis("  2026-11-20t10:15:30z "), utc);
        assert_eq!(
            parse_millis("2026-11-20T10:15:30.5Z"),
            Some(NOV_20_2026_101530 + 500)
        );
        assert_eq!(
            parse_millis("2026-11-20T10:15:30,250123Z"),
            Some(NOV_20_2026_101530 + 250)
        );
    }

    #[test]
    fn rejects_what_is_not_a_date_time() {
        for bad in [
            "",
            "yesterday",
            "2026-11-20",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T10:15:30.Z",
            "2026-11-20T10:15:30Zjunk",
            "2026-11-20T10:15:30+25:00",
            "２０２６-11-20T10:15:30Z",
        ] {
            assert_eq!(parse_millis(bad), None, "{bad:?}");
        }
        assert!(parse_millis("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn accepts_a_leap_second_as_the_next_minutes_first() {
        assert_eq!(
            parse_millis("2016-12-31T23:59:60.500Z"),
            parse_millis("2017-01-01T00:00:00.500Z")
        );
        assert_eq!(
            parse_millis("2016-12-31 23:59:60,5 +00"),
            parse_millis("2017-01-01T00:00:00.500Z")
        );
        assert_eq!(parse_millis("2016-12-31T23:59:61Z"), None);
    }

    #[test]
    fn formats_back_to_rfc3339_with_millis() {
        assert_eq!(
            format_millis(NOV_20_2026_101530 + 7),
            "2026-11-20T10:15:30.007Z"
        );
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_millis(-1), "1969-12-31T23:59:59.999Z");
        for millis in [951_782_400_000, 1_709_164_800_123, 4_102_444_800_000] {
            assert_eq!(parse_millis(&format_millis(millis)), Some(millis));
        }
    }
}
