//! The HTML Okta serves: the hosted sign-in page, the consent page, error pages, and the
//! `form_post` / `okta_post_message` responses of `/authorize`. Rendered with maud (every
//! value escaped).

use maud::{DOCTYPE, Markup, PreEscaped, html};

fn layout(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main.auth-container { (body) }
            }
        }
    }
    .into_string()
}

const STYLE: &str = "body{font-family:sans-serif;background:#f9f9f9;margin:0}\
.auth-container{max-width:400px;margin:60px auto;background:#fff;border:1px solid #ddd;padding:32px}\
label,input,button{display:block;width:100%;margin:6px 0;box-sizing:border-box}\
input{padding:8px}button{padding:10px;cursor:pointer}\
.o-form-error-container{color:#b00;margin:8px 0}";

/// The sign-in page (`/login/login.htm`), with an error line after a failed attempt.
pub fn login(from_uri: &str, csrf: &str, failed: bool, username: &str) -> String {
    layout(
        "Sign In",
        html! {
            h1 { "Sign In" }
            form #okta-signin-form method="post" action="/login/login.htm" {
                @if failed {
                    div.o-form-error-container role="alert" { "Unable to sign in" }
                }
                input type="hidden" name="fromURI" value=(from_uri);
                input type="hidden" name="csrf_token" value=(csrf);
                label for="okta-signin-username" { "Username" }
                input #okta-signin-username type="text" name="username" autocomplete="username" value=(username) required;
                label for="okta-signin-password" { "Password" }
                input #okta-signin-password type="password" name="password" autocomplete="current-password" required;
                button #okta-signin-submit type="submit" { "Sign In" }
            }
        },
    )
}

/// The consent page: the app asks for these scopes; Allow or Don't Allow.
pub fn consent(
    action: &str,
    request: &str,
    csrf: &str,
    client_name: &str,
    user_login: &str,
    scopes: &[String],
) -> String {
    layout(
        "Allow Access",
        html! {
            h1 { (client_name) " would like to:" }
            ul.scope-list {
                @for scope in scopes {
                    li.scope-item data-scope=(scope) { (scope) }
                }
            }
            p { "Signed in as " (user_login) }
            form #consent-form method="post" action=(action) {
                input type="hidden" name="request" value=(request);
                input type="hidden" name="csrf_token" value=(csrf);
                button #consent-allow type="submit" name="decision" value="allow" { "Allow Access" }
                button #consent-deny type="submit" name="decision" value="deny" { "Don't Allow" }
            }
        },
    )
}

/// An error shown instead of a redirect (the redirect URI cannot be trusted).
pub fn error(code: &str, description: &str) -> String {
    layout(
        "Error",
        html! {
            h1 { "400 Bad Request" }
            p #error-code { (code) }
            p #error-description { (description) }
        },
    )
}

/// `response_mode=okta_post_message`: a page that posts the response to its parent window
/// (okta-auth-js's hidden iframe), only to the redirect URI's origin.
pub fn post_message(target_origin: &str, data: &serde_json::Value) -> String {
    // `<` escaped so no value can close the script element.
    let data = data.to_string().replace('<', "\\u003c");
    let origin = serde_json::Value::from(target_origin)
        .to_string()
        .replace('<', "\\u003c");
    html! {
        (DOCTYPE)
        html {
            head { meta charset="utf-8"; }
            body {
                script {
                    (PreEscaped(format!(
                        "(function(){{var d={data};if(window.parent&&window.parent!==window){{window.parent.postMessage(d,{origin});}}else if(window.opener){{window.opener.postMessage(d,{origin});}}}})();"
                    )))
                }
            }
        }
    }
    .into_string()
}
