//! The checkout form (Flamingo's "checkout action" form): what the shopper typed, and the
//! parse that turns it into order details or reports every bad field at once. The HTML
//! form and the JSON API share it, so both refuse the same input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::CheckoutFlags;
use crate::domain::DeliveryMethod;
use crate::domain::{Address, AddressInput, DomainError, Email, PhoneNumber, PostalAddress};
use crate::i18n::Lang;
use crate::web::forms::FieldError;

/// Longest value kept of any field. Longer input is refused, and never stored in a draft.
pub const FIELD_MAX: usize = 254;

/// The form as typed. Every field is text, so whatever arrives can be shown again; this is
/// also the draft kept in the checkout session (never in a URL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailsInput {
    pub email: String,
    pub phone: String,
    pub billing_name: String,
    pub billing_street: String,
    pub billing_postal_code: String,
    pub billing_city: String,
    pub billing_country: String,
    /// The "deliver to my billing address" checkbox: present when ticked.
    pub delivery_same: Option<String>,
    pub delivery_name: String,
    pub delivery_street: String,
    pub delivery_postal_code: String,
    pub delivery_city: String,
    pub delivery_country: String,
    pub delivery_method: String,
    /// `gateway:method`, one radio group across every gateway.
    pub payment: String,
    /// The privacy policy checkbox: present when ticked.
    pub privacy_policy: Option<String>,
}

impl DetailsInput {
    /// A form nobody has touched: deliver to the billing address, standard delivery.
    pub fn fresh() -> Self {
        Self {
            delivery_same: Some("yes".to_owned()),
            delivery_method: DeliveryMethod::Standard.code().to_owned(),
            ..Self::default()
        }
    }

    fn texts(&self) -> [(&'static str, &str); 16] {
        [
            ("email", &self.email),
            ("phone", &self.phone),
            ("billing_name", &self.billing_name),
            ("billing_street", &self.billing_street),
            ("billing_postal_code", &self.billing_postal_code),
            ("billing_city", &self.billing_city),
            ("billing_country", &self.billing_country),
            ("delivery_name", &self.delivery_name),
            ("delivery_street", &self.delivery_street),
            ("delivery_postal_code", &self.delivery_postal_code),
            ("delivery_city", &self.delivery_city),
            ("delivery_country", &self.delivery_country),
            ("delivery_method", &self.delivery_method),
            ("payment", &self.payment),
            ("delivery_same", self.delivery_same.as_deref().unwrap_or("")),
            (
                "privacy_policy",
                self.privacy_policy.as_deref().unwrap_or(""),
            ),
        ]
    }

    /// True when some field is longer than any valid value could be: such input is
    /// refused and not kept as a draft.
    pub fn is_oversized(&self) -> bool {
        self.texts()
            .iter()
            .any(|(_, value)| value.chars().count() > FIELD_MAX)
    }

    fn billing(&self) -> AddressInput {
        AddressInput {
            name: self.billing_name.clone(),
            street: self.billing_street.clone(),
            postal_code: self.billing_postal_code.clone(),
            city: self.billing_city.clone(),
            country: self.billing_country.clone(),
        }
    }

    fn delivery(&self) -> AddressInput {
        AddressInput {
            name: self.delivery_name.clone(),
            street: self.delivery_street.clone(),
            postal_code: self.delivery_postal_code.clone(),
            city: self.delivery_city.clone(),
            country: self.delivery_country.clone(),
        }
    }

    /// Fills the billing address but its name.
    pub fn set_billing_postal_address(&mut self, address: &PostalAddress) {
        self.billing_street = address.street.clone();
        self.billing_postal_code = address.postal_code.clone();
        self.billing_city = address.city.clone();
        self.billing_country = address.country.clone();
    }
}

/// A payment choice offered at one store: a method of an enabled gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentOption {
    pub gateway: String,
    pub gateway_title: String,
    pub method: String,
    pub title: String,
}

impl PaymentOption {
    /// The radio button's value.
    pub fn value(&self) -> String {
        format!("{}:{}", self.gateway, self.method)
    }
}

/// What the form asks for at this store (Flamingo's form flags) and what it offers.
pub struct FormRules<'a> {
    pub use_delivery_forms: bool,
    pub use_personal_data_form: bool,
    pub privacy_policy_required: bool,
    pub payment_options: &'a [PaymentOption],
}

impl<'a> FormRules<'a> {
    pub fn new(flags: &CheckoutFlags, payment_options: &'a [PaymentOption]) -> Self {
        Self {
            use_delivery_forms: flags.use_delivery_forms,
            use_personal_data_form: flags.use_personal_data_form,
            privacy_policy_required: flags.privacy_policy_required,
            payment_options,
        }
    }
}

/// The details of a valid form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub email: Email,
    pub phone: Option<PhoneNumber>,
    pub billing: Address,
    /// `None`: deliver to the billing address.
    pub delivery: Option<Address>,
    pub delivery_method: DeliveryMethod,
    pub payment: PaymentOption,
}

/// Errors by form field name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, FieldError>);

impl FieldErrors {
    fn add(&mut self, field: &'static str, error: FieldError) {
        self.0.entry(field).or_insert(error);
    }

    /// The field's message in `lang`, ready to show next to it.
    pub fn get(&self, field: &str, lang: Lang) -> Option<String> {
        self.0.get(field).map(|error| error.in_words(lang))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parses the whole form; on failure every bad field has its message.
pub fn parse(input: &DetailsInput, rules: &FormRules<'_>) -> Result<Details, FieldErrors> {
    let mut errors = FieldErrors::default();
    for (field, value) in input.texts() {
        if value.chars().count() > FIELD_MAX {
            errors.add(field, FieldError::Message("error-too-long"));
        }
    }

    let email = parse_email(&input.email, &mut errors);

    let phone = if rules.use_personal_data_form {
        PhoneNumber::parse_optional(&input.phone)
            .map_err(|_| errors.add("phone", FieldError::Message("error-phone")))
            .ok()
            .flatten()
    } else {
        None
    };

    let billing = Address::parse(&input.billing())
        .map_err(|e| add_address_errors(&mut errors, &e, AddressPart::Billing));

    let delivery_same = !rules.use_delivery_forms || input.delivery_same.is_some();
    let delivery = if delivery_same {
        Ok(None)
    } else {
        Address::parse(&input.delivery())
            .map(Some)
            .map_err(|e| add_address_errors(&mut errors, &e, AddressPart::Delivery))
    };

    let delivery_method = DeliveryMethod::parse(&input.delivery_method).ok_or_else(|| {
        errors.add(
            "delivery_method",
            FieldError::Message("error-delivery-method"),
        )
    });

    let payment = chosen_payment(rules.payment_options, &input.payment, &mut errors);

    if rules.privacy_policy_required && input.privacy_policy.is_none() {
        errors.add(
            "privacy_policy",
            FieldError::Message("error-privacy-policy"),
        );
    }

    match (email, billing, delivery, delivery_method, payment) {
        (Ok(email), Ok(billing), Ok(delivery), Ok(delivery_method), Ok(payment))
            if errors.is_empty() =>
        {
            Ok(Details {
                email,
                phone,
                billing,
                delivery,
                delivery_method,
                payment,
            })
        }
        _ => Err(errors),
    }
}

fn parse_email(raw: &str, errors: &mut FieldErrors) -> Result<Email, ()> {
    Email::parse(raw).map_err(|_| {
        let key = if raw.trim().is_empty() {
            "error-email-missing"
        } else {
            "error-email-invalid"
        };
        errors.add("email", FieldError::Message(key));
    })
}

/// One of the payment options this form showed, by its value.
fn chosen_payment(
    options: &[PaymentOption],
    value: &str,
    errors: &mut FieldErrors,
) -> Result<PaymentOption, ()> {
    options
        .iter()
        .find(|o| o.value() == value)
        .cloned()
        .ok_or_else(|| {
            let key = if value.is_empty() {
                "error-payment-missing"
            } else {
                "error-payment-unknown"
            };
            errors.add("payment", FieldError::Message(key));
        })
}

#[derive(Clone, Copy)]
enum AddressPart {
    Billing,
    Delivery,
}

fn add_address_errors(errors: &mut FieldErrors, problems: &[DomainError], part: AddressPart) {
    for problem in problems {
        let (field, subject) = match (part, problem.field) {
            (AddressPart::Billing, "name") => ("billing_name", "subject-billing-name"),
            (AddressPart::Billing, "street") => ("billing_street", "subject-billing-street"),
            (AddressPart::Billing, "postal_code") => {
                ("billing_postal_code", "subject-billing-postal-code")
            }
            (AddressPart::Billing, "city") => ("billing_city", "subject-billing-city"),
            (AddressPart::Billing, _) => ("billing_country", "subject-billing-country"),
            (AddressPart::Delivery, "name") => ("delivery_name", "subject-delivery-name"),
            (AddressPart::Delivery, "street") => ("delivery_street", "subject-delivery-street"),
            (AddressPart::Delivery, "postal_code") => {
                ("delivery_postal_code", "subject-delivery-postal-code")
            }
            (AddressPart::Delivery, "city") => ("delivery_city", "subject-delivery-city"),
            (AddressPart::Delivery, _) => ("delivery_country", "subject-delivery-country"),
        };
        let reason = problem.reason;
        errors.add(field, FieldError::About { subject, reason });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Locale;

    fn options() -> Vec<PaymentOption> {
        vec![PaymentOption {
            gateway: "offline".into(),
            gateway_title: "Pay offline".into(),
            method: "cash_on_delivery".into(),
            title: "Cash on delivery".into(),
        }]
    }

    fn rules(options: &[PaymentOption]) -> FormRules<'_> {
        FormRules::new(&CheckoutFlags::default(), options)
    }

    fn good() -> DetailsInput {
        DetailsInput {
            email: "Alice@Example.com".into(),
            billing_name: "Alice Example".into(),
            billing_street: "1 Harbour Road".into(),
            billing_postal_code: "10115".into(),
            billing_city: "Berlin".into(),
            billing_country: "de".into(),
            payment: "offline:cash_on_delivery".into(),
            privacy_policy: Some("accepted".into()),
            ..DetailsInput::fresh()
        }
    }

    #[test]
    fn a_complete_form_parses_and_delivers_to_the_billing_address() {
        let options = options();
        let details = parse(&good(), &rules(&options)).unwrap();
        assert_eq!(details.email.as_str(), "alice@example.com");
        assert_eq!(details.billing.country, "DE");
        assert_eq!(details.delivery, None);
        assert_eq!(details.delivery_method, DeliveryMethod::Standard);
        assert_eq!(details.payment.method, "cash_on_delivery");
    }

    #[test]
    fn an_empty_form_names_every_required_field() {
        let options = options();
        let errors = parse(&DetailsInput::default(), &rules(&options)).unwrap_err();
        for field in [
            "email",
            "billing_name",
            "billing_street",
            "billing_postal_code",
            "billing_city",
            "billing_country",
            "delivery_name",
            "delivery_method",
            "payment",
            "privacy_policy",
        ] {
            assert!(
                errors.get(field, Lang::default()).is_some(),
                "{field} has no message"
            );
        }
    }

    #[test]
    fn every_field_error_is_written_in_the_stores_language() {
        let options = options();
        let rules = FormRules {
            use_delivery_forms: true,
            use_personal_data_form: true,
            privacy_policy_required: true,
            payment_options: &options,
        };
        let mut errors = parse(&DetailsInput::default(), &rules).unwrap_err().0;
        let mut wrong = DetailsInput {
            email: "not an address".into(),
            phone: "call me".into(),
            billing_country: "XX".into(),
            billing_city: "x".repeat(FIELD_MAX + 1),
            billing_street: "1 Harbour\u{7} Road".into(),
            payment: "offline:gold_bars".into(),
            ..DetailsInput::default()
        };
        errors.extend(parse(&wrong, &rules).unwrap_err().0);
        wrong.billing_city = "Berlin".into();
        errors.extend(parse(&wrong, &rules).unwrap_err().0);
        let (en, de) = (Lang(Locale::EnUs), Lang(Locale::DeDe));
        for (field, error) in errors {
            let (english, german) = (error.in_words(en), error.in_words(de));
            assert_ne!(english, german, "{field}: {error:?} is not translated");
            for text in [&english, &german] {
                assert!(
                    !text.contains("reason-")
                        && !text.contains("subject-")
                        && !text.contains("error-"),
                    "{field}: a key shows: {text}"
                );
            }
        }
    }

    #[test]
    fn an_oversized_checkbox_is_refused_as_the_other_fields_are() {
        // Found by fuzz/fuzz_targets/checkout_details.rs: a privacy policy value too long to
        // be kept as a draft was still accepted by the parse.
        let options = options();
        let mut input = good();
        input.privacy_policy = Some("x".repeat(FIELD_MAX + 1));
        assert!(input.is_oversized());
        let errors = parse(&input, &rules(&options)).unwrap_err();
        assert_eq!(
            errors.get("privacy_policy", Lang::default()).as_deref(),
            Some("This is too long.")
        );
    }

    #[test]
    fn unknown_choices_and_oversized_fields_are_field_errors() {
        let options = options();
        let mut input = good();
        input.payment = "offline:gold_bars".into();
        input.delivery_method = "drone".into();
        input.billing_city = "x".repeat(FIELD_MAX + 1);
        assert!(input.is_oversized());
        let errors = parse(&input, &rules(&options)).unwrap_err();
        assert!(errors.get("payment", Lang::default()).is_some());
        assert!(errors.get("delivery_method", Lang::default()).is_some());
        assert_eq!(
            errors.get("billing_city", Lang::default()).as_deref(),
            Some("This is too long.")
        );
    }

    #[test]
    fn a_separate_delivery_address_is_required_when_unticked() {
        let options = options();
        let mut input = good();
        input.delivery_same = None;
        let errors = parse(&input, &rules(&options)).unwrap_err();
        assert!(errors.get("delivery_street", Lang::default()).is_some());
        input.delivery_name = "Bob".into();
        input.delivery_street = "2 Quay".into();
        input.delivery_postal_code = "20095".into();
        input.delivery_city = "Hamburg".into();
        input.delivery_country = "DE".into();
        let details = parse(&input, &rules(&options)).unwrap();
        assert_eq!(details.delivery.unwrap().city, "Hamburg");
    }

    #[test]
    fn flags_switch_the_delivery_form_the_phone_and_the_privacy_policy() {
        let options = options();
        let flags = CheckoutFlags {
            use_delivery_forms: false,
            use_personal_data_form: true,
            privacy_policy_required: false,
            ..CheckoutFlags::default()
        };
        let mut input = good();
        input.delivery_same = None;
        input.privacy_policy = None;
        input.phone = "call me".into();
        let errors = parse(&input, &FormRules::new(&flags, &options)).unwrap_err();
        assert_eq!(errors.0.keys().copied().collect::<Vec<_>>(), ["phone"]);
        input.phone = "+49 30 1234567".into();
        let details = parse(&input, &FormRules::new(&flags, &options)).unwrap();
        assert_eq!(
            details.phone.as_ref().map(PhoneNumber::as_str),
            Some("+49 30 1234567")
        );
        assert_eq!(details.delivery, None);
    }
}
