//! Authentication, written once: the `Authorization` header parsed into what it presents
//! (Bearer, SSWS, Basic), and two extractors that ask the vendor who that is. [`Principal`]
//! authenticates before the handler runs (`Vendor::authenticate`, once per request however
//! many extractors ask). [`PendingCaller`] checks the caller on the connection the handler's
//! own work then uses, so a request makes one blocking-pool hop and one pool check-out
//! (a vendor implementing [`ConnectionAuth`]). A handler's signature says who may call it.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};
use secrecy::SecretString;

use grant_core::DbConn;

use crate::{ApiError, ApiResult, AppState, Vendor, header_text};

/// What an `Authorization` header presents. Scheme names match in any case; the token of
/// `Bearer` and `SSWS` may follow the scheme without a space (Okta's Python SDK sends
/// `SSWS<token>`).
#[derive(Debug)]
pub enum Presented {
    /// No `Authorization` header.
    Missing,
    /// A header that is not visible ASCII, or a `Basic` value that does not decode to
    /// `user:password` with a user: a bad credential, never a missing one.
    Malformed,
    /// `Bearer <token>` (the token may be empty).
    Bearer(String),
    /// `SSWS <token>` (the token may be empty).
    Ssws(String),
    /// `Basic base64(user:password)` (padded or not; the password may contain `:`).
    Basic {
        username: String,
        password: SecretString,
    },
    /// Any other scheme, lowercased (`digest`, `negotiate`…), or a value without one.
    Other(String),
}

impl Presented {
    /// Parses the request's `Authorization` header.
    pub fn of(req: &HttpRequest) -> Self {
        match header_text(req, "authorization") {
            Err(_) => Self::Malformed,
            Ok(None) => Self::Missing,
            Ok(Some(value)) => Self::parse(value),
        }
    }

    /// Parses an `Authorization` value.
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        let starts = |scheme: &str| {
            value
                .get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        };
        if starts("ssws") {
            return Self::Ssws(value[4..].trim_start().to_owned());
        }
        if starts("bearer") {
            return Self::Bearer(value[6..].trim_start().to_owned());
        }
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return basic(rest.trim());
        }
        Self::Other(scheme.to_ascii_lowercase())
    }

    /// The scheme's name as a log or audit shows it (`basic`, `bearer`…; `-` when none).
    pub fn scheme(&self) -> &str {
        match self {
            Self::Missing => "-",
            Self::Malformed => "malformed",
            Self::Bearer(_) => "bearer",
            Self::Ssws(_) => "ssws",
            Self::Basic { .. } => "basic",
            Self::Other(s) => s,
        }
    }
}

fn basic(encoded: &str) -> Presented {
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|e| e.decode(encoded).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.split_once(':')
                .map(|(u, p)| (u.to_owned(), p.to_owned()))
        })
        .filter(|(user, _)| !user.is_empty())
        .map_or(Presented::Malformed, |(username, password)| {
            Presented::Basic {
                username,
                password: SecretString::from(password),
            }
        })
}

/// The authenticated caller of a vendor's endpoint, as a handler argument
/// (`caller: Principal<Okta>`): `Vendor::authenticate` runs once per request, however many
/// extractors ask, and its refusal is rendered the vendor's way.
pub struct Principal<V: Vendor>(pub V::Principal);

impl<V: Vendor> Principal<V> {
    pub fn into_inner(self) -> V::Principal {
        self.0
    }
}

impl<V: Vendor> Clone for Principal<V> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<V: Vendor> std::fmt::Debug for Principal<V>
where
    V::Principal: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<V: Vendor> Deref for Principal<V> {
    type Target = V::Principal;

    fn deref(&self) -> &V::Principal {
        &self.0
    }
}

/// This request's authentication, shared by every extractor that asks: actix builds all of
/// a handler's extractors before it polls any, so the first one starts the vendor's
/// authentication and the others await the same future.
type Authentication<P> = Shared<LocalBoxFuture<'static, Result<P, ApiError>>>;

impl<V: Vendor> FromRequest for Principal<V> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let existing = req
            .extensions()
            .get::<Authentication<V::Principal>>()
            .cloned();
        let authentication = match existing {
            Some(shared) => shared,
            None => {
                let request = req.clone();
                let shared = async move {
                    let state = request
                        .app_data::<web::Data<AppState<V>>>()
                        .cloned()
                        .ok_or(ApiError::Internal)?;
                    let presented = Presented::of(&request);
                    V::authenticate(request, state, presented).await
                }
                .boxed_local()
                .shared();
                req.extensions_mut().insert(shared.clone());
                shared
            }
        };
        async move { authentication.await.map(Principal) }.boxed_local()
    }
}

/// Authentication whose database part runs on a connection it is handed, so that a handler
/// can check its caller and do its own work in one blocking-pool hop, on one pooled
/// connection ([`PendingCaller`]): an async worker waits once per request, and the pool is
/// checked out once. A vendor implementing it gets its `Vendor::authenticate` (for handlers
/// that take a [`Principal`]) from [`authenticate_in_own_hop`].
pub trait ConnectionAuth: Vendor {
    /// What the request presents, read on the async worker without the database.
    type Presentation: Send + 'static;
    /// What the check leaves for the request to record once the hop is back (Okta: the
    /// rate-limit status its headers report).
    type Note: Send + 'static;

    /// Reads the request's side of authentication; `Err` refuses the request at once,
    /// without a hop.
    fn present(
        req: &HttpRequest,
        state: &AppState<Self>,
        presented: Presented,
    ) -> Result<Self::Presentation, ApiError>;

    /// Checks what was presented on `conn`, on the blocking pool: the caller, or the refusal.
    fn check(
        conn: &mut DbConn,
        state: &AppState<Self>,
        presentation: Self::Presentation,
    ) -> (ApiResult<Self::Principal>, Self::Note);

    /// Back on the worker: records the note on the request (`None`: the check did not run,
    /// no connection could be had) and may turn the outcome into a refusal. By default the
    /// outcome stands.
    fn conclude<T>(
        _req: &HttpRequest,
        _state: &AppState<Self>,
        _note: Option<Self::Note>,
        outcome: ApiResult<T>,
    ) -> ApiResult<T> {
        outcome
    }
}

/// The caller of a handler that authenticates and works in one hop: what the request
/// presented, checked by [`PendingCaller::run`] on the connection the work then uses.
pub struct PendingCaller<V: ConnectionAuth> {
    presentation: V::Presentation,
    state: web::Data<AppState<V>>,
    req: HttpRequest,
}

impl<V: ConnectionAuth> PendingCaller<V> {
    fn new(
        req: HttpRequest,
        state: web::Data<AppState<V>>,
        presented: Presented,
    ) -> Result<Self, ApiError> {
        let presentation = V::present(&req, &state, presented)?;
        Ok(Self {
            presentation,
            state,
            req,
        })
    }

    /// Checks the caller and, when it passes, runs `work` with it on the same connection, in
    /// one blocking-pool hop; what grant-core counts meanwhile is labelled with this gateway.
    /// A refused caller's error is returned and `work` never runs.
    pub async fn run<T, F>(self, work: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn, &V::Principal) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let Self {
            presentation,
            state,
            req,
        } = self;
        let shared = state.clone();
        let asked = std::time::Instant::now();
        let (outcome, note) = web::block(move || {
            let mut conn = match shared.store.conn_for(asked) {
                Ok(conn) => conn,
                Err(e) => return (Err(ApiError::from(e)), None),
            };
            grant_core::metrics::attributed(V::NAME, || {
                let (caller, note) = V::check(&mut conn, &shared, presentation);
                (caller.and_then(|c| work(&mut conn, &c)), Some(note))
            })
        })
        .await
        .map_err(|e| {
            log::error!("blocking task failed: {e}");
            ApiError::Internal
        })?;
        V::conclude(&req, &state, note, outcome)
    }
}

impl<V: ConnectionAuth> FromRequest for PendingCaller<V> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pending = req
            .app_data::<web::Data<AppState<V>>>()
            .cloned()
            .ok_or(ApiError::Internal)
            .and_then(|state| Self::new(req.clone(), state, Presented::of(req)));
        std::future::ready(pending)
    }
}

/// `Vendor::authenticate` of a [`ConnectionAuth`] vendor: the check alone, in its own hop.
pub async fn authenticate_in_own_hop<V: ConnectionAuth>(
    req: HttpRequest,
    state: web::Data<AppState<V>>,
    presented: Presented,
) -> ApiResult<V::Principal> {
    PendingCaller::new(req, state, presented)?
        .run(|_, caller| Ok(caller.clone()))
        .await
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn basic_of(value: &str) -> Option<(String, String)> {
        match Presented::parse(value) {
            Presented::Basic { username, password } => {
                Some((username, password.expose_secret().to_owned()))
            }
            _ => None,
        }
    }

    #[test]
    fn schemes_in_any_case_with_or_without_a_space() {
        assert!(matches!(Presented::parse("SSWS 00abc"), Presented::Ssws(t) if t == "00abc"));
        assert!(matches!(Presented::parse("ssws00abc"), Presented::Ssws(t) if t == "00abc"));
        assert!(matches!(Presented::parse("Bearer eyJ"), Presented::Bearer(t) if t == "eyJ"));
        assert!(matches!(Presented::parse("BEARER  eyJ "), Presented::Bearer(t) if t == "eyJ"));
        assert!(matches!(Presented::parse("Bearereyj"), Presented::Bearer(t) if t == "eyj"));
        assert!(matches!(Presented::parse("SSWS "), Presented::Ssws(t) if t.is_empty()));
        assert!(
            matches!(Presented::parse("Negotiate abc"), Presented::Other(s) if s == "negotiate")
        );
    }

    #[test]
    fn basic_decodes_padded_or_not_and_keeps_colons_in_the_password() {
        assert_eq!(
            basic_of("Basic YWRtaW46MkZlZGVyYXRl"),
            Some(("admin".into(), "2Federate".into()))
        );
        assert_eq!(basic_of("basic YTpiOmM="), Some(("a".into(), "b:c".into())));
        assert_eq!(basic_of("Basic YTpiOmM"), Some(("a".into(), "b:c".into())));
        assert!(matches!(
            Presented::parse("Basic !!!"),
            Presented::Malformed
        ));
        assert!(
            matches!(Presented::parse("Basic OnBhc3M="), Presented::Malformed),
            "empty user"
        );
    }
}
