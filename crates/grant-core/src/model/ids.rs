//! Typed identifiers for the records services are called with.
//!
//! Each id comes as a borrowed, unsized type (`&TenantId`, like `&Path`) that services take,
//! and an owned one (`TenantIdBuf`, like `PathBuf`, from `to_buf()`) for the few places
//! that keep an id.
//! A bare `&str` never converts by itself: a caller says what the string is with
//! `TenantId::new(s)`, so a user id cannot be passed where a tenant id is expected. Inside
//! a service the id reads as the `str` it wraps (`Deref`), which is what the store binds.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use ref_cast::{RefCastCustom, ref_cast_custom};
use serde::{Deserialize, Serialize, Serializer};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $owned:ident) => {
        $(#[$m])*
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash, RefCastCustom)]
        #[repr(transparent)]
        pub struct $name(str);

        impl $name {
            /// Names `id` as this kind of id (no copy).
            #[ref_cast_custom]
            pub const fn new(id: &str) -> &Self;

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &self.0 == other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl $name {
            /// An owned copy (`to_owned()` and `to_string()` give the `String`, for records).
            pub fn to_buf(&self) -> $owned {
                $owned(self.0.to_owned())
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.to_owned()
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<&$name> for String {
            fn eq(&self, other: &&$name) -> bool {
                self.as_str() == &other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self.as_str() == &other.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        #[doc = concat!("An owned [`", stringify!($name), "`].")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $owned(String);

        impl $owned {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Deref for $owned {
            type Target = $name;
            fn deref(&self) -> &$name {
                $name::new(&self.0)
            }
        }

        impl Borrow<$name> for $owned {
            fn borrow(&self) -> &$name {
                self
            }
        }

        impl PartialEq<$owned> for String {
            fn eq(&self, other: &$owned) -> bool {
                self == &other.0
            }
        }

        impl fmt::Display for $owned {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A tenant's id (an Okta org, an OCS tenant, a PingFederate or TPP installation).
    TenantId,
    TenantIdBuf
);
id_type!(
    /// A user's canonical id (not a login, not a vendor alias).
    UserId,
    UserIdBuf
);
id_type!(
    /// A client's id as its vendor shows it (Okta's `clientId`, OCS's client id, …).
    ClientId,
    ClientIdBuf
);
id_type!(
    /// A grant's id.
    GrantId,
    GrantIdBuf
);
id_type!(
    /// A credential's id (an API token, a client secret, a password).
    CredentialId,
    CredentialIdBuf
);

/// Typed views of the ids a record carries (the fields stay `String` for storage and serde).
macro_rules! typed_ids {
    ($record:ty { $($method:ident: $field:ident as $id:ident),+ $(,)? }) => {
        impl $record {
            $(
                pub fn $method(&self) -> &$id {
                    $id::new(&self.$field)
                }
            )+
        }
    };
}

typed_ids!(super::Tenant { id: id as TenantId });
typed_ids!(super::User {
    id: id as UserId,
    tenant_id: tenant_id as TenantId
});
typed_ids!(super::Client {
    id: id as ClientId,
    tenant_id: tenant_id as TenantId
});
typed_ids!(super::Grant {
    id: id as GrantId,
    tenant_id: tenant_id as TenantId,
    user_id: user_id as UserId,
    client_id: client_id as ClientId,
});
typed_ids!(super::Credential {
    id: id as CredentialId,
    tenant_id: tenant_id as TenantId
});

#[cfg(test)]
mod tests {
    use super::*;

    const T: &TenantId = TenantId::new("t");

    #[test]
    fn borrowed_and_owned_ids_read_as_their_text() {
        let owned = T.to_buf();
        assert_eq!(owned.as_str(), "t");
        assert_eq!(&*owned, T);
        assert_eq!(format!("{owned} {}", UserId::new("u1")), "t u1");
        let text: &str = &owned;
        assert_eq!(text, "t");
    }
}
