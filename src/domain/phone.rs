use std::fmt;

use super::DomainError;

/// A phone number as typed: digits with the usual separators (spaces and `+ - ( ) / .`),
/// 5 to 20 digits, at most 30 characters. Passed on as the OIDC `phone_number` claim and
/// with orders, so the store's account form and the checkout accept the same numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    const MAX_CHARS: usize = 30;
    const DIGITS: std::ops::RangeInclusive<usize> = 5..=20;

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(DomainError::new("phone", "is required"));
        }
        let allowed = value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '/' | '.'));
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if !allowed || !Self::DIGITS.contains(&digits) || value.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::new("phone", "is not a phone number"));
        }
        Ok(Self(value.to_owned()))
    }

    /// A form's optional field: blank is no number, anything else must be one.
    pub fn parse_optional(value: &str) -> Result<Option<Self>, DomainError> {
        if value.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(value).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(phone: PhoneNumber) -> String {
        phone.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_the_usual_separators_are_kept_as_typed_but_trimmed() {
        for good in [
            "+49 30 1234567",
            "030/1234567",
            "(030) 123-45.67",
            "12345",
            "+1 (555) 010-9999",
            &"1".repeat(20),
        ] {
            assert_eq!(
                PhoneNumber::parse(&format!(" {good} ")).unwrap().as_str(),
                good
            );
        }
    }

    #[test]
    fn letters_too_few_or_too_many_digits_and_overlong_text_are_refused() {
        for bad in [
            "",
            "   ",
            "call me",
            "+49 30 12345x",
            "1234",
            "+49-",
            &"1".repeat(21),
            &format!("1{}2345", " ".repeat(30)),
            "+49\t30 1234567",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn blank_is_no_number_when_optional() {
        assert_eq!(PhoneNumber::parse_optional("  "), Ok(None));
        assert!(PhoneNumber::parse_optional("call me").is_err());
        assert_eq!(
            PhoneNumber::parse_optional("+49 30 1234567").unwrap(),
            Some(PhoneNumber::parse("+49 30 1234567").unwrap())
        );
    }

    #[test]
    fn a_number_round_trips_through_json_and_only_a_number_deserializes() {
        let phone = PhoneNumber::parse("+49 30 1234567").unwrap();
        let json = serde_json::to_string(&phone).unwrap();
        assert_eq!(json, "\"+49 30 1234567\"");
        assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), phone);
        assert!(serde_json::from_str::<PhoneNumber>("\"call me\"").is_err());
    }
}
