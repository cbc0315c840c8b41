//! Okta's URL table for user grants. Every path answers only the methods Okta documents;
//! others get E0000022.

use actix_web::web;
use grant_http::allow_only;

use crate::handlers::grants;
use crate::ratelimit::Family;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/users")
            .app_data(Family::Users)
            .service(
                web::resource("/{userId}/grants")
                    .route(web::get().to(grants::list_user_grants))
                    .route(web::delete().to(grants::revoke_user_grants))
                    .default_service(allow_only("GET, DELETE")),
            )
            .service(
                web::resource("/{userId}/grants/{grantId}")
                    .route(web::get().to(grants::get_user_grant))
                    .route(web::delete().to(grants::revoke_user_grant))
                    .default_service(allow_only("GET, DELETE")),
            )
            .service(
                web::resource("/{userId}/clients")
                    .route(web::get().to(grants::list_user_clients))
                    .default_service(allow_only("GET")),
            )
            .service(
                web::resource("/{userId}/clients/{clientId}/grants")
                    .route(web::get().to(grants::list_grants_for_user_and_client))
                    .route(web::delete().to(grants::revoke_grants_for_user_and_client))
                    .default_service(allow_only("GET, DELETE")),
            ),
    );
}
