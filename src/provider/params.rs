//! Protocol parameters parsed strictly: `application/x-www-form-urlencoded`, UTF-8, each
//! parameter at most once (RFC 6749 §3.1, §3.2), every value bounded.

use axum::http::{HeaderMap, header};

/// Longest value we read; nothing legitimate comes close (state, nonce, codes, URIs).
pub const MAX_VALUE_LEN: usize = 2048;
/// Client assertions are JWTs; an RSA-4096 signature alone is 683 characters.
const MAX_ASSERTION_LEN: usize = 8192;
/// More parameters than any request of ours needs is an attack or a bug.
const MAX_PARAMS: usize = 64;

/// Why a request's parameters could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("parameters are not valid form encoding")]
    BadEncoding,
    #[error("parameters are not valid UTF-8")]
    BadUtf8,
    #[error("too many parameters")]
    TooMany,
    #[error("parameter {0} is repeated")]
    Duplicate(&'static str),
    #[error("parameter {0} is too long")]
    TooLong(&'static str),
}

impl ParamError {
    /// The fixed text for an `error_description`.
    pub fn description(&self) -> &'static str {
        match self {
            ParamError::BadEncoding => "parameters are not valid form encoding",
            ParamError::BadUtf8 => "parameters are not valid UTF-8",
            ParamError::TooMany => "too many parameters",
            ParamError::Duplicate(_) => "a parameter is repeated",
            ParamError::TooLong(_) => "a parameter value is too long",
        }
    }
}

/// Every name/value pair of a query string or form body, decoded, in order.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes `a=1&b=2`; malformed escapes and bad UTF-8 refuse the whole request, since
    /// a lossy decode could turn two different inputs into the same value.
    pub fn parse(raw: &[u8]) -> Result<Self, ParamError> {
        let mut pairs = Vec::new();
        for part in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            if pairs.len() == MAX_PARAMS {
                return Err(ParamError::TooMany);
            }
            let (name, value) = match part.iter().position(|&b| b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &b""[..]),
            };
            pairs.push((form_decode(name)?, form_decode(value)?));
        }
        Ok(Self(pairs))
    }

    /// A query string, absent meaning empty.
    pub fn from_query(query: Option<&str>) -> Result<Self, ParamError> {
        Self::parse(query.unwrap_or_default().as_bytes())
    }

    /// The parameter's value; empty counts as absent (RFC 6749 §3.1), repeated or
    /// oversized is an error.
    pub fn get(&self, name: &'static str) -> Result<Option<&str>, ParamError> {
        let mut found = None;
        for (key, value) in &self.0 {
            if key == name {
                if found.is_some() {
                    return Err(ParamError::Duplicate(name));
                }
                found = Some(value.as_str());
            }
        }
        let limit = if name == "client_assertion" {
            MAX_ASSERTION_LEN
        } else {
            MAX_VALUE_LEN
        };
        match found {
            Some(value) if value.len() > limit => Err(ParamError::TooLong(name)),
            Some("") | None => Ok(None),
            Some(value) => Ok(Some(value)),
        }
    }

    /// These parameters without any named in `names` (every occurrence).
    pub fn without(&self, names: &[&str]) -> Self {
        Self(
            self.0
                .iter()
                .filter(|(name, _)| !names.contains(&name.as_str()))
                .cloned()
                .collect(),
        )
    }

    /// These parameters with one more pair at the end.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Form-encoded, so that `parse` reads back exactly these pairs.
    pub fn encode(&self) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.0 {
            form.append_pair(name, value);
        }
        form.finish()
    }

    /// Checks `names` are each present at most once and within bounds.
    pub fn check_single(&self, names: &[&'static str]) -> Result<(), ParamError> {
        names.iter().try_for_each(|name| self.get(name).map(drop))
    }
}

/// True when the body is declared `application/x-www-form-urlencoded` (any charset
/// parameter aside), as RFC 6749 §4.1.3 and OIDC Core §3.1.2.1 require for POSTs.
pub fn is_form_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `+` is a space and `%XX` a byte (HTML form encoding); the bytes must be UTF-8.
pub fn form_decode(raw: &[u8]) -> Result<String, ParamError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                // Two hex digits exactly: `from_str_radix` alone also takes a sign, and would
                // read `%+A` as `%0A` where every other decoder keeps it as text.
                let hex = raw
                    .get(i + 1..i + 3)
                    .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                    .ok_or(ParamError::BadEncoding)?;
                let hex = std::str::from_utf8(hex).map_err(|_| ParamError::BadEncoding)?;
                let byte = u8::from_str_radix(hex, 16).map_err(|_| ParamError::BadEncoding)?;
                bytes.push(byte);
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    String::from_utf8(bytes).map_err(|_| ParamError::BadUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_encoding() {
        let params = Params::parse(b"a=x+y%21&b=%C3%A9&c").unwrap();
        assert_eq!(params.get("a").unwrap(), Some("x y!"));
        assert_eq!(params.get("b").unwrap(), Some("é"));
        assert_eq!(params.get("c").unwrap(), None, "empty means absent");
        assert_eq!(params.get("d").unwrap(), None);
    }

    #[test]
    fn refuses_bad_escapes_and_bad_utf8() {
        assert_eq!(
            Params::parse(b"a=%zz").unwrap_err(),
            ParamError::BadEncoding
        );
        assert_eq!(Params::parse(b"a=%4").unwrap_err(), ParamError::BadEncoding);
        assert_eq!(Params::parse(b"a=%FF").unwrap_err(), ParamError::BadUtf8);
        assert_eq!(Params::parse(b"a=\xff").unwrap_err(), ParamError::BadUtf8);
        assert_eq!(Params::parse(b"%FF=1").unwrap_err(), ParamError::BadUtf8);
    }

    #[test]
    fn an_escape_is_two_hex_digits_without_a_sign() {
        // Found by fuzz/fuzz_targets/authorize_request.rs: `%+A` was read as a line feed.
        for signed in [
            &b"redirect_uri=http%+A"[..],
            b"state=%+1",
            b"%+A=x",
            b"a=%-1",
        ] {
            assert_eq!(
                Params::parse(signed).unwrap_err(),
                ParamError::BadEncoding,
                "{}",
                String::from_utf8_lossy(signed)
            );
        }
        let params = Params::parse(b"a=%0a%0A").unwrap();
        assert_eq!(params.get("a").unwrap(), Some("\n\n"));
    }

    #[test]
    fn repeated_parameters_are_an_error_when_read() {
        let params = Params::parse(b"state=1&scope=openid&state=2").unwrap();
        assert_eq!(params.get("state"), Err(ParamError::Duplicate("state")));
        assert_eq!(params.get("scope").unwrap(), Some("openid"));
        assert!(params.check_single(&["scope", "state"]).is_err());
        // Even an empty repeat counts: the two readings would differ.
        let params = Params::parse(b"state=&state=2").unwrap();
        assert!(params.get("state").is_err());
    }

    #[test]
    fn oversized_values_and_too_many_parameters_are_refused() {
        let long = format!("state={}", "a".repeat(MAX_VALUE_LEN + 1));
        let params = Params::parse(long.as_bytes()).unwrap();
        assert_eq!(params.get("state"), Err(ParamError::TooLong("state")));
        let assertion = format!("client_assertion={}", "a".repeat(MAX_VALUE_LEN + 1));
        let params = Params::parse(assertion.as_bytes()).unwrap();
        assert!(params.get("client_assertion").unwrap().is_some());
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert_eq!(
            Params::parse(many.join("&").as_bytes()).unwrap_err(),
            ParamError::TooMany
        );
    }

    #[test]
    fn encoding_reads_back_the_same_pairs() {
        let params = Params::parse(b"a=x+y%21&b=%C3%A9%26%3D&c=1&a=2").unwrap();
        let kept = params.without(&["c"]).with("d", "+ &=");
        let again = Params::parse(kept.encode().as_bytes()).unwrap();
        assert_eq!(again.0, kept.0);
        assert_eq!(again.get("d").unwrap(), Some("+ &="));
        assert_eq!(again.get("c").unwrap(), None);
        assert!(again.get("a").is_err(), "a repeat stays a repeat");
    }

    #[test]
    fn form_content_type_allows_a_charset() {
        let mut headers = HeaderMap::new();
        assert!(!is_form_content_type(&headers));
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=UTF-8"
                .parse()
                .unwrap(),
        );
        assert!(is_form_content_type(&headers));
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(!is_form_content_type(&headers));
    }
}
