use std::fmt;

use super::DomainError;

/// A store's language and formatting conventions: one of the locales the pages are
/// translated into (`locales/{tag}/*.ftl`), so an unsupported one is refused at start-up
/// rather than showing half-translated pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    EnUs,
    DeDe,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::EnUs, Locale::DeDe];

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|locale| locale.tag().eq_ignore_ascii_case(value))
            .ok_or(DomainError::new("locale", "must be en-US or de-DE"))
    }

    /// The BCP 47 tag, as in `<html lang>` and the folder under `locales/`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::DeDe => "de-DE",
        }
    }

    /// The locale's region: a store's country unless its configuration says otherwise.
    pub fn country(self) -> Country {
        Country(match self {
            Locale::EnUs => *b"US",
            Locale::DeDe => *b"DE",
        })
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// An ISO 3166-1 alpha-2 country code that the standard assigns (`rust_iso3166`'s list),
/// not merely two letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

impl Country {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let code = value.trim().to_ascii_uppercase();
        match rust_iso3166::from_alpha2(&code) {
            Some(known) => {
                let bytes = known.alpha2.as_bytes();
                Ok(Self([bytes[0], bytes[1]]))
            }
            None => Err(DomainError::new(
                "country",
                "must be a country from the list (ISO 3166 code such as DE or US)",
            )),
        }
    }

    /// Every assigned country, in the standard's order.
    pub fn all() -> impl Iterator<Item = Country> {
        rust_iso3166::ALL
            .iter()
            .filter_map(|c| Country::parse(c.alpha2).ok())
    }

    pub fn as_str(&self) -> &str {
        // Only the ASCII letters of a listed code are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The standard's English short name.
    pub fn english_name(&self) -> &'static str {
        rust_iso3166::from_alpha2(self.as_str()).map_or("", |c| c.name)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_the_translated_ones_only() {
        assert_eq!(Locale::parse("de-DE"), Ok(Locale::DeDe));
        assert_eq!(Locale::parse("en-us"), Ok(Locale::EnUs));
        for bad in ["", "de", "fr-FR", "en_US"] {
            assert!(Locale::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Locale::DeDe.country().as_str(), "DE");
    }

    #[test]
    fn countries_are_assigned_iso_3166_codes() {
        assert_eq!(Country::parse(" de").unwrap().as_str(), "DE");
        for bad in ["", "D", "DEU", "XX", "ZZ", "EU", "Germany"] {
            assert!(Country::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Country::all().count() > 240);
        assert_eq!(
            Country::parse("US").unwrap().english_name(),
            "United States of America"
        );
    }
}
