//! The language of a store's pages and of the checkout pages shown for it: text from
//! `locales/{tag}/*.ftl` (Fluent, compiled into the binary) and money, dates and country
//! names from ICU4X's CLDR data. Handlers pick a [`Lang`] from the store's locale; pages
//! that belong to no store use [`Lang::default`] (en-US).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use icu_calendar::{Date, Gregorian};
use icu_collator::Collator;
use icu_collator::options::CollatorOptions;
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::YMD;
use icu_decimal::DecimalFormatter;
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use icu_experimental::displaynames::DisplayNamesOptions;
use icu_experimental::displaynames::multi::RegionDisplayNames;
use writeable::Writeable;

use crate::domain::{Country, Currency, DeliveryMethod, Locale, Money};

fluent_templates::static_loader! {
    static TEXTS = {
        locales: "./locales",
        fallback_language: "en-US",
        // Fluent wraps every argument in bidi isolation marks by default; our arguments
        // are store names and numbers in left-to-right scripts, and the marks would
        // show up in copied text and in the tests' searches.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The page language: a store's locale, `Copy` so every page view can hold one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lang(pub Locale);

impl Lang {
    /// For `<html lang>`.
    pub fn tag(&self) -> &'static str {
        self.0.tag()
    }

    /// The text under `key`; a key missing in this locale falls back to en-US (the unit
    /// test below keeps both complete), one missing everywhere shows the key.
    pub fn t(&self, key: &str) -> String {
        TEXTS.lookup(&self.langid(), key)
    }

    /// The text under `key` with `{ $name }` filled in.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.with_args(key, &[(name, value)])
    }

    /// The text under `key` with two arguments filled in.
    pub fn t2(&self, key: &str, name: &str, value: &str, name2: &str, value2: &str) -> String {
        self.with_args(key, &[(name, value), (name2, value2)])
    }

    /// The text under `key` with three arguments filled in.
    pub fn t3(&self, key: &str, a: (&str, &str), b: (&str, &str), c: (&str, &str)) -> String {
        self.with_args(key, &[a, b, c])
    }

    /// A domain reason ("is too long", from `DomainError`) in this language, under the key
    /// `reason-` and its words joined by dashes; the reason as written where no locale has
    /// it (a reason added to the domain shows in English until it is translated).
    pub fn reason(&self, reason: &str) -> String {
        self.t_or(&reason_key(reason), reason)
    }

    /// A payment gateway's name: `payment-{gateway}`, or the gateway's own where no
    /// locale has one (a gateway added without translations).
    pub fn gateway_title(&self, gateway: &str, own: &str) -> String {
        self.t_or(&format!("payment-{gateway}"), own)
    }

    /// A payment method's name: `payment-{gateway}-{method}`, or the gateway's own.
    pub fn method_title(&self, gateway: &str, method: &str, own: &str) -> String {
        self.t_or(&format!("payment-{gateway}-{method}"), own)
    }

    fn t_or(&self, key: &str, fallback: &str) -> String {
        TEXTS
            .try_lookup(&self.langid(), key)
            .unwrap_or_else(|| fallback.to_owned())
    }

    /// "Standard delivery", "Standardversand".
    pub fn delivery_title(&self, method: DeliveryMethod) -> String {
        self.t(&format!("delivery-{}", method.code()))
    }

    /// When it arrives: "2–4 working days".
    pub fn delivery_promise(&self, method: DeliveryMethod) -> String {
        self.t(&format!("delivery-{}-promise", method.code()))
    }

    fn with_args(&self, key: &str, args: &[(&str, &str)]) -> String {
        let args: HashMap<_, _> = args
            .iter()
            .map(|&(name, value)| {
                (
                    Cow::Owned(name.to_owned()),
                    FluentValue::from(value.to_owned()),
                )
            })
            .collect();
        TEXTS.lookup_with_args(&self.langid(), key, &args)
    }

    fn langid(&self) -> LanguageIdentifier {
        // Both tags are valid BCP 47; `Locale::ALL` is tested to parse below.
        self.tag().parse().unwrap_or_default()
    }

    fn icu_locale(&self) -> icu_locale_core::Locale {
        self.tag()
            .parse()
            .unwrap_or(icu_locale_core::Locale::UNKNOWN)
    }

    /// "$1,234.50" in en-US, "1.234,50 €" in de-DE, with the currency's own decimals.
    pub fn money(&self, money: Money) -> String {
        let mut amount = fixed_decimal::Decimal::from(money.minor);
        // The exponent is at most 4, so the cast cannot truncate.
        amount.multiply_pow10(-(money.currency.exponent() as i16));
        FORMATTERS.with(|cache| {
            let mut cache = cache.borrow_mut();
            let formatter = cache
                .entry((self.0, money.currency))
                .or_insert_with(|| currency_formatter(*self, money.currency));
            match formatter {
                Some(formatter) => formatter
                    .format_fixed_decimal(&amount)
                    .write_to_string()
                    .into_owned(),
                None => money.to_string(),
            }
        })
    }

    /// A calendar date (UTC) as the locale writes it: "Nov 14, 2023", "14.11.2023".
    pub fn date(&self, unix_seconds: i64) -> String {
        let Ok(at) = time::OffsetDateTime::from_unix_timestamp(unix_seconds) else {
            return self.t("date-unknown");
        };
        let formatted = Date::try_new_gregorian(at.year(), u8::from(at.month()), at.day())
            .ok()
            .zip(
                FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(
                    (&self.icu_locale()).into(),
                    YMD::medium(),
                )
                .ok(),
            )
            .map(|(date, formatter)| formatter.format(&date).to_string());
        formatted.unwrap_or_else(|| at.date().to_string())
    }

    /// Every ISO 3166 country with its name in this language, in the language's
    /// alphabetical order ("Österreich" next to "Oman" in German), with `first` (the
    /// store's country) at the top.
    pub fn countries(&self, first: Country) -> Vec<(Country, String)> {
        let names = RegionDisplayNames::try_new(
            (&self.icu_locale()).into(),
            DisplayNamesOptions::default(),
        )
        .ok();
        let name_of = |country: Country| {
            names
                .as_ref()
                .zip(country.as_str().parse().ok())
                .and_then(|(names, region)| names.of(region))
                .map_or_else(|| country.english_name().to_owned(), str::to_owned)
        };
        let mut rest: Vec<(Country, String)> = Country::all()
            .filter(|&c| c != first)
            .map(|c| (c, name_of(c)))
            .collect();
        match Collator::try_new((&self.icu_locale()).into(), CollatorOptions::default()) {
            Ok(collator) => rest.sort_by(|a, b| collator.compare(&a.1, &b.1)),
            Err(_) => rest.sort_by(|a, b| a.1.cmp(&b.1)),
        }
        let mut all = vec![(first, name_of(first))];
        all.extend(rest);
        all
    }
}

/// ICU4X's currency formatter over plain decimals (not compact ones).
type MoneyFormatter = CurrencyFormatter<DecimalFormatter>;

thread_local! {
    /// Currency formatters per locale and currency. ICU4X's data payloads are not `Sync`,
    /// so each worker thread keeps its own; building one is cheap but logs a warning for a
    /// currency without a symbol in that locale, which should happen once, not per price.
    static FORMATTERS: RefCell<HashMap<(Locale, Currency), Option<MoneyFormatter>>> =
        RefCell::new(HashMap::new());
}

/// `reason-is-too-long` for "is too long".
fn reason_key(reason: &str) -> String {
    let words: Vec<String> = reason
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    format!("reason-{}", words.join("-"))
}

fn currency_formatter(lang: Lang, currency: Currency) -> Option<MoneyFormatter> {
    let code = CurrencyType::try_from_str(&currency.as_str().to_ascii_lowercase()).ok()?;
    CurrencyFormatter::try_new_symbol((&lang.icu_locale()).into(), code, Default::default()).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn money(minor: i64, currency: &str) -> Money {
        Money::new(minor, Currency::parse(currency).unwrap())
    }

    const EN: Lang = Lang(Locale::EnUs);
    const DE: Lang = Lang(Locale::DeDe);

    #[test]
    fn money_follows_the_locale_and_the_currencys_decimals() {
        assert_eq!(EN.money(money(123_450, "USD")), "$1,234.50");
        assert_eq!(DE.money(money(123_450, "EUR")), "1.234,50\u{a0}€");
        assert_eq!(EN.money(money(1490, "EUR")), "€14.90");
        assert_eq!(DE.money(money(5, "EUR")), "0,05\u{a0}€");
        assert_eq!(EN.money(money(-250, "EUR")), "-€2.50");
        assert_eq!(DE.money(money(150_000, "JPY")), "150.000\u{a0}¥");
        assert_eq!(EN.money(money(1234, "KWD")), "KWD\u{a0}1.234");
    }

    #[test]
    fn dates_follow_the_locale() {
        assert_eq!(EN.date(1_700_000_000), "Nov 14, 2023");
        assert_eq!(DE.date(1_700_000_000), "14.11.2023");
    }

    #[test]
    fn countries_come_in_the_stores_language_with_its_own_first() {
        let de = Locale::DeDe.country();
        let countries = DE.countries(de);
        assert_eq!(countries[0], (de, "Deutschland".to_owned()));
        assert!(
            countries
                .iter()
                .any(|(c, name)| c.as_str() == "US" && name == "Vereinigte Staaten")
        );
        assert_eq!(countries.len(), Country::all().count());
        let position = |code: &str| countries.iter().position(|(c, _)| c.as_str() == code);
        // Collated, not by bytes: Ö sorts as O.
        assert!(position("AT") < position("PL"), "Österreich before Polen");
        let us = EN.countries(Locale::EnUs.country());
        assert_eq!(us[0].1, "United States");
    }

    #[test]
    fn text_is_looked_up_and_filled_in() {
        assert_eq!(EN.t1("catalog-welcome", "store", "Shop"), "Welcome to Shop");
        assert_eq!(
            DE.t1("catalog-welcome", "store", "Shop"),
            "Willkommen bei Shop"
        );
    }

    /// The message ids of every `.ftl` file under `locales/{tag}/`.
    fn keys(locale: Locale) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(locale.tag());
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let resource = fluent_templates::fluent_bundle::FluentResource::try_new(text)
                .unwrap_or_else(|(_, errors)| panic!("{}: {errors:?}", dir.display()));
            keys.extend(resource.entries().filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            }));
        }
        keys
    }

    #[test]
    fn every_locale_has_every_key() {
        let english = keys(Locale::EnUs);
        assert!(!english.is_empty());
        for locale in Locale::ALL {
            let these = keys(locale);
            let missing: Vec<_> = english.difference(&these).collect();
            let extra: Vec<_> = these.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{locale}: missing {missing:?}, not in en-US {extra:?}"
            );
            assert!(locale.tag().parse::<LanguageIdentifier>().is_ok());
        }
    }
}
