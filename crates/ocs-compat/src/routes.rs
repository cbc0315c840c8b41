//! OCS's URL table. Path literals match in any case (`routing::any_case`), as ASP.NET and
//! IdentityServer route; ids are taken as given and normalized by the handlers. Each
//! resource answers only its documented methods; others get 405 with `Allow`.

use actix_web::http::Method;
use actix_web::web;
use grant_http::allow_only;
use grant_http::routing::any_case;

use crate::handlers::{
    acc, ccc, connect, discovery, persisted_grants, secrets, token, users_roles,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(&any_case("/identity"))
            .service(
                web::resource(any_case("/.well-known/openid-configuration"))
                    .route(web::get().to(discovery::openid_configuration))
                    .route(web::method(Method::OPTIONS).to(connect::preflight))
                    .default_service(allow_only("GET")),
            )
            .service(
                web::resource(any_case("/.well-known/openid-configuration/jwks"))
                    .route(web::get().to(connect::jwks))
                    .route(web::method(Method::OPTIONS).to(connect::preflight))
                    .default_service(allow_only("GET")),
            )
            // IdentityServer answers any method here, non-POST with `invalid_request`.
            .service(
                web::resource(any_case("/connect/token"))
                    .route(web::method(Method::OPTIONS).to(connect::preflight))
                    .route(web::route().to(token::token)),
            )
            .service(
                web::resource(any_case("/connect/authorize"))
                    .route(web::get().to(connect::authorize))
                    .route(web::post().to(connect::authorize))
                    .default_service(allow_only("GET, POST")),
            )
            .service(
                web::resource(any_case("/connect/revocation"))
                    .route(web::post().to(connect::revocation))
                    .route(web::method(Method::OPTIONS).to(connect::preflight))
                    .default_service(allow_only("POST")),
            )
            .service(
                web::resource(any_case("/connect/introspect"))
                    .route(web::post().to(connect::introspect))
                    .default_service(allow_only("POST")),
            )
            .service(
                web::resource(any_case("/connect/userinfo"))
                    .route(web::get().to(connect::userinfo))
                    .route(web::post().to(connect::userinfo))
                    .route(web::method(Method::OPTIONS).to(connect::preflight))
                    .default_service(allow_only("GET, POST")),
            )
            .service(
                web::resource(any_case("/connect/endsession"))
                    .route(web::get().to(connect::endsession))
                    .route(web::post().to(connect::endsession))
                    .default_service(allow_only("GET, POST")),
            )
            .service(
                web::resource(any_case("/account/login"))
                    .route(web::get().to(connect::login_page))
                    .route(web::post().to(connect::login_submit))
                    .default_service(allow_only("GET, POST")),
            )
            .service(
                web::resource(any_case("/consent"))
                    .route(web::post().to(connect::consent))
                    .default_service(allow_only("POST")),
            ),
    );
    cfg.service(
        web::scope(&any_case("/api/v1/tenants/{tenantId}"))
            .service(
                web::resource(any_case("/users/{userId}/persistedgrants"))
                    .route(web::get().to(persisted_grants::list))
                    .route(web::head().to(persisted_grants::count))
                    .route(web::delete().to(persisted_grants::remove))
                    .default_service(allow_only("GET, HEAD, DELETE")),
            )
            .service(
                web::resource(any_case("/authorizationcodeclients"))
                    .route(web::get().to(acc::list))
                    .route(web::head().to(acc::count))
                    .route(web::post().to(acc::create))
                    .default_service(allow_only("GET, HEAD, POST")),
            )
            .service(
                web::resource(any_case("/authorizationcodeclients/{clientId}"))
                    .route(web::get().to(acc::get))
                    .route(web::head().to(acc::head))
                    .route(web::put().to(acc::update))
                    .route(web::delete().to(acc::delete))
                    .default_service(allow_only("GET, HEAD, PUT, DELETE")),
            )
            .service(
                web::resource(any_case("/clientcredentialclients"))
                    .route(web::get().to(ccc::list))
                    .route(web::head().to(ccc::count))
                    .route(web::post().to(ccc::create))
                    .default_service(allow_only("GET, HEAD, POST")),
            )
            .service(
                web::resource(any_case("/clientcredentialclients/{clientId}"))
                    .route(web::get().to(ccc::get))
                    .route(web::head().to(ccc::head))
                    .route(web::put().to(ccc::update))
                    .route(web::delete().to(ccc::delete))
                    .default_service(allow_only("GET, HEAD, PUT, DELETE")),
            )
            .service(
                web::resource(any_case("/clientcredentialclients/{clientId}/secrets"))
                    .route(web::get().to(secrets::list))
                    .route(web::head().to(secrets::count))
                    .route(web::post().to(secrets::create))
                    .default_service(allow_only("GET, HEAD, POST")),
            )
            .service(
                web::resource(any_case(
                    "/clientcredentialclients/{clientId}/secrets/{secretId}",
                ))
                .route(web::get().to(secrets::get))
                .route(web::head().to(secrets::head))
                .route(web::put().to(secrets::update))
                .route(web::delete().to(secrets::delete))
                .default_service(allow_only("GET, HEAD, PUT, DELETE")),
            )
            .service(
                web::resource(any_case("/users"))
                    .route(web::get().to(users_roles::list_users))
                    .route(web::head().to(users_roles::count_users))
                    .default_service(allow_only("GET, HEAD")),
            )
            .service(
                web::resource(any_case("/users/{userId}"))
                    .route(web::get().to(users_roles::get_user))
                    .route(web::head().to(users_roles::head_user))
                    .default_service(allow_only("GET, HEAD")),
            )
            .service(
                web::resource(any_case("/roles"))
                    .route(web::get().to(users_roles::list_roles))
                    .route(web::head().to(users_roles::count_roles))
                    .default_service(allow_only("GET, HEAD")),
            )
            .service(
                web::resource(any_case("/roles/{roleId}"))
                    .route(web::get().to(users_roles::get_role))
                    .route(web::head().to(users_roles::head_role))
                    .default_service(allow_only("GET, HEAD")),
            ),
    );
}
