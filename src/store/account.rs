//! Customer accounts on the storefront: register, log in, log out, and the account page
//! (profile, billing address, order history). Accounts belong to one store: the same email
//! at another store is another account (`UNIQUE (store_id, email)`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::shop::{Chrome, Section, Shop, with_basket_cookie, without_basket_cookie};
use crate::accounts::{self, LoginError};
use crate::db;
use crate::domain::{
    Address, AddressInput, Basket, BasketStatus, Customer, Email, Password, PhoneNumber, StoreId,
    bounded_text,
};
use crate::i18n::Lang;
use crate::passwords::HashError;
use crate::state::AppState;
use crate::web::forms::{
    Field, FieldError, PageForm, Problem, country_options, problems, verify_csrf,
};
use crate::web::view;
use crate::web::{ClientAddress, ErrorPage, WebError, busy_page, render};

/// Field errors of one form submission, by field name.
#[derive(Debug, Default)]
struct Errors(Vec<(&'static str, FieldError)>);

impl Errors {
    fn add(&mut self, field: &'static str, error: FieldError) {
        self.0.push((field, error));
    }

    /// The field's message in `lang`.
    fn get(&self, field: &str, lang: Lang) -> Option<String> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, error)| error.in_words(lang))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// ----- register -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "store/register.html")]
struct RegisterPage {
    chrome: Chrome,
    email: Field,
    name: Field,
    password: Field,
    problems: Vec<Problem>,
}

#[derive(Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    authenticity_token: String,
}

fn register_page(
    shop: &Shop,
    form: &RegisterForm,
    errors: &Errors,
) -> Result<RegisterPage, WebError> {
    let lang = Lang(shop.store.locale);
    let email = Field::new("email", lang.t("field-email"), "email")
        .value(form.email.trim())
        .autocomplete("email")
        .max_length(254)
        .error(errors.get("email", lang));
    let name = Field::new("name", lang.t("field-full-name"), "text")
        .value(form.name.trim())
        .autocomplete("name")
        .max_length(200)
        .error(errors.get("name", lang));
    // A password is never sent back to the browser, not even after an error.
    let password = Field::new("password", lang.t("field-password"), "password")
        .autocomplete("new-password")
        .hint(lang.t("field-new-password-hint"))
        .max_length(256)
        .error(errors.get("password", lang));
    Ok(RegisterPage {
        problems: problems(&[&email, &name, &password]),
        chrome: shop.chrome(Section::Account)?,
        email,
        name,
        password,
    })
}

pub async fn register_form(shop: Shop) -> Result<Response, WebError> {
    if shop.customer.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    let page = register_page(&shop, &RegisterForm::default(), &Errors::default())?;
    Ok((shop.jar, shop.csrf, render(&page)).into_response())
}

struct Registration {
    email: Email,
    name: String,
    password: Password,
}

fn parse_registration(form: &RegisterForm) -> Result<Registration, Errors> {
    let mut errors = Errors::default();
    let email = parse_email(&form.email, &mut errors);
    let name = parse_name(&form.name, &mut errors);
    let password = if form.password.is_empty() {
        errors.add(
            "password",
            FieldError::Message("account-error-choose-password"),
        );
        None
    } else {
        match Password::parse(form.password.clone()) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.add(
                    "password",
                    FieldError::About {
                        subject: "account-subject-password",
                        reason: e.reason,
                    },
                );
                None
            }
        }
    };
    match (email, name, password) {
        (Some(email), Some(name), Some(password)) if errors.is_empty() => Ok(Registration {
            email,
            name,
            password,
        }),
        _ => Err(errors),
    }
}

fn parse_email(raw: &str, errors: &mut Errors) -> Option<Email> {
    if raw.trim().is_empty() {
        errors.add("email", FieldError::Message("account-error-email-missing"));
        return None;
    }
    match Email::parse(raw) {
        Ok(email) => Some(email),
        Err(_) => {
            errors.add("email", FieldError::Message("account-error-email-invalid"));
            None
        }
    }
}

fn parse_name(raw: &str, errors: &mut Errors) -> Option<String> {
    match bounded_text("name", raw, 200) {
        Ok(name) => Some(name),
        Err(e) if e.reason == "is required" => {
            errors.add("name", FieldError::Message("account-error-name-missing"));
            None
        }
        Err(e) => {
            errors.add(
                "name",
                FieldError::About {
                    subject: "account-subject-name",
                    reason: e.reason,
                },
            );
            None
        }
    }
}

pub async fn register(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    shop: Shop,
    PageForm(form): PageForm<RegisterForm>,
) -> Result<Response, WebError> {
    verify_csrf(&shop.csrf, &form.authenticity_token)?;
    let registration = match parse_registration(&form) {
        Ok(r) => r,
        Err(errors) => return form_error(register_page(&shop, &form, &errors)?, shop),
    };
    // Counted per address once the form is complete: typos cost nothing, mass sign-ups do.
    if !state.limits.allow_registration(&client.to_string()) {
        return Ok(ErrorPage::new(
            "Too many new accounts from here",
            "Many accounts were opened from your network in the last few minutes. \
             Wait ten minutes, then register again; if you already have an account, log in.",
        )
        .next("/account/login", "Log in")
        .into_response_with(StatusCode::TOO_MANY_REQUESTS));
    }
    // The existing-email answer comes before the expensive hash, not after it.
    if db::customers::find_for_login(&state.db, &shop.store.id, &registration.email)
        .await?
        .is_some()
    {
        return email_taken(shop, &form);
    }
    let hash = match accounts::hash_password(&state, registration.password).await {
        Ok(hash) => hash,
        Err(HashError::Busy) => {
            return Ok(busy_page()
                .next("/account/register", "Back to registration")
                .into_response_with_retry_after());
        }
        Err(HashError::Internal(e)) => return Err(WebError::Internal(e)),
    };
    let created = db::customers::create(
        &state.db,
        &shop.store.id,
        &registration.email,
        &hash,
        &registration.name,
    )
    .await?;
    let Some(customer_id) = created else {
        return email_taken(shop, &form);
    };
    let customer = db::customers::find(&state.db.pool, &shop.store.id, customer_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("customer vanished right after registration"))?;
    let jar = log_in(
        &state,
        &shop.store.id,
        &customer,
        shop.basket.as_ref(),
        shop.jar,
    )
    .await?;
    Ok((jar, Redirect::to("/account")).into_response())
}

/// Says no more than the form needs: this email cannot register here, log in instead.
fn email_taken(shop: Shop, form: &RegisterForm) -> Result<Response, WebError> {
    let mut errors = Errors::default();
    errors.add("email", FieldError::Message("account-error-email-taken"));
    form_error(register_page(&shop, form, &errors)?, shop)
}

/// A form shown again with its errors: 422, the typed values kept.
fn form_error(page: impl Template, shop: Shop) -> Result<Response, WebError> {
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        shop.jar,
        shop.csrf,
        render(&page),
    )
        .into_response())
}

// ----- log in / log out -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "store/login.html")]
struct LoginPage {
    chrome: Chrome,
    email: Field,
    password: Field,
    problems: Vec<Problem>,
}

#[derive(Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    authenticity_token: String,
}

fn login_page(shop: &Shop, form: &LoginForm, errors: &Errors) -> Result<LoginPage, WebError> {
    let lang = Lang(shop.store.locale);
    let email = Field::new("email", lang.t("field-email"), "email")
        .value(form.email.trim())
        .autocomplete("email")
        .max_length(254)
        .error(errors.get("email", lang));
    let password = Field::new("password", lang.t("field-password"), "password")
        .autocomplete("current-password")
        .max_length(256)
        .error(errors.get("password", lang));
    Ok(LoginPage {
        problems: problems(&[&email, &password]),
        chrome: shop.chrome(Section::Account)?,
        email,
        password,
    })
}

pub async fn login_form(shop: Shop) -> Result<Response, WebError> {
    if shop.customer.is_some() {
        return Ok(Redirect::to("/account").into_response());
    }
    let page = login_page(&shop, &LoginForm::default(), &Errors::default())?;
    Ok((shop.jar, shop.csrf, render(&page)).into_response())
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    shop: Shop,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, WebError> {
    verify_csrf(&shop.csrf, &form.authenticity_token)?;
    let mut errors = Errors::default();
    if form.email.trim().is_empty() {
        errors.add("email", FieldError::Message("account-error-email-missing"));
    }
    if form.password.is_empty() {
        errors.add(
            "password",
            FieldError::Message("account-error-password-missing"),
        );
    }
    if !errors.is_empty() {
        return form_error(login_page(&shop, &form, &errors)?, shop);
    }
    let address = client.to_string();
    let result = accounts::authenticate(
        &state,
        &shop.store.id,
        &form.email,
        form.password.clone(),
        &address,
        &shop.jar,
    )
    .await;
    let customer = match result {
        Ok(customer) => customer,
        Err(LoginError::BadCredentials) => {
            // One message for a wrong email and a wrong password: which one is not said.
            errors.add("password", FieldError::Message("account-error-not-right"));
            let page = login_page(&shop, &form, &errors)?;
            return Ok(
                (StatusCode::UNAUTHORIZED, shop.jar, shop.csrf, render(&page)).into_response(),
            );
        }
        Err(LoginError::Throttled) => return Err(WebError::TooManyRequests),
        Err(LoginError::Busy) => {
            return Ok(busy_page()
                .next("/account/login", "Back to log in")
                .into_response_with_retry_after());
        }
        Err(LoginError::Internal(e)) => return Err(WebError::Internal(e)),
    };
    let jar = crate::provider::logout::log_out(&state, &shop.store.id, shop.jar).await?;
    let jar = log_in(&state, &shop.store.id, &customer, shop.basket.as_ref(), jar).await?;
    Ok((jar, Redirect::to("/account")).into_response())
}

/// Starts the session and settles which basket is the customer's from now on.
///
/// Their own open basket stays their basket. If they filled a guest basket before logging
/// in, its lines are added to that basket (quantities summed, capped at 99), so nothing
/// picked is lost; the guest basket itself stays in the database, open and ownerless, with
/// no cookie naming it any more. With no open basket of their own, the guest basket
/// becomes theirs (`db::baskets::claim`). A guest basket already in checkout is left alone.
async fn log_in(
    state: &AppState,
    store: &StoreId,
    customer: &Customer,
    guest_basket: Option<&Basket>,
    jar: CookieJar,
) -> Result<CookieJar, WebError> {
    let (jar, _) = accounts::start_session(state, store, customer, jar).await?;
    let guest = guest_basket.filter(|b| b.status == BasketStatus::Open && b.customer_id.is_none());
    let own = db::baskets::find_open_for_customer(&state.db, store, customer.id).await?;
    match (own, guest) {
        (Some(own), Some(guest)) if own != guest.id => {
            for line in &guest.lines {
                db::baskets::set_line(&state.db, store, own, line.product_id, line.quantity, true)
                    .await?;
            }
            Ok(with_basket_cookie(state, store, jar, own))
        }
        (Some(own), _) => Ok(with_basket_cookie(state, store, jar, own)),
        (None, Some(guest)) => {
            if db::baskets::claim(&state.db, store, guest.id, customer.id).await? {
                Ok(with_basket_cookie(state, store, jar, guest.id))
            } else {
                Ok(without_basket_cookie(state, store, jar))
            }
        }
        (None, None) => Ok(jar),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    authenticity_token: String,
}

/// Ends the session and forgets the basket on this browser: the basket stays the
/// customer's for their next login, and the next person at this computer starts empty.
pub async fn logout(
    State(state): State<AppState>,
    shop: Shop,
    PageForm(form): PageForm<LogoutForm>,
) -> Result<Response, WebError> {
    verify_csrf(&shop.csrf, &form.authenticity_token)?;
    let jar = crate::provider::logout::log_out(&state, &shop.store.id, shop.jar).await?;
    let jar = without_basket_cookie(&state, &shop.store.id, jar);
    Ok((jar, Redirect::to("/")).into_response())
}

// ----- account page ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "store/account.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    name: Field,
    phone: Field,
    billing: Vec<Field>,
    problems: Vec<Problem>,
    saved: bool,
    orders: Vec<OrderView>,
}

struct OrderView {
    number: String,
    date: String,
    total: String,
    payment_method: String,
}

#[derive(Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    billing_name: String,
    #[serde(default)]
    billing_street: String,
    #[serde(default)]
    billing_postal_code: String,
    #[serde(default)]
    billing_city: String,
    #[serde(default)]
    billing_country: String,
    #[serde(default)]
    authenticity_token: String,
}

impl ProfileForm {
    fn of(customer: &Customer) -> Self {
        let billing = customer
            .billing_address
            .as_ref()
            .map(Address::to_input)
            .unwrap_or_default();
        Self {
            name: customer.name.clone(),
            phone: customer.phone.clone().unwrap_or_default(),
            billing_name: billing.name,
            billing_street: billing.street,
            billing_postal_code: billing.postal_code,
            billing_city: billing.city,
            billing_country: billing.country,
            authenticity_token: String::new(),
        }
    }

    fn billing_input(&self) -> AddressInput {
        AddressInput {
            name: self.billing_name.clone(),
            street: self.billing_street.clone(),
            postal_code: self.billing_postal_code.clone(),
            city: self.billing_city.clone(),
            country: self.billing_country.clone(),
        }
    }
}

#[derive(Debug, PartialEq)]
struct Profile {
    name: String,
    phone: Option<PhoneNumber>,
    /// `None` when every billing field is blank: the address is optional.
    billing: Option<Address>,
}

fn parse_profile(form: &ProfileForm) -> Result<Profile, Errors> {
    let mut errors = Errors::default();
    let name = parse_name(&form.name, &mut errors);
    let phone = PhoneNumber::parse_optional(&form.phone).map_err(|_| {
        errors.add("phone", FieldError::Message("account-error-phone"));
    });
    let input = form.billing_input();
    let all_blank = [
        &input.name,
        &input.street,
        &input.postal_code,
        &input.city,
        &input.country,
    ]
    .iter()
    .all(|v| v.trim().is_empty());
    let billing = if all_blank {
        None
    } else {
        match Address::parse(&input) {
            Ok(address) => Some(address),
            Err(problems) => {
                for p in problems {
                    let (field, error) = billing_error(p.field, p.reason);
                    errors.add(field, error);
                }
                None
            }
        }
    };
    match name {
        Some(name) if errors.is_empty() => Ok(Profile {
            name,
            phone: phone.ok().flatten(),
            billing,
        }),
        _ => Err(errors),
    }
}

/// The form field of an address part and what is wrong with it; the address is optional,
/// so a missing part asks for it or for no address at all.
fn billing_error(part: &str, reason: &'static str) -> (&'static str, FieldError) {
    let (field, missing, subject) = match part {
        "name" => (
            "billing_name",
            "account-error-billing-name-missing",
            "account-subject-billing-name",
        ),
        "street" => (
            "billing_street",
            "account-error-billing-street-missing",
            "account-subject-billing-street",
        ),
        "postal_code" => (
            "billing_postal_code",
            "account-error-billing-postal-code-missing",
            "account-subject-billing-postal-code",
        ),
        "city" => (
            "billing_city",
            "account-error-billing-city-missing",
            "account-subject-billing-city",
        ),
        _ => {
            return (
                "billing_country",
                FieldError::Message("account-error-country"),
            );
        }
    };
    let error = if reason == "is required" {
        FieldError::Message(missing)
    } else {
        FieldError::About { subject, reason }
    };
    (field, error)
}

async fn account_page(
    state: &AppState,
    shop: &Shop,
    customer: &Customer,
    form: &ProfileForm,
    errors: &Errors,
    saved: bool,
) -> Result<AccountPage, WebError> {
    let lang = Lang(shop.store.locale);
    let orders = db::orders::list_for_customer(&state.db, &shop.store.id, customer.id)
        .await?
        .into_iter()
        .map(|o| OrderView {
            number: o.number,
            date: lang.date(o.created_at),
            total: lang.money(o.total),
            payment_method: view::payment_method(&o.payment_method),
        })
        .collect();
    let name = Field::new("name", lang.t("field-full-name"), "text")
        .value(&form.name)
        .autocomplete("name")
        .max_length(200)
        .error(errors.get("name", lang));
    let phone = Field::new("phone", lang.t("field-phone"), "tel")
        .value(&form.phone)
        .autocomplete("tel")
        .optional()
        .max_length(30)
        .error(errors.get("phone", lang));
    let billing = vec![
        Field::new("billing_name", lang.t("field-address-name"), "text")
            .value(&form.billing_name)
            .autocomplete("billing name")
            .max_length(200)
            .error(errors.get("billing_name", lang)),
        Field::new("billing_street", lang.t("field-street"), "text")
            .value(&form.billing_street)
            .autocomplete("billing street-address")
            .max_length(200)
            .error(errors.get("billing_street", lang)),
        Field::new("billing_postal_code", lang.t("field-postal-code"), "text")
            .value(&form.billing_postal_code)
            .autocomplete("billing postal-code")
            .max_length(20)
            .error(errors.get("billing_postal_code", lang)),
        Field::new("billing_city", lang.t("field-city"), "text")
            .value(&form.billing_city)
            .autocomplete("billing address-level2")
            .max_length(100)
            .error(errors.get("billing_city", lang)),
        Field::new("billing_country", lang.t("field-country"), "text")
            .value(&form.billing_country)
            .autocomplete("billing country")
            .options(country_options(lang, shop.store.country))
            .error(errors.get("billing_country", lang)),
    ];
    let mut all: Vec<&Field> = vec![&name, &phone];
    all.extend(billing.iter());
    Ok(AccountPage {
        problems: problems(&all),
        chrome: shop.chrome(Section::Account)?,
        email: customer.email.to_string(),
        name,
        phone,
        billing,
        saved,
        orders,
    })
}

#[derive(Deserialize)]
pub struct AccountQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    shop: Shop,
    Query(query): Query<AccountQuery>,
) -> Result<Response, WebError> {
    let Some(customer) = &shop.customer else {
        return Ok(Redirect::to("/account/login").into_response());
    };
    let form = ProfileForm::of(customer);
    let saved = query.saved.is_some();
    let page = account_page(&state, &shop, customer, &form, &Errors::default(), saved).await?;
    Ok((shop.jar, shop.csrf, render(&page)).into_response())
}

pub async fn update_profile(
    State(state): State<AppState>,
    shop: Shop,
    PageForm(form): PageForm<ProfileForm>,
) -> Result<Response, WebError> {
    verify_csrf(&shop.csrf, &form.authenticity_token)?;
    let Some(customer) = &shop.customer else {
        return Ok(Redirect::to("/account/login").into_response());
    };
    let profile = match parse_profile(&form) {
        Ok(profile) => profile,
        Err(errors) => {
            let page = account_page(&state, &shop, customer, &form, &errors, false).await?;
            return form_error(page, shop);
        }
    };
    db::customers::update_profile(
        &state.db,
        &shop.store.id,
        customer.id,
        &profile.name,
        profile.phone.as_ref().map(PhoneNumber::as_str),
        profile.billing.as_ref(),
    )
    .await?;
    Ok((shop.jar, Redirect::to("/account?saved=1")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register_form(email: &str, name: &str, password: &str) -> RegisterForm {
        RegisterForm {
            email: email.into(),
            name: name.into(),
            password: password.into(),
            authenticity_token: String::new(),
        }
    }

    #[test]
    fn registration_reports_every_bad_field() {
        let Err(errors) = parse_registration(&register_form("nope", " ", "short")) else {
            panic!("a bad form was accepted");
        };
        assert!(errors.get("email", Lang::default()).is_some());
        assert_eq!(
            errors.get("name", Lang::default()).as_deref(),
            Some("Enter your name.")
        );
        assert!(
            errors
                .get("password", Lang::default())
                .unwrap()
                .contains("8 characters")
        );
    }

    #[test]
    fn registration_parses_a_good_form() {
        let ok = parse_registration(&register_form(
            " Bob@Example.com ",
            " Bob Builder ",
            "correct horse battery staple",
        ))
        .map_err(|e| format!("{e:?}"))
        .unwrap();
        assert_eq!(ok.email.as_str(), "bob@example.com");
        assert_eq!(ok.name, "Bob Builder");
    }

    fn profile_form() -> ProfileForm {
        ProfileForm {
            name: "Alice Example".into(),
            phone: "+49 30 1234567".into(),
            billing_name: "Alice Example".into(),
            billing_street: "Invalidenstraße 117".into(),
            billing_postal_code: "10115".into(),
            billing_city: "Berlin".into(),
            billing_country: "de".into(),
            authenticity_token: String::new(),
        }
    }

    #[test]
    fn a_full_profile_parses_with_its_address() {
        let profile = parse_profile(&profile_form()).unwrap();
        assert_eq!(
            profile.phone.as_ref().map(PhoneNumber::as_str),
            Some("+49 30 1234567")
        );
        assert_eq!(profile.billing.unwrap().country, "DE");
    }

    #[test]
    fn blank_address_and_phone_are_allowed() {
        let form = ProfileForm {
            phone: " ".into(),
            billing_name: String::new(),
            billing_street: String::new(),
            billing_postal_code: String::new(),
            billing_city: String::new(),
            billing_country: String::new(),
            ..profile_form()
        };
        let profile = parse_profile(&form).unwrap();
        assert_eq!(profile.phone, None);
        assert_eq!(profile.billing, None);
    }

    #[test]
    fn a_partial_address_names_each_missing_field() {
        let form = ProfileForm {
            billing_street: String::new(),
            billing_country: "Germany".into(),
            phone: "call me".into(),
            ..profile_form()
        };
        let errors = parse_profile(&form).unwrap_err();
        assert!(errors.get("billing_street", Lang::default()).is_some());
        assert!(errors.get("billing_country", Lang::default()).is_some());
        assert!(errors.get("phone", Lang::default()).is_some());
        assert!(errors.get("billing_city", Lang::default()).is_none());
        assert!(errors.get("name", Lang::default()).is_none());
    }

    #[test]
    fn every_account_error_is_written_in_the_stores_language() {
        let refused = |form: RegisterForm| match parse_registration(&form) {
            Ok(_) => panic!("a bad form was accepted"),
            Err(errors) => errors.0,
        };
        let mut errors = refused(register_form("", "", ""));
        errors.extend(refused(register_form("nope", &"x".repeat(201), "short")));
        let bad_address = ProfileForm {
            billing_name: String::new(),
            billing_street: String::new(),
            billing_postal_code: "x".repeat(300),
            billing_city: String::new(),
            billing_country: "Germany".into(),
            phone: "call me".into(),
            ..profile_form()
        };
        errors.extend(parse_profile(&bad_address).unwrap_err().0);
        let (en, de) = (Lang::default(), Lang(crate::domain::Locale::DeDe));
        assert!(errors.len() >= 10, "{errors:?}");
        for (field, error) in errors {
            let (english, german) = (error.in_words(en), error.in_words(de));
            assert_ne!(english, german, "{field}: {error:?} is not translated");
            assert!(
                !german.contains("account-") && !german.contains("reason-"),
                "{german}"
            );
        }
    }
}
