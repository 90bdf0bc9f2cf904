//! How amounts, dates and payment methods read on the storefront's pages.

use crate::domain::Money;

/// "€14.90" for the currencies with a familiar symbol, "14.90 CHF" otherwise.
pub fn price(money: Money) -> String {
    let sign = if money.minor < 0 { "-" } else { "" };
    let (whole, fraction) = money.major_parts();
    let amount = if fraction.is_empty() {
        group_thousands(whole)
    } else {
        format!("{}.{fraction}", group_thousands(whole))
    };
    match money.currency.as_str() {
        "EUR" => format!("{sign}€{amount}"),
        "USD" => format!("{sign}${amount}"),
        "GBP" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Unix seconds as an ISO 8601 calendar date (UTC): unambiguous in every locale.
pub fn date(unix_seconds: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix_seconds) {
        Ok(t) => format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        Err(_) => "unknown".to_owned(),
    }
}

/// A stored payment method id as a shopper would name it.
pub fn payment_method(id: &str) -> String {
    match id {
        "offline" | "invoice" => "Invoice".to_owned(),
        "cash_on_delivery" | "cod" => "Cash on delivery".to_owned(),
        "testgateway" | "test_gateway" => "Card (test gateway)".to_owned(),
        other => {
            let spaced = other.replace(['_', '-'], " ");
            let mut chars = spaced.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => "Unknown".to_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    #[test]
    fn prices_use_symbols_and_group_thousands() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(price(Money::new(1490, eur)), "€14.90");
        assert_eq!(price(Money::new(5, eur)), "€0.05");
        assert_eq!(price(Money::new(123_456_789, eur)), "€1,234,567.89");
        assert_eq!(price(Money::new(-250, eur)), "-€2.50");
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(price(Money::new(100_000, chf)), "1,000.00 CHF");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(price(Money::new(150_000, jpy)), "150,000 JPY");
    }

    #[test]
    fn dates_are_iso_calendar_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_700_000_000), "2023-11-14");
    }

    #[test]
    fn payment_methods_read_as_words() {
        assert_eq!(payment_method("offline"), "Invoice");
        assert_eq!(payment_method("bank_transfer"), "Bank transfer");
        assert_eq!(payment_method(""), "Unknown");
    }
}
