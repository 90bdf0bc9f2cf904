use serde::Deserialize;

use super::{DomainError, bounded_text};

/// A postal address, as the OIDC `address` claim and the checkout forms carry it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Address {
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// Raw address fields from a form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AddressInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
}

/// Where an address is, without whom it is for: what an OIDC `address` claim holds (it has
/// no name; OIDC Core §5.1.1). It pre-fills a form whose name may still be missing; only an
/// [`Address`] is a billing or delivery address.
///
/// Stored as JSON in checkout sessions; rows written when they held an [`Address`] read as
/// this (their `name` is ignored).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PostalAddress {
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl PostalAddress {
    /// Parses every field of `input` but its name and reports every error.
    pub fn parse(input: &AddressInput) -> Result<Self, Vec<DomainError>> {
        let street = bounded_text("street", &input.street, 200);
        let postal_code = bounded_text("postal_code", &input.postal_code, 20);
        let city = bounded_text("city", &input.city, 100);
        let country = parse_country(&input.country);
        match (street, postal_code, city, country) {
            (Ok(street), Ok(postal_code), Ok(city), Ok(country)) => Ok(Self {
                street,
                postal_code,
                city,
                country,
            }),
            (street, postal_code, city, country) => {
                Err([street.err(), postal_code.err(), city.err(), country.err()]
                    .into_iter()
                    .flatten()
                    .collect())
            }
        }
    }
}

impl Address {
    /// Parses every field and reports every error, so a form can show them all at once.
    pub fn parse(input: &AddressInput) -> Result<Self, Vec<DomainError>> {
        let name = bounded_text("name", &input.name, 200);
        match (name, PostalAddress::parse(input)) {
            (Ok(name), Ok(postal)) => Ok(Self {
                name,
                street: postal.street,
                postal_code: postal.postal_code,
                city: postal.city,
                country: postal.country,
            }),
            (name, postal) => Err(name
                .err()
                .into_iter()
                .chain(postal.err().into_iter().flatten())
                .collect()),
        }
    }

    /// The OIDC Core §5.1.1 `formatted` member.
    pub fn formatted(&self) -> String {
        format!(
            "{}\n{}\n{} {}\n{}",
            self.name, self.street, self.postal_code, self.city, self.country
        )
    }

    pub fn to_input(&self) -> AddressInput {
        AddressInput {
            name: self.name.clone(),
            street: self.street.clone(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
        }
    }
}

fn parse_country(value: &str) -> Result<String, DomainError> {
    super::Country::parse(value).map(|country| country.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_reports_every_bad_field() {
        let input = AddressInput {
            name: "Alice".into(),
            street: " ".into(),
            postal_code: "x".repeat(21),
            city: "Berlin".into(),
            country: "Germany".into(),
        };
        let errors = Address::parse(&input).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["street", "postal_code", "country"]);
    }

    #[test]
    fn address_normalises_country_case() {
        let input = AddressInput {
            name: "Alice".into(),
            street: "1 Main St".into(),
            postal_code: "10115".into(),
            city: "Berlin".into(),
            country: "de".into(),
        };
        assert_eq!(Address::parse(&input).unwrap().country, "DE");
    }

    #[test]
    fn a_postal_address_needs_no_name_but_every_other_field() {
        let input = AddressInput {
            street: "1 Harbour Road".into(),
            postal_code: "20095".into(),
            city: "Hamburg".into(),
            country: "de".into(),
            ..AddressInput::default()
        };
        assert_eq!(
            PostalAddress::parse(&input).unwrap().country,
            "DE",
            "parsed like an address's fields"
        );
        assert!(
            Address::parse(&input).is_err(),
            "no billing address without a name"
        );
        let no_city = AddressInput {
            city: String::new(),
            ..input
        };
        let errors = PostalAddress::parse(&no_city).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["city"]);
    }

    #[test]
    fn a_stored_address_with_its_name_reads_as_a_postal_address() {
        let stored = r#"{"name":"Alice","street":"1 Main St","postal_code":"10115","city":"Berlin","country":"DE"}"#;
        let postal: PostalAddress = serde_json::from_str(stored).unwrap();
        assert_eq!(postal.city, "Berlin");
    }
}
