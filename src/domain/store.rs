use std::fmt;

use super::DomainError;

/// A store's public slug (`site1`): lowercase ASCII letters, digits and dashes.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct StoreId(String);

impl StoreId {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let valid_chars = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if value.is_empty() || value.len() > 32 || !valid_chars || value.starts_with('-') {
            return Err(DomainError::new(
                "store_id",
                "must be 1-32 lowercase letters, digits or dashes",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for StoreId {
    type Err = DomainError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl TryFrom<String> for StoreId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<StoreId> for String {
    fn from(id: StoreId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_ids_are_slugs() {
        assert!(StoreId::parse("site1").is_ok());
        assert!(StoreId::parse("my-store-2").is_ok());
        for bad in ["", "Site1", "site 1", "-x", "a/b", &"x".repeat(33)] {
            assert!(StoreId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
