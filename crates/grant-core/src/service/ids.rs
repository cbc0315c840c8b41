//! Identifier generators in each vendor's visible format.

use rand::Rng;
use rand::distributions::Alphanumeric;

fn alnum(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// Okta-style object id: a 3-character prefix followed by 17 alphanumerics (20 in all).
pub fn okta_id(prefix: &str) -> String {
    format!("{prefix}{}", alnum(20usize.saturating_sub(prefix.len())))
}

/// PingFederate persistent-grant id: 32 alphanumerics.
pub fn pingfed_grant_id() -> String {
    alnum(32)
}

/// Lower-case hyphenated GUID (OCS ids, Venafi universals).
pub fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Random alphanumerics for token bodies.
pub fn random_alnum(n: usize) -> String {
    alnum(n)
}
