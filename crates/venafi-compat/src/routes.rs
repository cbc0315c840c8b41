//! TPP's URL table. API method names are case-insensitive ("API method names evaluate as
//! case insensitive"), and so is the `vedsdk`/`vedauth` root here; a trailing slash is
//! accepted. Each path answers only its documented method; others get 405.

use actix_web::web;
use grant_http::allow_only;
use grant_http::routing::{any_case, with_trailing_slash};

use crate::handlers::{oauth, system, vedauth};

/// A resource pattern matching `path` in any case, with or without a trailing slash.
fn ci(path: &str) -> Vec<String> {
    with_trailing_slash(any_case(path))
}

fn post<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(ci(path))
        .route(web::post().to(handler))
        .default_service(allow_only("POST"))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(post("/vedsdk/OAuth/GetGrants", oauth::get_grants))
        .service(post("/vedsdk/OAuth/RevokeGrants", oauth::revoke_grants))
        .service(post(
            "/vedsdk/OAuth/EnumerateGrants",
            oauth::enumerate_grants,
        ))
        .service(post("/vedsdk/OAuth/GrantCount", oauth::grant_count))
        .service(
            web::resource(ci("/vedsdk/SystemStatus/Version"))
                .route(web::get().to(system::version))
                .default_service(allow_only("GET")),
        )
        .service(
            web::resource(ci("/vedauth/Authorize/OAuth"))
                .route(web::post().to(vedauth::authorize_oauth))
                .default_service(allow_only("POST")),
        )
        .service(
            web::resource(ci("/vedauth/Authorize/Token"))
                .route(web::post().to(vedauth::refresh_token))
                .default_service(allow_only("POST")),
        )
        .service(
            web::resource(ci("/vedauth/Authorize/Verify"))
                .route(web::get().to(vedauth::verify))
                .default_service(allow_only("GET")),
        )
        .service(
            web::resource(ci("/vedauth/Revoke/Token"))
                .route(web::get().to(vedauth::revoke_token))
                .default_service(allow_only("GET")),
        )
        .service(
            web::resource(ci("/vedauth/Authorize/IsAuthServer"))
                .route(web::get().to(vedauth::is_auth_server))
                .default_service(allow_only("GET")),
        );
}
