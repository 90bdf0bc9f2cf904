//! The relying party's pages: the "Log in with {store}" form and the refusal page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::web::render;

#[derive(Template)]
#[template(path = "relying_party/login.html")]
pub(crate) struct LoginPage {
    pub store_id: String,
    pub store_name: String,
    /// The store's language.
    pub lang: crate::i18n::Lang,
    pub action: String,
    pub authenticity_token: String,
    pub back_href: String,
    pub notice: Option<String>,
}

/// Every refusal of a login: what happened in plain words, and the way back to the
/// checkout. Never attaches an identity, never shows a secret.
#[derive(Template)]
#[template(path = "relying_party/refused.html")]
pub(crate) struct Refusal {
    /// A short machine-readable cause, for the log.
    pub reason: &'static str,
    pub status: StatusCode,
    pub store_id: Option<String>,
    pub store_name: String,
    pub title: String,
    pub message: String,
    /// What the provider said (`error_description`), shown quoted.
    pub detail: Option<String>,
    pub back_href: String,
    pub back_label: String,
}

impl Refusal {
    pub fn new(
        status: StatusCode,
        reason: &'static str,
        title: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            reason,
            status,
            store_id: None,
            store_name: "The store".to_owned(),
            title: title.into(),
            message: message.into(),
            detail: None,
            back_href: "/".to_owned(),
            back_label: "Go to the checkout".to_owned(),
        }
    }

    /// Points the way back to the checkout of this basket.
    pub fn back_to(mut self, store_id: &str, store_name: &str, basket_id: &str) -> Self {
        self.store_id = Some(store_id.to_owned());
        self.store_name = store_name.to_owned();
        self.back_href = format!("/{store_id}/{basket_id}");
        self.back_label = "Back to the checkout".to_owned();
        self
    }

    pub fn detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail;
        self
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        tracing::warn!(reason = self.reason, status = %self.status, "login refused");
        (self.status, render(&self)).into_response()
    }
}
