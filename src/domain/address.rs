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

impl Address {
    /// Parses every field and reports every error, so a form can show them all at once.
    pub fn parse(input: &AddressInput) -> Result<Self, Vec<DomainError>> {
        let name = bounded_text("name", &input.name, 200);
        let street = bounded_text("street", &input.street, 200);
        let postal_code = bounded_text("postal_code", &input.postal_code, 20);
        let city = bounded_text("city", &input.city, 100);
        let country = parse_country(&input.country);
        match (name, street, postal_code, city, country) {
            (Ok(name), Ok(street), Ok(postal_code), Ok(city), Ok(country)) => Ok(Self {
                name,
                street,
                postal_code,
                city,
                country,
            }),
            (name, street, postal_code, city, country) => Err([
                name.err(),
                street.err(),
                postal_code.err(),
                city.err(),
                country.err(),
            ]
            .into_iter()
            .flatten()
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
    let value = value.trim().to_ascii_uppercase();
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(value)
    } else {
        Err(DomainError::new(
            "country",
            "must be a two-letter country code",
        ))
    }
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
}
