use std::fmt;

use super::DomainError;

/// ISO 4217 alphabetic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        match value.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(DomainError::new(
                "currency",
                "must be a three-letter ISO 4217 code",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII uppercase bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Decimal places of the minor unit (ISO 4217): 2 unless the standard says otherwise.
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            "CLF" | "UYW" => 4,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in minor units (cents) of one currency; never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Parses a non-negative amount in major units, e.g. `14.90`, exactly: digits, then at
    /// most as many decimals as the currency's minor unit has.
    pub fn parse_major(value: &str, currency: Currency) -> Result<Self, DomainError> {
        const FIELD: &str = "price";
        let not_decimal = DomainError::new(FIELD, "must be a decimal number like 14.90");
        let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(not_decimal);
        }
        if value.contains('.') && fraction.is_empty() {
            return Err(not_decimal);
        }
        let exponent = currency.exponent();
        if fraction.len() > exponent as usize {
            return Err(DomainError::new(
                FIELD,
                "has more decimals than the currency's minor unit",
            ));
        }
        let padded = format!("{whole}{fraction:0<width$}", width = exponent as usize);
        padded
            .parse::<i64>()
            .map(|minor| Self::new(minor, currency))
            .map_err(|_| DomainError::new(FIELD, "is too large"))
    }

    /// The amount without its sign, in major units: the whole part and the decimals of the
    /// currency's minor unit (empty for a currency without one).
    pub fn major_parts(self) -> (u64, String) {
        let abs = self.minor.unsigned_abs();
        let exponent = self.currency.exponent();
        let scale = 10u64.pow(exponent);
        let fraction = match exponent {
            0 => String::new(),
            width => format!("{:0width$}", abs % scale, width = width as usize),
        };
        (abs / scale, fraction)
    }

    /// Adds amounts of the same currency; `None` on a currency mix or overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_add(other.minor))
            .flatten()
            .map(|minor| Money::new(minor, self.currency))
    }

    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.minor
            .checked_mul(quantity)
            .map(|minor| Money::new(minor, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let (whole, fraction) = self.major_parts();
        let point = if fraction.is_empty() { "" } else { "." };
        write!(f, "{sign}{whole}{point}{fraction} {}", self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_minor_units_and_refuses_mixed_currencies() {
        let eur = Currency::parse("EUR").unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(Money::new(1234, eur).to_string(), "12.34 EUR");
        assert_eq!(Money::new(-5, eur).to_string(), "-0.05 EUR");
        assert!(Money::new(1, eur).checked_add(Money::new(1, usd)).is_none());
        assert!(
            Money::new(i64::MAX, eur)
                .checked_add(Money::new(1, eur))
                .is_none()
        );
        assert!(Currency::parse("eur").is_err());
    }

    #[test]
    fn major_amounts_parse_exactly_to_the_currencys_minor_unit() {
        let parse = |value: &str, currency: &str| {
            Money::parse_major(value, Currency::parse(currency).unwrap()).map(|m| m.minor)
        };
        assert_eq!(parse("14.90", "EUR"), Ok(1490));
        assert_eq!(parse("14.9", "EUR"), Ok(1490));
        assert_eq!(parse("14", "EUR"), Ok(1400));
        assert_eq!(parse("0.07", "EUR"), Ok(7));
        assert_eq!(parse("1500", "JPY"), Ok(1500));
        assert_eq!(parse("1.234", "KWD"), Ok(1234));
        let refused = |value: &str, currency: &str| parse(value, currency).unwrap_err().reason;
        assert_eq!(
            refused("1.234", "EUR"),
            "has more decimals than the currency's minor unit"
        );
        assert_eq!(
            refused("1500.0", "JPY"),
            "has more decimals than the currency's minor unit"
        );
        for bad in ["", "-1.00", "+1", "1.", ".5", "1,50", "1e3", " 1", "1.2.3"] {
            assert_eq!(
                refused(bad, "EUR"),
                "must be a decimal number like 14.90",
                "{bad:?}"
            );
        }
        assert_eq!(refused("92233720368547758.08", "EUR"), "is too large");
    }

    #[test]
    fn amounts_display_with_the_currencys_decimals() {
        let money = |minor, currency| Money::new(minor, Currency::parse(currency).unwrap());
        assert_eq!(money(1500, "JPY").to_string(), "1500 JPY");
        assert_eq!(money(1234, "KWD").to_string(), "1.234 KWD");
        assert_eq!(money(5, "EUR").major_parts(), (0, "05".to_owned()));
    }
}
