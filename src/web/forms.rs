//! Form plumbing of the storefront: a form extractor whose failures render as pages, the
//! CSRF check, and the labelled fields the templates draw.

use axum::extract::{FromRequest, Request};
use axum::{Form, RequestExt};
use axum_csrf::CsrfToken;
use serde::de::DeserializeOwned;

use super::WebError;

/// A urlencoded form; an unreadable body (wrong content type, bad UTF-8, a field given
/// twice) is a readable 400 page rather than axum's plain-text rejection.
pub struct PageForm<T>(pub T);

impl<T, S> FromRequest<S> for PageForm<T>
where
    T: DeserializeOwned + 'static,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, WebError> {
        match request.extract::<Form<T>, _>().await {
            Ok(Form(value)) => Ok(Self(value)),
            Err(rejection) => {
                tracing::debug!(%rejection, "unreadable form");
                Err(WebError::BadRequest(
                    "The form could not be read. Go back, reload the page and try again.".into(),
                ))
            }
        }
    }
}

/// Checks the form's `authenticity_token` against the CSRF cookie: a form posted from
/// another site, or without a token, is refused with a 403 page.
pub fn verify_csrf(csrf: &CsrfToken, form_token: &str) -> Result<(), WebError> {
    if form_token.is_empty() || csrf.verify(form_token).is_err() {
        return Err(WebError::Forbidden(
            "This form has expired or did not come from this site. Go back, reload the \
             page and send it again."
                .into(),
        ));
    }
    Ok(())
}

/// The token to put in a page's forms.
pub fn authenticity_token(csrf: &CsrfToken) -> Result<String, WebError> {
    csrf.authenticity_token()
        .map_err(|e| WebError::Internal(anyhow::anyhow!("creating a CSRF token: {e}")))
}

/// One labelled input as the templates draw it (`templates/store/macros.html`): its
/// error sits between the label and the input and is tied to it by `aria-describedby`.
#[derive(Debug, Clone)]
pub struct Field {
    /// The form field name, also the element id.
    pub name: &'static str,
    pub label: &'static str,
    /// The input `type`.
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub required: bool,
    pub hint: Option<&'static str>,
    pub error: Option<String>,
    pub max_length: Option<usize>,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, kind: &'static str) -> Self {
        Self {
            name,
            label,
            kind,
            value: String::new(),
            autocomplete: "off",
            required: true,
            hint: None,
            error: None,
            max_length: None,
        }
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn autocomplete(mut self, token: &'static str) -> Self {
        self.autocomplete = token;
        self
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn max_length(mut self, max: usize) -> Self {
        self.max_length = Some(max);
        self
    }

    pub fn error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }

    pub fn hint_id(&self) -> String {
        format!("{}-hint", self.name)
    }

    pub fn error_id(&self) -> String {
        format!("{}-error", self.name)
    }

    /// The ids of the hint and the error, for `aria-describedby`.
    pub fn described_by(&self) -> Option<String> {
        let ids: Vec<String> = [
            self.hint.map(|_| self.hint_id()),
            self.error.as_ref().map(|_| self.error_id()),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// The "There is a problem" box at the top of a form: one link per bad field.
#[derive(Debug, Clone)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

pub fn problems(fields: &[&Field]) -> Vec<Problem> {
    fields
        .iter()
        .filter_map(|f| {
            f.error.as_ref().map(|message| Problem {
                field: f.name,
                message: message.clone(),
            })
        })
        .collect()
}

/// A domain reason ("is too long") as a sentence about its subject ("Your name is too
/// long.").
pub fn sentence(subject: &str, reason: &str) -> String {
    let mut out = format!("{subject} {reason}");
    if let Some(first) = out.get(..1) {
        let upper = first.to_uppercase();
        out.replace_range(..1, &upper);
    }
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn described_by_names_the_hint_and_the_error() {
        let plain = Field::new("email", "Email", "email");
        assert_eq!(plain.described_by(), None);
        let hinted = Field::new("password", "Password", "password").hint("8+");
        assert_eq!(hinted.described_by().as_deref(), Some("password-hint"));
        let both = hinted.error(Some("Too short.".into()));
        assert_eq!(
            both.described_by().as_deref(),
            Some("password-hint password-error")
        );
    }

    #[test]
    fn problems_list_only_fields_with_errors() {
        let ok = Field::new("name", "Name", "text");
        let bad = Field::new("email", "Email", "email").error(Some("Enter it.".into()));
        let list = problems(&[&ok, &bad]);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].field, "email");
        assert_eq!(list[0].message, "Enter it.");
    }

    #[test]
    fn domain_reasons_read_as_sentences() {
        assert_eq!(
            sentence("your name", "is too long"),
            "Your name is too long."
        );
        assert_eq!(
            sentence("your password", "must be at least 8 characters"),
            "Your password must be at least 8 characters."
        );
    }
}
