//! Authorization questions, answered once for every gateway: "may this principal read (or
//! revoke) user X's grants?". Gateways authenticate, then ask here; the answer is `Ok(())`
//! or `CoreError::Forbidden`, which each gateway renders in its vendor's shape.

use crate::model::UserId;
use crate::model::{AliasVendor, Principal};
use crate::{CoreError, Result};

/// The admin roles of a face: holders of `write_any` read and revoke every user's grants,
/// holders of `read_any` read them. Everyone else reaches only the grants of the user the
/// credential acts as.
#[derive(Debug, Clone, Copy)]
pub struct AdminRoles {
    pub read_any: &'static [&'static str],
    pub write_any: &'static [&'static str],
}

/// Okta's administrator roles, as an API token or an access token acts with the admin roles
/// of its user: super and org admins manage every user's grants, read-only admins read them.
pub const OKTA_ADMIN_ROLES: AdminRoles = AdminRoles {
    read_any: &["READ_ONLY_ADMIN"],
    write_any: &["SUPER_ADMIN", "ORG_ADMIN"],
};

/// Venafi TPP: Admin and Grant Admin read and revoke every identity's grants, Auditor and
/// Application Owner read them (the store has no owner relation, so an Application Owner
/// reads every application's).
pub const VENAFI_ADMIN_ROLES: AdminRoles = AdminRoles {
    read_any: &["Auditor", "Application Owner"],
    write_any: &["Admin", "Grant Admin"],
};

impl AdminRoles {
    fn holds(principal: &Principal, roles: &[&str]) -> bool {
        roles.iter().any(|r| principal.has_role(r))
    }

    /// True when the principal may read (`write == false`) or revoke anyone's grants.
    pub fn is_admin(&self, principal: &Principal, write: bool) -> bool {
        Self::holds(principal, self.write_any) || (!write && Self::holds(principal, self.read_any))
    }
}

/// The principal holds an admin role allowing this on every user (e.g. API tokens, which
/// act only as administrators). `Forbidden` otherwise.
pub fn require_admin(principal: &Principal, roles: &AdminRoles, write: bool) -> Result<()> {
    if roles.is_admin(principal, write) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "no admin role for this operation".into(),
        ))
    }
}

/// May `principal` read (`write == false`) or revoke the grants of the user whose id is
/// `target_user_id`? Admins (by `roles`) may, for any user; anyone else only for the user
/// the credential acts as. `Forbidden` otherwise.
pub fn may_access_user_grants(
    principal: &Principal,
    roles: &AdminRoles,
    target_user_id: &UserId,
    write: bool,
) -> Result<()> {
    let own = principal.user_id() == Some(target_user_id);
    decide(principal, roles, own, write)
}

/// The same rule where the target is named by a vendor's alias (compared as that vendor
/// compares; `None`: no single user, e.g. every grant of an application, which only admins
/// reach).
pub fn may_access_grantee_grants(
    principal: &Principal,
    roles: &AdminRoles,
    grantee: Option<(AliasVendor, &str)>,
    write: bool,
) -> Result<()> {
    let own = match (grantee, &principal.user) {
        (Some((vendor, g)), Some(u)) => {
            let mine = u.alias(vendor);
            !mine.is_empty() && vendor.same(mine, g)
        }
        _ => false,
    };
    decide(principal, roles, own, write)
}

fn decide(principal: &Principal, roles: &AdminRoles, own: bool, write: bool) -> Result<()> {
    if own || roles.is_admin(principal, write) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "only the user's own grants are reachable without an admin role".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Credential, CredentialKind, CredentialStatus, User};

    fn principal(user_roles: &[&str], cred_roles: &[&str]) -> Principal {
        let at = chrono::Utc::now();
        Principal {
            credential: Credential {
                id: "c".into(),
                tenant_id: "t".into(),
                kind: CredentialKind::BearerToken,
                name: "n".into(),
                user_id: Some("u1".into()),
                client_id: None,
                grant_id: None,
                scopes: vec![],
                roles: cred_roles.iter().map(|r| r.to_string()).collect(),
                status: CredentialStatus::Active,
                created_at: at,
                expires_at: None,
                faces: vec!["okta".into()],
            },
            user: Some(User {
                id: "u1".into(),
                tenant_id: "t".into(),
                login: "alice".into(),
                aliases: [
                    (AliasVendor::Okta, "00u1".to_owned()),
                    (AliasVendor::Venafi, "local:{1}".to_owned()),
                ]
                .into(),
                display_name: "Alice".into(),
                roles: user_roles.iter().map(|r| r.to_string()).collect(),
                created_at: at,
                profile: None,
            }),
        }
    }

    #[test]
    fn plain_user_reaches_only_own_grants() {
        let p = principal(&[], &[]);
        assert!(may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u1"), false).is_ok());
        assert!(may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u1"), true).is_ok());
        assert!(matches!(
            may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u2"), false),
            Err(CoreError::Forbidden(_))
        ));
        assert!(matches!(
            may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u2"), true),
            Err(CoreError::Forbidden(_))
        ));
    }

    #[test]
    fn read_only_admin_reads_everyone_revokes_only_own() {
        let p = principal(&["read_only_admin"], &[]);
        assert!(may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u2"), false).is_ok());
        assert!(may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u2"), true).is_err());
        assert!(may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u1"), true).is_ok());
    }

    #[test]
    fn super_admin_of_the_user_or_the_credential_manages_everyone() {
        for p in [
            principal(&["SUPER_ADMIN"], &[]),
            principal(&[], &["ORG_ADMIN"]),
        ] {
            assert!(may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u2"), true).is_ok());
            assert!(require_admin(&p, &OKTA_ADMIN_ROLES, true).is_ok());
        }
    }

    #[test]
    fn venafi_grantee_by_universal_any_case() {
        let p = principal(&[], &[]);
        let r = &VENAFI_ADMIN_ROLES;
        assert!(
            may_access_grantee_grants(&p, r, Some((AliasVendor::Venafi, "LOCAL:{1}")), true)
                .is_ok()
        );
        assert!(
            may_access_grantee_grants(&p, r, Some((AliasVendor::Venafi, "local:{2}")), false)
                .is_err()
        );
        assert!(may_access_grantee_grants(&p, r, None, false).is_err());
        let auditor = principal(&["auditor"], &[]);
        assert!(
            may_access_grantee_grants(&auditor, r, Some((AliasVendor::Venafi, "local:{2}")), false)
                .is_ok()
        );
        assert!(may_access_grantee_grants(&auditor, r, None, true).is_err());
        let grant_admin = principal(&["Grant Admin"], &[]);
        assert!(may_access_grantee_grants(&grant_admin, r, None, true).is_ok());
    }

    #[test]
    fn credential_without_user_reaches_nobody_without_a_role() {
        let mut p = principal(&[], &[]);
        p.user = None;
        p.credential.user_id = None;
        assert!(may_access_user_grants(&p, &OKTA_ADMIN_ROLES, UserId::new("u1"), false).is_err());
        assert!(require_admin(&p, &OKTA_ADMIN_ROLES, false).is_err());
    }
}
