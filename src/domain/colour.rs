//! sRGB colours `#rrggbb` and their WCAG 2.2 contrast, so a store's accent colour can be
//! checked at start-up and its theme derived from it without shipping unreadable text.

/// WCAG 2.2 AA (§1.4.3) for normal text: 4.5:1.
pub const AA_TEXT_CONTRAST: f64 = 4.5;

/// A colour with channels 0–255, kept as `f64` so derived shades round only once, in
/// `hex`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Colour([f64; 3]);

impl Colour {
    pub const WHITE: Colour = Colour([255.0, 255.0, 255.0]);

    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self([r as f64, g as f64, b as f64])
    }

    /// `#rrggbb` (either case); nothing else, so the value is safe in a stylesheet.
    pub fn parse(hex: &str) -> Option<Self> {
        let digits = hex.strip_prefix('#')?;
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).ok();
        Some(Self::rgb(channel(0)?, channel(2)?, channel(4)?))
    }

    pub fn hex(self) -> String {
        let [r, g, b] = self.0.map(|c| c.round().clamp(0.0, 255.0) as u8);
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// Relative luminance, WCAG 2.2 definition.
    pub fn luminance(self) -> f64 {
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

    /// The contrast ratio, 1 to 21, the same either way round.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// Every channel times `factor` (below 1 darkens, keeping the hue).
    pub fn scale(self, factor: f64) -> Colour {
        Colour(self.0.map(|c| c * factor))
    }

    /// A tint: `white_share` of white mixed in.
    pub fn mix_with_white(self, white_share: f64) -> Colour {
        Colour(self.0.map(|c| c + (255.0 - c) * white_share))
    }

    /// This colour, darkened step by step until it reaches `ratio` against `background`
    /// (a light one); unchanged when it already does. Each step is rounded to whole
    /// channels, as `hex` writes it, so the colour shipped is the colour checked. Black
    /// reaches 4.5:1 against any background lighter than mid grey, so the loop ends well
    /// before its bound.
    pub fn darkened_to_contrast(self, background: Colour, ratio: f64) -> Colour {
        let mut colour = self.rounded();
        for _ in 0..100 {
            if colour.contrast(background) >= ratio {
                break;
            }
            colour = colour.scale(0.95).rounded();
        }
        colour
    }

    fn rounded(self) -> Colour {
        Colour(self.0.map(|c| c.round().clamp(0.0, 255.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_the_wcag_extremes_and_a_known_pair() {
        let black = Colour::rgb(0, 0, 0);
        assert!((black.contrast(Colour::WHITE) - 21.0).abs() < 1e-9);
        assert!((Colour::WHITE.contrast(Colour::WHITE) - 1.0).abs() < 1e-9);
        // #767676 is the lightest grey that passes AA on white (4.54:1).
        let grey = Colour::parse("#767676").unwrap();
        assert!((grey.contrast(Colour::WHITE) - 4.54).abs() < 0.01);
    }

    #[test]
    fn parses_only_six_hex_digits() {
        assert_eq!(
            Colour::parse("#1F5f8b").map(Colour::hex).as_deref(),
            Some("#1f5f8b")
        );
        for bad in [
            "red",
            "#12345",
            "#1234567",
            "#12345g",
            "1f5f8b",
            "#1f5f8b;}",
        ] {
            assert_eq!(Colour::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_failing_colour_is_darkened_until_it_passes() {
        for hex in ["#ffd54f", "#4caf50", "#888888", "#ffffff"] {
            let colour = Colour::parse(hex).unwrap();
            assert!(colour.contrast(Colour::WHITE) < AA_TEXT_CONTRAST, "{hex}");
            let adjusted = colour.darkened_to_contrast(Colour::WHITE, AA_TEXT_CONTRAST);
            assert!(
                adjusted.contrast(Colour::WHITE) >= AA_TEXT_CONTRAST,
                "{hex} became {}",
                adjusted.hex()
            );
            // Darkened, not replaced: not far past the threshold.
            assert!(adjusted.contrast(Colour::WHITE) < 5.5, "{hex}");
        }
    }

    #[test]
    fn a_passing_colour_is_left_alone() {
        for hex in ["#1f5f8b", "#2e7d32", "#000000"] {
            let colour = Colour::parse(hex).unwrap();
            let adjusted = colour.darkened_to_contrast(Colour::WHITE, AA_TEXT_CONTRAST);
            assert_eq!(adjusted.hex(), hex);
        }
    }
}
