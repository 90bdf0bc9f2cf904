//! `GET /theme.css`: the store's colours as CSS custom properties, so pages need no inline
//! style (the CSP forbids it) and `static/style.css` stays one file for every store.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::StoreTenant;
use crate::config::StoreConfig;

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

/// CSS variables derived from one accent colour. `accent` is validated `#rrggbb` at
/// start-up; anything else falls back to the stylesheet's defaults (an empty rule).
pub fn theme_css(accent: &str) -> String {
    let Some(rgb) = Rgb::parse(accent) else {
        return ":root {}\n".to_owned();
    };
    let on_accent = if rgb.contrast(Rgb::WHITE) >= rgb.contrast(Rgb::INK) {
        Rgb::WHITE
    } else {
        Rgb::INK
    };
    format!(
        ":root {{\n  --accent: {};\n  --accent-strong: {};\n  --accent-text: {};\n  \
         --accent-soft: {};\n  --on-accent: {};\n}}\n",
        rgb.hex(),
        rgb.scale(0.82).hex(),
        rgb.readable_on_white().hex(),
        rgb.mix_with_white(0.9).hex(),
        on_accent.hex(),
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Rgb([f64; 3]);

impl Rgb {
    const WHITE: Rgb = Rgb([255.0, 255.0, 255.0]);
    /// The stylesheet's text colour (`--text`).
    const INK: Rgb = Rgb([27.0, 31.0, 36.0]);

    fn parse(hex: &str) -> Option<Self> {
        let digits = hex.strip_prefix('#')?;
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .ok()
                .map(f64::from)
        };
        Some(Self([channel(0)?, channel(2)?, channel(4)?]))
    }

    fn hex(self) -> String {
        let [r, g, b] = self.0.map(|c| c.round().clamp(0.0, 255.0) as u8);
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// Relative luminance, WCAG 2.2 §1.4.3 definition.
    fn luminance(self) -> f64 {
        let linear = |c: f64| {
            let c = c / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0.map(linear);
        0.2126 * r + 0.7152 * g + 0.0722 * b
    }

    fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    fn scale(self, factor: f64) -> Rgb {
        Rgb(self.0.map(|c| c * factor))
    }

    fn mix_with_white(self, white_share: f64) -> Rgb {
        Rgb(self.0.map(|c| c + (255.0 - c) * white_share))
    }

    /// The accent, darkened until it reaches 4.5:1 on white (WCAG AA for body text), so
    /// links stay readable whatever colour a store picks.
    fn readable_on_white(self) -> Rgb {
        let mut colour = self;
        for _ in 0..40 {
            if colour.contrast(Rgb::WHITE) >= 4.5 {
                break;
            }
            colour = colour.scale(0.92);
        }
        colour
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_carries_the_accent_and_derived_colours() {
        let css = theme_css("#1f5f8b");
        assert!(css.contains("--accent: #1f5f8b;"), "{css}");
        assert!(css.contains("--on-accent: #ffffff;"), "{css}");
        assert!(css.contains("--accent-text: #1f5f8b;"), "{css}");
    }

    #[test]
    fn light_accents_get_dark_text_and_a_darker_link_colour() {
        let css = theme_css("#ffd54f");
        assert!(css.contains("--on-accent: #1b1f24;"), "{css}");
        let link = css
            .lines()
            .find_map(|l| l.trim().strip_prefix("--accent-text: "))
            .and_then(|v| Rgb::parse(v.trim_end_matches(';')))
            .expect("an --accent-text line");
        assert!(link.contrast(Rgb::WHITE) >= 4.5);
    }

    #[test]
    fn anything_but_a_hex_colour_yields_no_declarations() {
        for bad in ["red", "#12345", "#1234567", "#12345g", "1f5f8b;}body{x:y"] {
            assert_eq!(theme_css(bad), ":root {}\n", "{bad:?}");
        }
    }

    #[test]
    fn contrast_matches_the_wcag_extremes() {
        let black = Rgb([0.0, 0.0, 0.0]);
        assert!((black.contrast(Rgb::WHITE) - 21.0).abs() < 1e-9);
        assert!((Rgb::WHITE.contrast(Rgb::WHITE) - 1.0).abs() < 1e-9);
    }
}
