//! Date formats several vendors share.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// `YYYY-MM-DDTHH:mm:ss.SSSZ`: UTC, exactly three fraction digits (Okta, PingFederate).
/// Written out rather than through `format`, which re-parses its pattern on every call.
pub fn iso8601_millis(t: DateTime<Utc>) -> String {
    Iso8601Millis(t).to_string()
}

/// [`iso8601_millis`] as a `Display`, to write a time into a response without a `String`
/// of its own (`serializer.collect_str(&Iso8601Millis(t))`).
pub struct Iso8601Millis(pub DateTime<Utc>);

impl std::fmt::Display for Iso8601Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.timestamp_subsec_millis().min(999)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_fraction_digits_always() {
        let t = DateTime::from_timestamp_millis(1_552_680_027_090).unwrap_or_default();
        assert_eq!(iso8601_millis(t), "2019-03-15T20:00:27.090Z");
        let t = DateTime::from_timestamp_millis(1_509_401_213_000).unwrap_or_default();
        assert_eq!(iso8601_millis(t), "2017-10-30T22:06:53.000Z");
    }
}
