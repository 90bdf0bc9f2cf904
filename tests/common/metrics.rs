//! A node's `/metrics` as the test reads it: parsed whole as Prometheus text, so a line a
//! scraper could not read fails the test instead of going missing.

use std::collections::BTreeMap;

/// Every sample of one scrape.
pub struct Scrape {
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    /// Panics, with the text, unless all of it is Prometheus text.
    pub fn parse(text: &str) -> Self {
        // Blank lines separate families in the exporter's output; the parser wants none.
        let lines: String = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| format!("{line}\n"))
            .collect();
        let (_, families) = nom_openmetrics::parser::prometheus(&lines)
            .unwrap_or_else(|error| panic!("not Prometheus text: {error:?}\n{text}"));
        let samples = families
            .iter()
            .flat_map(|family| &family.samples)
            .map(|sample| {
                let labels = sample
                    .labels()
                    .iter()
                    .map(|label| (label.name.to_owned(), label.value.clone()))
                    .collect();
                (sample.name().to_owned(), labels, sample.number())
            })
            .collect();
        Self { samples }
    }

    /// The sum of `metric`'s samples whose labels include `labels`; `None` without any.
    pub fn value(&self, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut matching = self
            .samples
            .iter()
            .filter(|(name, has, _)| {
                name == metric
                    && labels
                        .iter()
                        .all(|(k, v)| has.get(*k).is_some_and(|value| value == v))
            })
            .map(|(_, _, value)| *value)
            .peekable();
        matching.peek()?;
        Some(matching.sum())
    }
}
