//! Opaque, URL-safe cursors and `Link` header values.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use grant_core::model::Cursor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::ApiError;

/// Characters left alone in query values: RFC 3986 unreserved.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Encodes a keyset position as base64url (no `,`, `;`, `=` or `/`: safe in a Link header).
pub fn encode_cursor(c: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", c.created_at.timestamp_millis(), c.id))
}

/// Decodes a cursor made by `encode_cursor`; anything else is invalid `param`.
pub fn decode_cursor(param: &str, raw: &str) -> Result<Cursor, ApiError> {
    let bad = || ApiError::invalid(param, "is not a valid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (millis, id) = text.split_once('.').ok_or_else(bad)?;
    let created_at =
        DateTime::from_timestamp_millis(millis.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok(Cursor {
        created_at,
        id: id.to_owned(),
    })
}

/// Builds `base + path ? k=v&…` with every value percent-encoded.
pub fn url_with_query(base: &str, path: &str, params: &[(&str, &str)]) -> String {
    let mut url = String::with_capacity(base.len() + path.len() + 64);
    url.push_str(base);
    url.push_str(path);
    for (i, (k, v)) in params.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.extend(utf8_percent_encode(k, QUERY_VALUE));
        url.push('=');
        url.extend(utf8_percent_encode(v, QUERY_VALUE));
    }
    url
}

/// One RFC 8288 link value: `<url>; rel="rel"`.
pub fn link(url: &str, rel: &str) -> String {
    format!("<{url}>; rel=\"{rel}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            created_at: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap_or_default(),
            id: "oag,1;x".into(),
        };
        let enc = encode_cursor(&c);
        assert!(
            enc.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        );
        assert_eq!(decode_cursor("after", &enc).ok(), Some(c));
        assert!(decode_cursor("after", "!!").is_err());
        assert!(decode_cursor("after", &URL_SAFE_NO_PAD.encode("x.y")).is_err());
    }

    #[test]
    fn urls_encode_every_value() {
        assert_eq!(
            url_with_query("http://h:1", "/p", &[("scopeId", "a b,c"), ("limit", "2")]),
            "http://h:1/p?scopeId=a%20b%2Cc&limit=2"
        );
    }
}
