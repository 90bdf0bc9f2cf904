//! Every cookie of ours is built here: HttpOnly, `SameSite=Lax` (returns from the store
//! login and from payment pages are top-level GETs), host-only, `Path=/`. On an https
//! origin the name carries the `__Host-` prefix, so the browser refuses the cookie unless
//! it is `Secure`, host-only and `Path=/`: neither a sibling subdomain nor a plain-http
//! page can plant or overwrite it (RFC 6265bis §4.1.3.2).

use std::borrow::Cow;

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

/// A cookie's name as this origin sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieName {
    base: &'static str,
    secure: bool,
}

impl CookieName {
    /// `secure` is whether the origin setting the cookie is https.
    pub const fn new(base: &'static str, secure: bool) -> Self {
        Self { base, secure }
    }

    pub fn as_str(&self) -> Cow<'static, str> {
        if self.secure {
            Cow::Owned(format!("__Host-{}", self.base))
        } else {
            Cow::Borrowed(self.base)
        }
    }

    /// The value this browser sent, if any and not empty.
    pub fn value<'a>(&self, jar: &'a CookieJar) -> Option<&'a str> {
        jar.get(&self.as_str())
            .map(|c| c.value())
            .filter(|v| !v.is_empty())
    }

    /// A session cookie (no `Max-Age`) with our attributes.
    pub fn with_value(&self, value: String) -> Cookie<'static> {
        Cookie::build((self.as_str(), value))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .build()
    }

    /// The cookie that tells the browser to forget this one.
    pub fn removal(&self) -> Cookie<'static> {
        let mut cookie = self.with_value(String::new());
        cookie.make_removal();
        cookie
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_origins_get_host_prefixed_secure_cookies() {
        let cookie = CookieName::new("store_session", true).with_value("v".into());
        assert_eq!(cookie.name(), "__Host-store_session");
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.domain(), None);
        assert_eq!(cookie.http_only(), Some(true));
    }

    #[test]
    fn plain_http_origins_keep_the_bare_name() {
        let cookie = CookieName::new("store_session", false).with_value("v".into());
        assert_eq!(cookie.name(), "store_session");
        assert_eq!(cookie.secure(), Some(false));
    }

    #[test]
    fn a_cookie_with_the_other_name_is_not_read() {
        let jar = CookieJar::new().add(Cookie::new("store_session", "planted"));
        assert_eq!(CookieName::new("store_session", true).value(&jar), None);
        assert_eq!(
            CookieName::new("store_session", false).value(&jar),
            Some("planted")
        );
    }
}
