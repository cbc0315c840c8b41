//! OCS's URL table. Path literals match in any case (`(?i:…)` segments), as ASP.NET and
//! IdentityServer route; ids are taken as given and normalized by the handlers. Each
//! resource answers only its documented methods; others get 405 with `Allow`.

use actix_web::web;
use grant_http::allow_only;

use crate::handlers::{acc, ccc, discovery, persisted_grants, secrets, token, users_roles};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/{_i:(?i:identity)}")
            .service(
                web::resource("/{_w:(?i:\\.well-known)}/{_o:(?i:openid-configuration)}")
                    .route(web::get().to(discovery::openid_configuration))
                    .default_service(allow_only("GET")),
            )
            .service(
                web::resource(
                    "/{_w:(?i:\\.well-known)}/{_o:(?i:openid-configuration)}/{_j:(?i:jwks)}",
                )
                .route(web::get().to(discovery::jwks))
                .default_service(allow_only("GET")),
            )
            // IdentityServer answers any method here, non-POST with `invalid_request`.
            .service(
                web::resource("/{_c:(?i:connect)}/{_t:(?i:token)}")
                    .route(web::route().to(token::token)),
            ),
    );
    cfg.service(
        web::scope("/{_a:(?i:api)}/{_v:(?i:v1)}/{_t:(?i:tenants)}/{tenantId}")
            .service(
                web::resource("/{_u:(?i:users)}/{userId}/{_p:(?i:persistedgrants)}")
                    .route(web::get().to(persisted_grants::list))
                    .route(web::head().to(persisted_grants::count))
                    .route(web::delete().to(persisted_grants::remove))
                    .default_service(allow_only("GET, HEAD, DELETE")),
            )
            .service(
                web::resource("/{_c:(?i:authorizationcodeclients)}")
                    .route(web::get().to(acc::list))
                    .route(web::head().to(acc::count))
                    .route(web::post().to(acc::create))
                    .default_service(allow_only("GET, HEAD, POST")),
            )
            .service(
                web::resource("/{_c:(?i:authorizationcodeclients)}/{clientId}")
                    .route(web::get().to(acc::get))
                    .route(web::head().to(acc::head))
                    .route(web::put().to(acc::update))
                    .route(web::delete().to(acc::delete))
                    .default_service(allow_only("GET, HEAD, PUT, DELETE")),
            )
            .service(
                web::resource("/{_c:(?i:clientcredentialclients)}")
                    .route(web::get().to(ccc::list))
                    .route(web::head().to(ccc::count))
                    .route(web::post().to(ccc::create))
                    .default_service(allow_only("GET, HEAD, POST")),
            )
            .service(
                web::resource("/{_c:(?i:clientcredentialclients)}/{clientId}")
                    .route(web::get().to(ccc::get))
                    .route(web::head().to(ccc::head))
                    .route(web::put().to(ccc::update))
                    .route(web::delete().to(ccc::delete))
                    .default_service(allow_only("GET, HEAD, PUT, DELETE")),
            )
            .service(
                web::resource("/{_c:(?i:clientcredentialclients)}/{clientId}/{_s:(?i:secrets)}")
                    .route(web::get().to(secrets::list))
                    .route(web::head().to(secrets::count))
                    .route(web::post().to(secrets::create))
                    .default_service(allow_only("GET, HEAD, POST")),
            )
            .service(
                web::resource(
                    "/{_c:(?i:clientcredentialclients)}/{clientId}/{_s:(?i:secrets)}/{secretId}",
                )
                .route(web::get().to(secrets::get))
                .route(web::head().to(secrets::head))
                .route(web::put().to(secrets::update))
                .route(web::delete().to(secrets::delete))
                .default_service(allow_only("GET, HEAD, PUT, DELETE")),
            )
            .service(
                web::resource("/{_u:(?i:users)}")
                    .route(web::get().to(users_roles::list_users))
                    .route(web::head().to(users_roles::count_users))
                    .default_service(allow_only("GET, HEAD")),
            )
            .service(
                web::resource("/{_u:(?i:users)}/{userId}")
                    .route(web::get().to(users_roles::get_user))
                    .route(web::head().to(users_roles::head_user))
                    .default_service(allow_only("GET, HEAD")),
            )
            .service(
                web::resource("/{_r:(?i:roles)}")
                    .route(web::get().to(users_roles::list_roles))
                    .route(web::head().to(users_roles::count_roles))
                    .default_service(allow_only("GET, HEAD")),
            )
            .service(
                web::resource("/{_r:(?i:roles)}/{roleId}")
                    .route(web::get().to(users_roles::get_role))
                    .route(web::head().to(users_roles::head_role))
                    .default_service(allow_only("GET, HEAD")),
            ),
    );
}
