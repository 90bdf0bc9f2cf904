//! How payment methods read on the pages. Amounts and dates are the page language's
//! (`i18n::Lang::money`, `Lang::date`).

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

    #[test]
    fn payment_methods_read_as_words() {
        assert_eq!(payment_method("offline"), "Invoice");
        assert_eq!(payment_method("bank_transfer"), "Bank transfer");
        assert_eq!(payment_method(""), "Unknown");
    }
}
