//! Lenient parsing of the timestamps SES writes, and formatting back to RFC 3339.
//!
//! SES normally writes RFC 3339 with milliseconds (`2026-11-20T10:15:30.000Z`), but documented examples
//! also show `2018-10-08T14:05:45 +0000`. A parser that rejected those would lose the feedback's own time,
//! so this one accepts a `T` or a space between date and time, any number of fraction digits, and an offset
//! of `Z`, `±HH:MM`, `±HHMM` or `±HH`, optionally after a space; no offset means UTC.

/// Milliseconds since the Unix epoch for `text`, or `None` if it is not a date-time.
pub fn parse_millis(text: &str) -> Option<i64> {
    let mut cursor = Cursor {
        bytes: text.trim().as_bytes(),
        at: 0,
    };
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    match cursor.next()? {
        b'T' | b't' | b' ' => {}
        _ => return None,
    }
    let hour = cursor.digits(2)?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2)?;
    cursor.expect(b':')?;
    let second = cursor.digits(2)?;
    let mut millis = 0;
    if cursor.peek() == Some(b'.') || cursor.peek() == Some(b',') {
        cursor.at += 1;
        let mut scale = 100;
        let mut any = false;
        while let Some(digit) = cursor.peek().filter(u8::is_ascii_digit) {
            millis += i64::from(digit - b'0') * scale;
            scale /= 10;
            cursor.at += 1;
            any = true;
        }
        if !any {
            return None;
        }
    }
    if cursor.peek() == Some(b' ') {
        cursor.at += 1;
    }
    let offset_minutes = match cursor.next() {
        None => 0,
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = cursor.digits(2)?;
            if cursor.peek() == Some(b':') {
                cursor.at += 1;
            }
            let minutes = if cursor.peek().is_some() {
                cursor.digits(2)?
            } else {
                0
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = hours * 60 + minutes;
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
        Some(_) => return None,
    };
    if cursor.peek().is_some() {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

/// `millis` as RFC 3339 UTC with milliseconds, the form SES itself writes.
pub fn format_millis(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1_000 % 60,
        in_day % 1_000
    )
}

/// The current time in milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        (self.next()? == wanted).then_some(())
    }

    fn digits(&mut self, count: usize) -> Option<i64> {
        let mut value = 0;
        for _ in 0..count {
            let digit = self.next().filter(u8::is_ascii_digit)?;
            value = value * 10 + i64::from(digit - b'0');
        }
        Some(value)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days-from-civil algorithm: exact for the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
