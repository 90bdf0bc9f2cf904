//! `GET|POST /{store_id}/{basket_id}/details`: the checkout form (Flamingo's checkout
//! action). A bad form comes back with a message next to each field and what was typed
//! kept; the draft lives in the checkout session, never in the URL.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;

use super::flow;
use super::form::{self, DetailsInput, FieldErrors, FormRules, PaymentOption};
use super::guard::{CheckoutForm, EditableBasket, EditableForm};
use super::page::{self, Chrome, Step, Summary};
use super::session::{BoundBasket, Session};
use super::target::Target;
use crate::domain::DeliveryMethod;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::forms::{Field, Problem, authenticity_token, country_options, problems};
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "checkout/details.html")]
struct DetailsPage {
    chrome: Chrome,
    summary: Summary,
    action: String,
    problems: Vec<Problem>,
    payment_problem: Option<String>,
    email: Field,
    phone: Option<Field>,
    billing: Vec<Field>,
    use_delivery_forms: bool,
    delivery_same: bool,
    delivery: Vec<Field>,
    delivery_methods: Vec<DeliveryChoice>,
    delivery_method_error: Option<String>,
    payment_groups: Vec<PaymentGroup>,
    payment_error: Option<String>,
    privacy_policy_required: bool,
    privacy_policy: bool,
    privacy_policy_error: Option<String>,
    submit_label: String,
}

struct DeliveryChoice {
    code: &'static str,
    title: String,
    promise: String,
    price: String,
    checked: bool,
}

struct PaymentGroup {
    title: String,
    options: Vec<PaymentChoice>,
}

struct PaymentChoice {
    id: String,
    value: String,
    title: String,
    checked: bool,
}

pub async fn show(
    State(state): State<AppState>,
    basket: EditableBasket,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    let BoundBasket {
        target, session, ..
    } = &*basket;
    let options = flow::payment_options(&state, &target.store);
    let payment_problem = flow::payment_problem(&state, target, &basket.starter()).await?;
    let page = details_page(
        target,
        session,
        &session.form(),
        &FieldErrors::default(),
        &options,
        payment_problem,
        authenticity_token(&csrf)?,
    );
    let response = (csrf, render(&page)).into_response();
    Ok(page::allowing_logout(&state, &target.store, response))
}

#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(flatten)]
    pub input: DetailsInput,
}

impl CheckoutForm for DetailsForm {
    fn authenticity_token(&self) -> &str {
        &self.authenticity_token
    }
}

pub async fn submit(
    State(state): State<AppState>,
    csrf: CsrfToken,
    EditableForm { basket, form }: EditableForm<DetailsForm>,
) -> Result<Response, WebError> {
    let target = &basket.target;
    let mut session = basket.session.clone();
    // Absurdly long input is refused and not kept: a draft is what a shopper could type.
    if !form.input.is_oversized() {
        basket.save_draft(&state, &form.input).await?;
        session.draft = Some(form.input.clone());
    }
    let options = flow::payment_options(&state, &target.store);
    match form::parse(&form.input, &FormRules::new(target.flags(), &options)) {
        Ok(details) => {
            if target.flags().skip_review_action {
                // No review step: the form is the shopper's confirmation (Flamingo starts
                // the place order right from the checkout action then).
                return flow::place_order(&state, target, basket.starter(), &session, &details)
                    .await;
            }
            Ok(Redirect::to(&target.path("/review")).into_response())
        }
        Err(errors) => {
            let page = details_page(
                target,
                &session,
                &form.input,
                &errors,
                &options,
                None,
                authenticity_token(&csrf)?,
            );
            let response = (StatusCode::UNPROCESSABLE_ENTITY, csrf, render(&page)).into_response();
            Ok(page::allowing_logout(&state, &target.store, response))
        }
    }
}

fn details_page(
    target: &Target,
    session: &Session,
    input: &DetailsInput,
    errors: &FieldErrors,
    options: &[PaymentOption],
    payment_problem: Option<String>,
    csrf_token: String,
) -> DetailsPage {
    let flags = target.flags();
    let lang = Lang(target.store.locale);
    let email = text_field(
        lang,
        errors,
        "email",
        lang.t("field-email"),
        "email",
        &input.email,
    )
    .autocomplete("email")
    .hint(lang.t("field-email-hint"));
    let phone = flags.use_personal_data_form.then(|| {
        text_field(
            lang,
            errors,
            "phone",
            lang.t("field-phone"),
            "tel",
            &input.phone,
        )
        .autocomplete("tel")
        .optional()
        .hint(lang.t("field-phone-hint"))
    });
    // Most shoppers live where the store sells: an empty billing country starts at the
    // store's own.
    let store_country = target.store.country.as_str();
    let billing_country = match input.billing_country.trim() {
        "" => store_country,
        typed => typed,
    };
    let billing = address_fields(
        target,
        errors,
        &BILLING,
        [
            &input.billing_name,
            &input.billing_street,
            &input.billing_postal_code,
            &input.billing_city,
            billing_country,
        ],
    );
    // Ticking "same as billing" makes the delivery address optional.
    let delivery_required = input.delivery_same.is_none();
    let delivery = address_fields(
        target,
        errors,
        &DELIVERY,
        [
            &input.delivery_name,
            &input.delivery_street,
            &input.delivery_postal_code,
            &input.delivery_city,
            &input.delivery_country,
        ],
    )
    .into_iter()
    .map(|field| {
        if delivery_required {
            field
        } else {
            field.optional()
        }
    })
    .collect::<Vec<_>>();

    let mut listed: Vec<&Field> = vec![&email];
    listed.extend(phone.iter());
    listed.extend(billing.iter());
    if flags.use_delivery_forms {
        listed.extend(delivery.iter());
    }
    let mut problems = problems(&listed);
    for field in ["delivery_method", "payment", "privacy_policy"] {
        if let Some(message) = errors.get(field, lang) {
            problems.push(Problem { field, message });
        }
    }

    DetailsPage {
        chrome: Chrome::new(target, Step::Details)
            .csrf(csrf_token)
            .signed_in_as(session.signed_in_as()),
        summary: Summary::new(target, DeliveryMethod::parse(&input.delivery_method)),
        action: target.path("/details"),
        problems,
        payment_problem,
        email,
        phone,
        billing,
        use_delivery_forms: flags.use_delivery_forms,
        delivery_same: input.delivery_same.is_some(),
        delivery,
        delivery_methods: delivery_choices(target, &input.delivery_method),
        delivery_method_error: errors.get("delivery_method", lang),
        payment_groups: payment_groups(options, &input.payment),
        payment_error: errors.get("payment", lang),
        privacy_policy_required: flags.privacy_policy_required,
        privacy_policy: input.privacy_policy.is_some(),
        privacy_policy_error: errors.get("privacy_policy", lang),
        submit_label: lang.t(if flags.skip_review_action {
            "place-order"
        } else {
            "details-submit-review"
        }),
    }
}

/// A text field with what was typed and its error, if any.
fn text_field(
    lang: Lang,
    errors: &FieldErrors,
    name: &'static str,
    label: String,
    kind: &'static str,
    value: &str,
) -> Field {
    Field::new(name, label, kind)
        .value(value)
        .max_length(form::FIELD_MAX)
        .error(errors.get(name, lang))
}

/// One address on the form: its field names with their autocomplete tokens (HTML's
/// `billing` / `shipping` sections), name first.
struct AddressForm {
    fields: [(&'static str, &'static str); 5],
    /// Its key in `locales/*/*.ftl`.
    name_label: &'static str,
}

const BILLING: AddressForm = AddressForm {
    fields: [
        ("billing_name", "billing name"),
        ("billing_street", "billing street-address"),
        ("billing_postal_code", "billing postal-code"),
        ("billing_city", "billing address-level2"),
        ("billing_country", "billing country"),
    ],
    name_label: "field-full-name",
};

const DELIVERY: AddressForm = AddressForm {
    fields: [
        ("delivery_name", "shipping name"),
        ("delivery_street", "shipping street-address"),
        ("delivery_postal_code", "shipping postal-code"),
        ("delivery_city", "shipping address-level2"),
        ("delivery_country", "shipping country"),
    ],
    name_label: "field-recipient",
};

/// Name, street, postal code, city and country (a select, the store's country first), in
/// that order.
fn address_fields(
    target: &Target,
    errors: &FieldErrors,
    form: &AddressForm,
    values: [&str; 5],
) -> Vec<Field> {
    let lang = Lang(target.store.locale);
    let labels = [
        form.name_label,
        "field-street",
        "field-postal-code",
        "field-city",
        "field-country",
    ];
    form.fields
        .iter()
        .zip(labels)
        .zip(values)
        .map(|((&(name, autocomplete), label), value)| {
            let field = text_field(lang, errors, name, lang.t(label), "text", value)
                .autocomplete(autocomplete);
            if name.ends_with("_country") {
                field.options(country_options(lang, target.store.country))
            } else {
                field
            }
        })
        .collect()
}

fn delivery_choices(target: &Target, selected: &str) -> Vec<DeliveryChoice> {
    let lang = Lang(target.store.locale);
    DeliveryMethod::ALL
        .into_iter()
        .map(|m| DeliveryChoice {
            code: m.code(),
            title: lang.delivery_title(m),
            promise: lang.delivery_promise(m),
            price: lang.money(m.price(target.store.currency)),
            checked: selected == m.code(),
        })
        .collect()
}

/// The payment options grouped by gateway, in the order the gateways come.
fn payment_groups(options: &[PaymentOption], selected: &str) -> Vec<PaymentGroup> {
    let mut groups: Vec<PaymentGroup> = Vec::new();
    for option in options {
        let choice = PaymentChoice {
            id: option.value().replace(':', "-"),
            value: option.value(),
            title: option.title.clone(),
            checked: selected == option.value(),
        };
        match groups.iter_mut().find(|g| g.title == option.gateway_title) {
            Some(group) => group.options.push(choice),
            None => groups.push(PaymentGroup {
                title: option.gateway_title.clone(),
                options: vec![choice],
            }),
        }
    }
    groups
}
