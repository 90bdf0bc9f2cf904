//! The store-branded login page: the shopper sees whose password they are typing and
//! where they will be sent afterwards.

use askama::Template;

use crate::i18n::Lang;

#[derive(Template)]
#[template(path = "provider/login.html")]
pub struct LoginPage {
    pub store_name: String,
    /// The store's language.
    pub lang: Lang,
    /// The application that asked (its client id).
    pub client_name: String,
    /// Where the shopper goes after signing in: the redirect URI's host.
    pub client_host: String,
    pub request_id: String,
    pub csrf_token: String,
    pub email: String,
    pub email_error: Option<&'static str>,
    pub password_error: Option<String>,
}
