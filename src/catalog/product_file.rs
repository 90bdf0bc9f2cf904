//! Product files for `products import`: CSV with a header row, or a JSON array of objects,
//! told apart by the file's extension. Every row is checked before anything is written, so
//! one bad row refuses the whole file.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use crate::db::products::NewProduct;
use crate::domain::{Currency, DomainError, Money, bounded_text};

const FIELDS: [&str; 6] = ["sku", "name", "description", "price", "currency", "image"];

/// Reads and validates a whole product file.
pub fn read(path: &Path) -> anyhow::Result<Vec<NewProduct>> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let parse = match extension.as_deref() {
        Some("csv") => parse_csv,
        Some("json") => parse_json,
        _ => anyhow::bail!(
            "{}: the file name must end in .csv or .json",
            path.display()
        ),
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("{}: nothing was imported", path.display()))
}

/// One product's fields as the file spells them, before validation.
#[derive(Debug, Deserialize)]
struct Fields {
    sku: Option<String>,
    name: Option<String>,
    description: Option<String>,
    price: Option<String>,
    currency: Option<String>,
    image: Option<String>,
}

/// Where a row is in its file: "line 3" of a CSV file, "entry 2" of a JSON array.
type Row = String;

fn parse_csv(text: &str) -> anyhow::Result<Vec<NewProduct>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().context("reading the header row")?.clone();
    // A misspelt column would otherwise be dropped without a word.
    if let Some(unknown) = headers.iter().find(|h| !FIELDS.contains(h)) {
        anyhow::bail!(
            "line 1: unknown column `{unknown}`; the columns are {}",
            FIELDS.join(", ")
        );
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.context("reading a CSV record")?;
        let line = record.position().map_or(0, |p| p.line());
        let fields: Fields = record
            .deserialize(Some(&headers))
            .with_context(|| format!("line {line}"))?;
        rows.push((format!("line {line}"), Ok(fields)));
    }
    validate_all(rows)
}

fn parse_json(text: &str) -> anyhow::Result<Vec<NewProduct>> {
    // Raw values keep a price written as a JSON number exactly as typed, never as a float.
    let entries: Vec<BTreeMap<String, Box<RawValue>>> =
        serde_json::from_str(text).context("expected a JSON array of product objects")?;
    let rows = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| (format!("entry {}", i + 1), json_fields(&entry)))
        .collect();
    validate_all(rows)
}

fn json_fields(entry: &BTreeMap<String, Box<RawValue>>) -> Result<Fields, String> {
    if let Some(unknown) = entry.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "{unknown}: unknown field; the fields are {}",
            FIELDS.join(", ")
        ));
    }
    let text = |field: &'static str| -> Result<Option<String>, DomainError> {
        let Some(raw) = entry.get(field) else {
            return Ok(None);
        };
        let raw = raw.get();
        if field == "price" && raw.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return Ok(Some(raw.to_owned()));
        }
        serde_json::from_str::<Option<String>>(raw)
            .map_err(|_| DomainError::new(field, "must be a string"))
    };
    let fields = || -> Result<Fields, DomainError> {
        Ok(Fields {
            sku: text("sku")?,
            name: text("name")?,
            description: text("description")?,
            price: text("price")?,
            currency: text("currency")?,
            image: text("image")?,
        })
    };
    fields().map_err(|e| e.to_string())
}

/// Validates every row and refuses the file if any is bad or repeats an earlier SKU.
fn validate_all(rows: Vec<(Row, Result<Fields, String>)>) -> anyhow::Result<Vec<NewProduct>> {
    let mut products = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    let mut first_row_of_sku: HashMap<String, Row> = HashMap::new();
    for (row, fields) in rows {
        match fields.and_then(|f| validate(f).map_err(|e| e.to_string())) {
            Ok(product) => match first_row_of_sku.get(&product.sku) {
                Some(first) => problems.push(RowProblem {
                    row,
                    problem: format!("sku: {} is already on {first}", product.sku),
                }),
                None => {
                    first_row_of_sku.insert(product.sku.clone(), row);
                    products.push(product);
                }
            },
            Err(problem) => problems.push(RowProblem { row, problem }),
        }
    }
    if problems.is_empty() {
        Ok(products)
    } else {
        Err(Rejected(problems).into())
    }
}

fn validate(fields: Fields) -> Result<NewProduct, DomainError> {
    fn present(value: &Option<String>) -> &str {
        value.as_deref().map(str::trim).unwrap_or_default()
    }
    let sku = bounded_text("sku", present(&fields.sku), 64)?;
    if sku.chars().any(char::is_whitespace) {
        return Err(DomainError::new("sku", "contains spaces"));
    }
    let name = bounded_text("name", present(&fields.name), 200)?;
    let description = match present(&fields.description) {
        "" => String::new(),
        text => bounded_text("description", text, 2000)?,
    };
    let currency = match present(&fields.currency) {
        "" => return Err(DomainError::new("currency", "is required")),
        code => Currency::parse(code)?,
    };
    let price = match present(&fields.price) {
        "" => return Err(DomainError::new("price", "is required")),
        amount => Money::parse_major(amount, currency)?,
    };
    let image = match present(&fields.image) {
        "" => None,
        image => Some(image_source(image)?),
    };
    Ok(NewProduct {
        sku,
        name,
        description,
        price,
        image,
    })
}

/// An https URL, or a path under /static/ that stays there and needs no escaping.
fn image_source(value: &str) -> Result<String, DomainError> {
    const REFUSED: DomainError = DomainError::new(
        "image",
        "must be an https URL or a plain path under /static/",
    );
    if value.chars().count() > 2000 {
        return Err(DomainError::new("image", "is too long"));
    }
    if let Some(path) = value.strip_prefix("/static/") {
        let plain = path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
        return if plain {
            Ok(value.to_owned())
        } else {
            Err(REFUSED)
        };
    }
    let url = Url::parse(value).map_err(|_| REFUSED)?;
    let credentials = !url.username().is_empty() || url.password().is_some();
    if url.scheme() != "https" || url.host_str().is_none() || credentials {
        return Err(REFUSED);
    }
    Ok(url.into())
}

#[derive(Debug)]
struct RowProblem {
    row: Row,
    problem: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.row, self.problem)
    }
}

/// Every bad row of a file, one per line.
#[derive(Debug)]
struct Rejected(Vec<RowProblem>);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(f, "{count} bad row{}", if count == 1 { "" } else { "s" })?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejected {}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(result: anyhow::Result<Vec<NewProduct>>) -> String {
        format!("{:#}", result.expect_err("the file is refused"))
    }

    #[test]
    fn csv_rows_become_products_with_exact_prices() {
        let products = parse_csv(
            "sku,name,description,price,currency,image\n\
             MUG,Mug,\"A mug, enamel\",14.90,EUR,/static/img/mug.jpg\n\
             TEA,Tea,,1500,JPY,\n",
        )
        .unwrap();
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].description, "A mug, enamel");
        assert_eq!(products[0].price.minor, 1490);
        assert_eq!(products[0].image.as_deref(), Some("/static/img/mug.jpg"));
        assert_eq!(products[1].price.minor, 1500);
        assert_eq!(products[1].description, "");
        assert_eq!(products[1].image, None);
    }

    #[test]
    fn json_prices_are_read_as_written_whether_numbers_or_strings() {
        let products = parse_json(
            r#"[{"sku": "A", "name": "A", "price": 14.90, "currency": "EUR"},
                {"sku": "B", "name": "B", "price": "0.10", "currency": "EUR",
                 "image": "https://img.example/b.png"}]"#,
        )
        .unwrap();
        assert_eq!(products[0].price.minor, 1490);
        assert_eq!(products[1].price.minor, 10);
        assert_eq!(
            products[1].image.as_deref(),
            Some("https://img.example/b.png")
        );
    }

    #[test]
    fn every_bad_row_is_named_with_its_field() {
        let message = refused(parse_json(
            r#"[{"sku": "A", "name": "A", "price": 1.234, "currency": "EUR"},
                {"sku": "B", "price": "1", "currency": "EUR"},
                {"sku": "C", "name": "C", "price": "1", "currency": "EUR"},
                {"sku": "A", "name": "A again", "price": "1", "currency": "EUR"},
                {"sku": "D", "name": 5, "price": "1", "currency": "EUR"},
                {"sku": "E", "name": "E", "price": "1", "currency": "EUR", "colour": "red"}]"#,
        ));
        assert!(message.starts_with("4 bad rows"), "{message}");
        assert!(
            message.contains("entry 1: price: has more decimals"),
            "{message}"
        );
        assert!(message.contains("entry 2: name: is required"), "{message}");
        assert!(!message.contains("entry 3"), "{message}");
        assert!(
            message.contains("entry 5: name: must be a string"),
            "{message}"
        );
        assert!(
            message.contains("entry 6: colour: unknown field"),
            "{message}"
        );

        let message = refused(parse_csv(
            "sku,name,price,currency\nA,A,1,EUR\nB,B,-1,EUR\nA,A,2,EUR\nC,C,1,euro\n",
        ));
        assert!(
            message.contains("line 3: price: must be a decimal"),
            "{message}"
        );
        assert!(
            message.contains("line 4: sku: A is already on line 2"),
            "{message}"
        );
        assert!(message.contains("line 5: currency:"), "{message}");
        let message = refused(parse_csv("sku,name,prize,currency\nA,A,1,EUR\n"));
        assert!(message.contains("unknown column `prize`"), "{message}");
    }

    #[test]
    fn images_are_https_urls_or_plain_static_paths() {
        assert!(image_source("https://cdn.example/a/b.jpg?w=200").is_ok());
        assert!(image_source("/static/products/mug-1.webp").is_ok());
        for bad in [
            "http://cdn.example/a.jpg",
            "https://user:pw@cdn.example/a.jpg",
            "javascript:alert(1)",
            "/static/../keys/private.pem",
            "/static//a.jpg",
            "/static/a b.jpg",
            "/images/a.jpg",
            "data:image/png;base64,AAAA",
        ] {
            assert!(image_source(bad).is_err(), "{bad}");
        }
    }
}
