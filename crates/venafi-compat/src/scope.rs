//! TPP scope strings: `scope[:restriction[,restriction…]][;scope…]`, e.g.
//! `certificate:manage,revoke;configuration`. Parsed case-insensitively against TPP's
//! published scopes, kept in a canonical form (lowercase, scopes and restrictions sorted,
//! duplicates merged) that is echoed back and can be submitted again as is.

use grant_core::model::{Scope, ScopeSet};

/// TPP's scopes and the restrictions each accepts.
pub const KNOWN: &[(&str, &[&str])] = &[
    (
        "admin",
        &["delete", "grantrights", "recyclebin", "viewlogs"],
    ),
    ("agent", &["delete"]),
    (
        "certificate",
        &["approve", "delete", "discover", "manage", "revoke"],
    ),
    ("codesign", &["admin", "approve", "delete", "manage"]),
    ("codesignclient", &[]),
    ("configuration", &["delete", "manage"]),
    ("restricted", &["delete", "manage"]),
    ("security", &["delete", "manage"]),
    ("ssh", &["approve", "delete", "discover", "manage"]),
    ("statistics", &[]),
];

/// Parses a scope string; the error is the offending scope token.
pub fn parse(raw: &str) -> Result<ScopeSet, String> {
    let mut out: Vec<Scope> = Vec::new();
    for token in raw.split(';').map(str::trim).filter(|t| !t.is_empty()) {
        let lower = token.to_ascii_lowercase();
        let (name, rest) = match lower.split_once(':') {
            Some((n, r)) => (n.trim().to_owned(), Some(r)),
            None => (lower.trim().to_owned(), None),
        };
        let Some((_, allowed)) = KNOWN.iter().find(|(n, _)| *n == name) else {
            return Err(token.to_owned());
        };
        let mut restrictions = Vec::new();
        if let Some(rest) = rest {
            for r in rest.split(',').map(str::trim) {
                if r.is_empty() || !allowed.contains(&r) {
                    return Err(token.to_owned());
                }
                restrictions.push(r.to_owned());
            }
        }
        match out.iter_mut().find(|s| s.name == name) {
            Some(existing) => existing.restrictions.extend(restrictions),
            None => out.push(Scope { name, restrictions }),
        }
    }
    if out.is_empty() {
        return Err(raw.to_owned());
    }
    Ok(canonical(ScopeSet(out)))
}

/// Sorted scopes, sorted and de-duplicated restrictions.
pub fn canonical(mut set: ScopeSet) -> ScopeSet {
    for s in &mut set.0 {
        s.restrictions.sort();
        s.restrictions.dedup();
    }
    set.0.sort_by(|a, b| a.name.cmp(&b.name));
    set
}

/// The TPP form of a scope set: `a:r1,r2;b`.
pub fn format(set: &ScopeSet) -> String {
    canonical(set.clone())
        .0
        .iter()
        .map(Scope::venafi_token)
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_round_trips() {
        let set = parse("Configuration:Manage;certificate:revoke,MANAGE; certificate:manage").ok();
        let text = set.as_ref().map(format).unwrap_or_default();
        assert_eq!(text, "certificate:manage,revoke;configuration:manage");
        assert_eq!(parse(&text).ok().map(|s| format(&s)), Some(text));
        assert_eq!(
            parse("admin").ok().map(|s| format(&s)).as_deref(),
            Some("admin")
        );
    }

    #[test]
    fn rejects_unknown_scopes_and_restrictions() {
        assert_eq!(parse("bogus").err().as_deref(), Some("bogus"));
        assert_eq!(
            parse("certificate:fly").err().as_deref(),
            Some("certificate:fly")
        );
        assert_eq!(parse("certificate:").err().as_deref(), Some("certificate:"));
        assert!(parse(" ; ").is_err());
    }
}
