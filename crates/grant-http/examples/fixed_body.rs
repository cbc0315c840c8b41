//! Benchmark ceiling: a minimal actix-web server answering every GET with a fixed JSON body
//! read from a file (the same bytes a gateway returns), so a benchmark can compare the
//! gateway against plain actix-web on the same machine in the same run.
//!
//! usage: fixed_body BIND BODY_FILE

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:8099".into());
    let body = web::Bytes::from(std::fs::read(
        args.next().unwrap_or_else(|| "body.json".into()),
    )?);
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body)
            }
        }))
    })
    .workers(1)
    .bind(bind)?
    .run()
    .await
}
