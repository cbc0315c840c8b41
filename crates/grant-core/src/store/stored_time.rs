//! Timestamps read from the store without chrono's format parser where SQLite holds them as
//! Diesel writes them. SQLite has no timestamp type: Diesel stores `YYYY-MM-DD HH:MM:SS`
//! with an optional fraction (`%F %T%.f`) and reads a value back by trying up to 18 chrono
//! formats, each parsed from its format string, and Julian day numbers — a sixth of an okta
//! list request's row decoding (six timestamps per grant). [`StoredTime`] reads that one
//! shape by hand and hands anything else to Diesel, so every text Diesel accepts still
//! reads the same; PostgreSQL's binary timestamps go to Diesel unchanged. Row structs use it
//! as `#[diesel(deserialize_as = StoredTime)]` (or [`StoredTimeOpt`] for a nullable column)
//! and keep their `NaiveDateTime` fields.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::{Nullable, Timestamp};
use diesel::sqlite::Sqlite;

use super::{MultiBackend, MultiRawValue};

/// A `Timestamp` column's value.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct StoredTime(NaiveDateTime);

impl From<StoredTime> for NaiveDateTime {
    fn from(t: StoredTime) -> Self {
        t.0
    }
}

/// A nullable `Timestamp` column's value.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct StoredTimeOpt(Option<NaiveDateTime>);

impl From<StoredTimeOpt> for Option<NaiveDateTime> {
    fn from(t: StoredTimeOpt) -> Self {
        t.0
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1 to 9 fraction digits, and nothing
/// else; `None` for any other text (and for values that are no date or time).
pub(crate) fn parse_diesel_text(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let value = number(20..b.len())?;
            value * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)?.and_hms_nano_opt(
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        nanos,
    )
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(
        mut value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        if let Some(t) = parse_diesel_text(value.read_text()) {
            return Ok(Self(t));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, Pg> for StoredTime {
    fn from_sql(
        value: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, MultiBackend> for StoredTime {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

impl<DB> FromSql<Nullable<Timestamp>, DB> for StoredTimeOpt
where
    DB: diesel::backend::Backend,
    StoredTime: FromSql<Timestamp, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        StoredTime::from_sql(value).map(|t| Self(Some(t.0)))
    }

    fn from_nullable_sql(value: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(v) => Self::from_sql(v),
            None => Ok(Self(None)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{Duration, NaiveDateTime};

    use super::parse_diesel_text;

    /// What Diesel itself reads from SQLite text (its first formats, tried in order).
    fn chrono_reads(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%F %T%.f").ok()
    }

    #[test]
    fn reads_what_diesel_writes_as_diesel_reads_it() {
        let start = NaiveDateTime::parse_from_str("1970-01-01 00:00:00", "%F %T").unwrap();
        let mut t = start;
        // Steps of prime lengths from 1970 to past 2100: every month, leap days, fractions of
        // every width Diesel writes (none, 3, 6 and 9 digits).
        for step in 0..20_000i64 {
            t += Duration::seconds(190_027)
                + Duration::nanoseconds(step * 7_919_263 % 1_000_000_000);
            let text = t.format("%F %T%.f").to_string();
            assert_eq!(parse_diesel_text(&text), Some(t), "{text}");
            assert_eq!(parse_diesel_text(&text), chrono_reads(&text), "{text}");
        }
    }

    #[test]
    fn any_other_text_is_left_to_diesel() {
        for text in [
            "2026-12-07T23:10:16",  // ISO 8601 with a T: one of Diesel's other formats
            "2026-12-07 23:10",     // no seconds
            "2026-12-07 23:10:16.", // a dot without digits
            "2026-12-07 23:10:16.1234567891", // ten fraction digits
            "2026-12-07 23:10:16Z",
            "2026-12-07 23:10:16+01:00",
            "2026-02-30 00:00:00", // no such day
            "2026-12-07 24:00:00", // no such hour
            "2026-12-07 23:59:60", // a leap second: chrono's own reading
            "2461017.5",           // a Julian day number
            "+2026-12-07 23:10:16",
            "２０２６-12-07 23:10:16",
            "",
        ] {
            assert_eq!(parse_diesel_text(text), None, "{text}");
        }
        assert_eq!(
            parse_diesel_text("2026-12-07 23:10:16.5"),
            chrono_reads("2026-12-07 23:10:16.5")
        );
    }
}
