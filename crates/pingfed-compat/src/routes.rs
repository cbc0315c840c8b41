//! PingFederate's URL table for the OAuth Access Grant Management Service. Collections
//! answer with or without a trailing slash; only GET and DELETE are routed, anything else is
//! 405 with `Allow: GET, DELETE`.

use actix_web::web;
use grant_http::allow_only;
use grant_http::routing::with_trailing_slash;

use crate::handlers::grants;

pub const BASE: &str = "/pf-ws/rest/oauth";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .service(
                web::resource(with_trailing_slash("/clients/{clientId}/grants"))
                    .route(web::get().to(grants::list_client_grants))
                    .route(web::delete().to(grants::revoke_client_grants))
                    .default_service(allow_only("GET, DELETE")),
            )
            .service(
                web::resource(with_trailing_slash("/clients/{clientId}/grants/{grantId}"))
                    .route(web::get().to(grants::get_client_grant))
                    .route(web::delete().to(grants::revoke_client_grant))
                    .default_service(allow_only("GET, DELETE")),
            )
            .service(
                web::resource(with_trailing_slash("/users/{userKey}/grants"))
                    .route(web::get().to(grants::list_user_grants))
                    .route(web::delete().to(grants::revoke_user_grants))
                    .default_service(allow_only("GET, DELETE")),
            )
            .service(
                web::resource(with_trailing_slash("/users/{userKey}/grants/{grantId}"))
                    .route(web::get().to(grants::get_user_grant))
                    .route(web::delete().to(grants::revoke_user_grant))
                    .default_service(allow_only("GET, DELETE")),
            ),
    );
}
