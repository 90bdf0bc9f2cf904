use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::{Address, CustomerId, DomainError, StoreId};

/// An email address, stored lowercased: accounts are looked up by it within one store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let value = value.trim().to_lowercase();
        let invalid = || DomainError::new("email", "is not a valid email address");
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty() || local.contains('@') || domain.len() < 3 || !domain.contains('.') {
            return Err(invalid());
        }
        if domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed: never logged, never stored (only its argon2id hash is).
pub struct Password(SecretString);

impl Password {
    /// NIST SP 800-63B: at least 8 characters, long passphrases allowed, no composition rules.
    pub fn parse(value: String) -> Result<Self, DomainError> {
        let chars = value.chars().count();
        if chars < 8 {
            return Err(DomainError::new(
                "password",
                "must be at least 8 characters",
            ));
        }
        if chars > 256 {
            return Err(DomainError::new(
                "password",
                "must be at most 256 characters",
            ));
        }
        Ok(Self(SecretString::from(value)))
    }

    /// The password for hashing or verification. **Never log or persist it.**
    pub fn secret(&self) -> &str {
        self.0.expose_secret()
    }
}

/// A customer account; belongs to exactly one store.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: CustomerId,
    pub store_id: StoreId,
    pub email: Email,
    pub name: String,
    pub phone: Option<String>,
    pub billing_address: Option<Address>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Alice@Example.COM ").unwrap().as_str(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "alice@localhost",
            "a@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(Password::parse("short".into()).is_err());
        assert!(Password::parse("correct horse battery staple".into()).is_ok());
    }
}
