//! Route patterns for vendors whose paths match in any letter case (ASP.NET and
//! IdentityServer for OCS, TPP's "API method names evaluate as case insensitive") or with a
//! trailing slash (PingFederate, TPP). One way for every gateway to write them.

use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT_NAME: AtomicUsize = AtomicUsize::new(0);

fn escape(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len() + 4);
    for c in literal.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `path` with each literal segment matching in any case; `{param}` segments are kept as
/// they are. `/api/v1/Tenants/{tenantId}` → `/{_l0:(?i:api)}/{_l1:(?i:v1)}/…/{tenantId}`.
/// (The generated segment names are unique, so patterns nest in scopes freely.)
pub fn any_case(path: &str) -> String {
    let mut out = String::with_capacity(path.len() * 2);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if segment.starts_with('{') && segment.ends_with('}') {
            out.push_str(segment);
        } else {
            let n = NEXT_NAME.fetch_add(1, Ordering::Relaxed);
            out.push_str(&format!("{{_l{n}:(?i:{})}}", escape(segment)));
        }
    }
    out
}

/// The pattern with and without a trailing slash (for `web::resource`).
pub fn with_trailing_slash(path: impl Into<String>) -> Vec<String> {
    let path = path.into();
    let slashed = format!("{path}/");
    vec![path, slashed]
}

#[cfg(test)]
mod tests {
    use actix_web::dev::ResourceDef;

    use super::*;

    #[test]
    fn literal_segments_match_in_any_case_params_are_kept() {
        let def = ResourceDef::new(any_case("/api/v1/Tenants/{tenantId}/.well-known"));
        assert!(def.is_match("/API/V1/tenants/abc/.WELL-KNOWN"));
        assert!(def.is_match("/api/v1/Tenants/abc/.well-known"));
        assert!(!def.is_match("/api/v1/Tenants/abc/xwell-known"));
        let mut path = actix_web::dev::Path::new("/Api/v1/TENANTS/Ab-C/.well-known");
        assert!(def.capture_match_info(&mut path));
        assert_eq!(path.get("tenantId"), Some("Ab-C"));
    }

    #[test]
    fn trailing_slash_is_optional() {
        let def = ResourceDef::new(with_trailing_slash(any_case("/vedsdk/OAuth/GetGrants")));
        assert!(def.is_match("/VEDSDK/oauth/getgrants"));
        assert!(def.is_match("/vedsdk/OAuth/GetGrants/"));
        assert!(!def.is_match("/vedsdk/OAuth/GetGrantsX"));
    }
}
