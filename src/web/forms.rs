//! Form plumbing of the storefront: a form extractor whose failures render as pages, the
//! CSRF check, and the labelled fields the templates draw.

use axum::extract::{FromRequest, Request};
use axum::{Form, RequestExt};
use axum_csrf::CsrfToken;
use serde::de::DeserializeOwned;

use super::WebError;
use crate::domain::Country;
use crate::i18n::Lang;

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
    /// In the page's language.
    pub label: String,
    /// The input `type`; a field with `options` is drawn as a `<select>` instead.
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub required: bool,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub max_length: Option<usize>,
    /// The choices of a `<select>`, in order; the one equal to `value` is selected.
    pub options: Vec<SelectOption>,
}

/// One `<option>` of a select field.
#[derive(Debug, Clone)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
}

impl Field {
    pub fn new(name: &'static str, label: impl Into<String>, kind: &'static str) -> Self {
        Self {
            name,
            label: label.into(),
            kind,
            value: String::new(),
            autocomplete: "off",
            required: true,
            hint: None,
            error: None,
            max_length: None,
            options: Vec::new(),
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

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Makes the field a `<select>` of these choices.
    pub fn options(mut self, options: Vec<SelectOption>) -> Self {
        self.options = options;
        self
    }

    /// Whether the option is the field's current value (`selected`).
    pub fn is_selected(&self, option: &SelectOption) -> bool {
        option.value.eq_ignore_ascii_case(self.value.trim())
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
            self.hint.as_ref().map(|_| self.hint_id()),
            self.error.as_ref().map(|_| self.error_id()),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// The choices of an address form's country: none yet, then the store's country, then
/// every other ISO 3166 country by its name in the page's language.
pub fn country_options(lang: Lang, first: Country) -> Vec<SelectOption> {
    let none = SelectOption {
        value: String::new(),
        label: lang.t("country-choose"),
    };
    std::iter::once(none)
        .chain(
            lang.countries(first)
                .into_iter()
                .map(|(country, name)| SelectOption {
                    value: country.as_str().to_owned(),
                    label: name,
                }),
        )
        .collect()
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

/// What is wrong with one field of a form, put into words in the page's language when
/// shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    /// A message of its own: its key in `locales/*/*.ftl`.
    Message(&'static str),
    /// A domain reason ("is too long") about the field's subject (its key, "the billing
    /// city").
    About {
        subject: &'static str,
        reason: &'static str,
    },
}

impl FieldError {
    pub fn in_words(self, lang: Lang) -> String {
        match self {
            Self::Message(key) => lang.t(key),
            Self::About { subject, reason } => sentence(&lang.t(subject), &lang.reason(reason)),
        }
    }
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
