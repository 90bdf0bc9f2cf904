//! A simulated browser (or any HTTP client): cookies kept per host, redirects followed by
//! hand, and the URL and header helpers that go with reading its answers.

use std::sync::Arc;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Response, StatusCode};
use shared_checkout::web::LocalhostResolver;

/// A browser with its own cookie jar; it never follows a redirect by itself.
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    /// The cookies this browser holds, by host.
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

/// How far `Browser::follow_from` follows a chain of redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// While they stay on the first URL's host: the answer may be a redirect elsewhere.
    OnHost,
    /// Across hosts, until a page answers.
    Everywhere,
}

impl Browser {
    pub fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(LocalhostResolver))
            .build()
            .expect("HTTP client");
        Self { client, jar }
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client.get(url).send().await.expect("GET")
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(url).form(form).send().await.expect("POST")
    }

    /// The page's HTML, after checking it answered 200.
    pub async fn page(&self, url: &str) -> String {
        let response = self.get(url).await;
        assert_eq!(response.status(), 200, "GET {url}");
        response.text().await.expect("page body")
    }

    /// Follows the redirects `response` (the answer to a request to `url`) starts, as far
    /// as `redirects` says; returns the last URL requested and its answer.
    pub async fn follow_from(
        &self,
        url: &str,
        mut response: Response,
        redirects: Redirects,
    ) -> (String, Response) {
        let host = host_of(url);
        let mut url = url.to_owned();
        for _ in 0..20 {
            if !response.status().is_redirection() {
                return (url, response);
            }
            let next = absolute(&url, &location(&response));
            if redirects == Redirects::OnHost && host_of(&next) != host {
                return (url, response);
            }
            response = self.get(&next).await;
            url = next;
        }
        panic!("too many redirects, last at {url}");
    }

    /// GETs `url` and follows redirects while they stay on its host; returns the final
    /// response (often a redirect to another host).
    pub async fn follow_on_host(&self, url: &str) -> Response {
        let response = self.get(url).await;
        self.follow_from(url, response, Redirects::OnHost).await.1
    }

    /// GETs `url` and follows every redirect, across hosts, until a page answers; returns
    /// the final URL and response.
    pub async fn follow(&self, url: &str) -> (String, Response) {
        let response = self.get(url).await;
        self.follow_from(url, response, Redirects::Everywhere).await
    }

    /// A cookie's value as this browser would send it to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = url::Url::parse(url).ok()?;
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }
}

pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(location))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_owned())
}

/// The `Location` of a redirect (panics with the status when there is none).
#[track_caller]
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location header on a {} response", response.status()))
        .to_str()
        .expect("ASCII Location")
        .to_owned()
}

#[track_caller]
pub fn assert_redirect(response: &Response) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "expected 303, got {}",
        response.status()
    );
}

/// Query parameters of a URL as pairs.
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    query_pairs(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
