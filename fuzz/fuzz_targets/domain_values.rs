//! The domain's parsers (`src/domain/`): ids, store ids, emails, phone numbers, money and
//! currencies, addresses, and the closed sets of codes. The first byte picks the parser,
//! the rest is the text. A parsed value must parse again to itself from its own text, so
//! what is stored reads back as the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_checkout::domain::payment::IdempotencyKey;
use shared_checkout::domain::{
    Address, AddressInput, BasketId, Currency, DeliveryMethod, Email, IdTokenAlg, Money, OrderId,
    PhoneNumber, SigningAlg, StoreId,
};

/// The number of parsers; a divisor of 48 so that a seed starting with the ASCII digit
/// `'0' + n` selects parser `n`.
const PARSERS: u8 = 8;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % PARSERS {
        0 => {
            if let Ok(id) = BasketId::parse(text) {
                assert_eq!(BasketId::parse(&id.to_string()), Ok(id));
            }
            if let Ok(id) = OrderId::parse(text) {
                assert_eq!(id.to_string().parse::<OrderId>(), Ok(id));
            }
        }
        1 => {
            if let Ok(id) = StoreId::parse(text) {
                assert_eq!(StoreId::parse(id.as_str()).as_ref(), Ok(&id));
                assert_eq!(id.to_string(), text);
            }
            if let Ok(key) = IdempotencyKey::parse(text) {
                assert_eq!(key.as_str(), text);
            }
        }
        2 => {
            if let Ok(email) = Email::parse(text) {
                assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(&email));
            }
        }
        3 => {
            if let Some(phone) = PhoneNumber::parse_optional(text).ok().flatten() {
                assert_eq!(PhoneNumber::parse(phone.as_str()).as_ref(), Ok(&phone));
            }
        }
        4 => {
            // "EUR 14.90": a currency, then an amount in major units.
            let (code, amount) = text.split_once(' ').unwrap_or((text, ""));
            let Ok(currency) = Currency::parse(code) else {
                return;
            };
            assert_eq!(Currency::parse(currency.as_str()), Ok(currency));
            if let Ok(money) = Money::parse_major(amount, currency) {
                assert!(money.minor >= 0, "{amount:?} parsed as a negative amount");
                let (whole, fraction) = money.major_parts();
                let canonical = if fraction.is_empty() {
                    whole.to_string()
                } else {
                    format!("{whole}.{fraction}")
                };
                assert_eq!(Money::parse_major(&canonical, currency), Ok(money));
                assert_eq!(money.to_string(), format!("{canonical} {currency}"));
            }
        }
        5 => {
            // An address form: name, street, postal code, city, country, one per line.
            let mut lines = text.split('\n').map(str::to_owned);
            let mut next = || lines.next().unwrap_or_default();
            let input = AddressInput {
                name: next(),
                street: next(),
                postal_code: next(),
                city: next(),
                country: next(),
            };
            match Address::parse(&input) {
                Ok(address) => {
                    let again = AddressInput {
                        name: address.name.clone(),
                        street: address.street.clone(),
                        postal_code: address.postal_code.clone(),
                        city: address.city.clone(),
                        country: address.country.clone(),
                    };
                    assert_eq!(Address::parse(&again).as_ref(), Ok(&address));
                    let _ = address.formatted();
                }
                Err(problems) => assert!(!problems.is_empty(), "a refusal names its fields"),
            }
        }
        6 => {
            if let Some(method) = DeliveryMethod::parse(text) {
                assert_eq!(method.code(), text);
            }
            if let Some(alg) = SigningAlg::parse(text) {
                assert_eq!(SigningAlg::parse(alg.as_str()), Some(alg));
            }
            if let Some(alg) = IdTokenAlg::parse(text) {
                assert_eq!(IdTokenAlg::parse(alg.as_str()), Some(alg));
            }
        }
        _ => {
            let _ = shared_checkout::domain::Password::parse(text.to_owned());
        }
    }
});
