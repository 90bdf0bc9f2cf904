//! `GET /theme.css`: the store's colours as CSS custom properties, so pages need no inline
//! style (the CSP forbids it) and `static/style.css` stays one file for every store.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::StoreTenant;
use crate::config::StoreConfig;
use crate::domain::{AA_TEXT_CONTRAST, Colour};

pub async fn theme(store: StoreTenant) -> Response {
    stylesheet(&store)
}

/// The theme of one store as a response; the checkout can serve it for the store it is
/// checking out for.
pub fn stylesheet(store: &StoreConfig) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        theme_css(&store.accent_color),
    )
        .into_response()
}

/// CSS variables derived from one accent colour. `accent` is validated `#rrggbb` with at
/// least 4.5:1 against white at start-up (`config::readable_accent`), so white text on it
/// (`--on-accent` in the stylesheet) reads; anything but `#rrggbb` falls back to the
/// stylesheet's defaults (an empty rule).
pub fn theme_css(accent: &str) -> String {
    let Some(accent) = Colour::parse(accent) else {
        return ":root {}\n".to_owned();
    };
    // Accent-coloured text sits on white, the page's grey and the accent's own tints, the
    // strongest being the catalog's tiles (16 % accent): it must read on that one too.
    let strongest_tint = accent.mix_with_white(0.84);
    format!(
        ":root {{\n  --accent: {};\n  --accent-strong: {};\n  --accent-text: {};\n  \
         --accent-soft: {};\n}}\n",
        accent.hex(),
        accent.scale(0.82).hex(),
        accent
            .darkened_to_contrast(strongest_tint, AA_TEXT_CONTRAST)
            .hex(),
        accent.mix_with_white(0.9).hex(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(css: &str, name: &str) -> Colour {
        css.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("--{name}: ")))
            .and_then(|v| Colour::parse(v.trim_end_matches(';')))
            .unwrap_or_else(|| panic!("no --{name} in {css}"))
    }

    #[test]
    fn theme_carries_the_accent_and_derived_colours() {
        let css = theme_css("#1f5f8b");
        assert!(css.contains("--accent: #1f5f8b;"), "{css}");
        assert!(css.contains("--accent-text: #1f5f8b;"), "{css}");
    }

    #[test]
    fn accent_text_reads_on_every_tint_it_sits_on() {
        for accent in ["#1f5f8b", "#2e7d32", "#6a1b9a", "#767676"] {
            let css = theme_css(accent);
            let text = declared(&css, "accent-text");
            let accent = Colour::parse(accent).unwrap();
            for background in [
                Colour::WHITE,
                declared(&css, "accent-soft"),
                accent.mix_with_white(0.84),
            ] {
                assert!(
                    text.contrast(background) >= AA_TEXT_CONTRAST,
                    "{} on {}",
                    text.hex(),
                    background.hex()
                );
            }
        }
    }

    #[test]
    fn anything_but_a_hex_colour_yields_no_declarations() {
        for bad in ["red", "#12345", "#1234567", "#12345g", "1f5f8b;}body{x:y"] {
            assert_eq!(theme_css(bad), ":root {}\n", "{bad:?}");
        }
    }
}
