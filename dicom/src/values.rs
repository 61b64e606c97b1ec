//! DICOM value representations as archives write them (PS3.5 §6.2), parsed
//! leniently: anything that cannot be read is `None`, never an error, so one
//! malformed header never fails a scan.

use chrono::{NaiveDate, NaiveTime};

/// Trims DICOM padding (spaces, and the NULs some devices use).
pub fn trim_padding(value: &str) -> &str {
    value.trim_matches(|c: char| c == ' ' || c == '\0')
}

/// DA: `YYYYMMDD` (PS3.5 Table 6.2-1), or the ACR-NEMA `YYYY.MM.DD` form the
/// same table notes as non-compliant but still found in old archives.
/// Empty, partial or impossible dates (`20230231`) are `None`.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    let value = trim_padding(value);
    let format = match value.len() {
        8 => "%Y%m%d",
        10 if value.as_bytes()[4] == b'.' && value.as_bytes()[7] == b'.' => "%Y.%m.%d",
        _ => return None,
    };
    if !value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    NaiveDate::parse_from_str(value, format).ok()
}

/// TM: `HH[MM[SS[.F{1,6}]]]` (PS3.5 Table 6.2-1), or the ACR-NEMA
/// `HH:MM:SS.frac` form. Leap second 60 is read as 59.999999.
pub fn parse_time(value: &str) -> Option<NaiveTime> {
    let value = trim_padding(value);
    let (whole, fraction) = match value.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (value, ""),
    };
    let whole: String =
        if whole.len() == 8 && whole.as_bytes()[2] == b':' && whole.as_bytes()[5] == b':' {
            whole.replace(':', "")
        } else {
            whole.to_string()
        };
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !matches!(whole.len(), 2 | 4 | 6) {
        return None;
    }
    if fraction.len() > 6 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |i: usize| -> u32 { whole.get(i..i + 2).map_or(0, |s| s.parse().unwrap_or(99)) };
    let (hour, minute, mut second) = (field(0), field(2), field(4));
    let mut micros: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<6}").parse().ok()?
    };
    if second == 60 {
        second = 59;
        micros = 999_999;
    }
    NaiveTime::from_hms_micro_opt(hour, minute, second, micros)
}

/// AS: `nnnD`, `nnnW`, `nnnM` or `nnnY` (PS3.5 Table 6.2-1) in years. Days and
/// weeks use a mean Gregorian year of 365.25 days. Values without a unit
/// (`65`, `065`) are `None`: their unit cannot be known.
pub fn parse_age(value: &str) -> Option<f64> {
    const DAYS_PER_YEAR: f64 = 365.25;
    let value = trim_padding(value);
    if value.len() != 4 {
        return None;
    }
    let (number, unit) = value.split_at(3);
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: f64 = number.parse().ok()?;
    match unit {
        "Y" => Some(number),
        "M" => Some(number / 12.0),
        "W" => Some(number * 7.0 / DAYS_PER_YEAR),
        "D" => Some(number / DAYS_PER_YEAR),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("20230115"), date(2023, 1, 15));
        assert_eq!(parse_date("19991231 "), date(1999, 12, 31));
        assert_eq!(parse_date("2023.01.15"), date(2023, 1, 15));
        for bad in [
            "",
            " ",
            "2023",
            "202301",
            "20230231",
            "2023-01-15",
            "abcdefgh",
            "2023.0115.",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times() {
        let t = |h, m, s, u| NaiveTime::from_hms_micro_opt(h, m, s, u);
        assert_eq!(parse_time("073000"), t(7, 30, 0, 0));
        assert_eq!(parse_time("07"), t(7, 0, 0, 0));
        assert_eq!(parse_time("0730"), t(7, 30, 0, 0));
        assert_eq!(parse_time("073015.5"), t(7, 30, 15, 500_000));
        assert_eq!(parse_time("073015.123456 "), t(7, 30, 15, 123_456));
        assert_eq!(parse_time("07:30:15.25"), t(7, 30, 15, 250_000));
        assert_eq!(parse_time("235960"), t(23, 59, 59, 999_999));
        for bad in [
            "",
            "7",
            "073",
            "250000",
            "076000",
            "0730x0",
            "073015.1234567",
            "07:30",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("065Y"), Some(65.0));
        assert_eq!(parse_age("018M"), Some(1.5));
        assert_eq!(parse_age("052W"), Some(52.0 * 7.0 / 365.25));
        assert_eq!(parse_age("010D"), Some(10.0 / 365.25));
        assert_eq!(parse_age(" 070Y "), Some(70.0));
        for bad in [
            "", "65", "065", "65Y", "0065Y", "065y", "06AY", "-65Y", "065X",
        ] {
            assert_eq!(parse_age(bad), None, "{bad:?}");
        }
    }
}
