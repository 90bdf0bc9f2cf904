//! The relying party's side of the handoff, the same for every provider: authorize with
//! PKCE, the code at the redirect URI, the token request with client_secret_basic, the ID
//! token verified against the provider's JWKS (fetched once, as a relying party caches it),
//! and userinfo.

use std::sync::Arc;

use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::header::LOCATION;
use sha2::Digest;
use shared_checkout::web::LocalhostResolver;

/// One provider and the confidential client registered there.
pub struct Provider {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub email: String,
    pub password: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks: JwkSet,
}

impl Provider {
    /// Reads the provider's discovery document and JWKS.
    pub async fn discover(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        (email, password): (&str, &str),
    ) -> anyhow::Result<Self> {
        let http = back_channel();
        let metadata: serde_json::Value = http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
            .context("discovery document")?;
        let endpoint = |name: &str| -> anyhow::Result<String> {
            metadata[name]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("{name} in the discovery document"))
        };
        let jwks = http
            .get(endpoint("jwks_uri")?)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
            .context("JWKS")?;
        Ok(Self {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            authorization_endpoint: endpoint("authorization_endpoint")?,
            token_endpoint: endpoint("token_endpoint")?,
            userinfo_endpoint: endpoint("userinfo_endpoint")?,
            jwks,
        })
    }
}

/// Whether the shopper logs in during a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// No session yet: the provider shows its login form once, which the shopper fills in.
    LogIn,
    /// Logged in at the provider already: no form is shown.
    Existing,
}

/// A shopper's browser (cookies kept, redirects by hand) and the relying party's back
/// channel, each with its own kept-alive connections.
pub struct Client {
    browser: reqwest::Client,
    back_channel: reqwest::Client,
}

impl Client {
    pub fn new() -> Self {
        Self {
            browser: browser(),
            back_channel: back_channel(),
        }
    }

    /// One complete handoff, the shopper's session as `session` says.
    pub async fn flow(&self, provider: &Provider, session: Session) -> anyhow::Result<()> {
        let verifier = random_token();
        let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
        let state = random_token();
        let nonce = random_token();
        let mut url = url::Url::parse(&provider.authorization_endpoint)?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &provider.client_id)
            .append_pair("redirect_uri", &provider.redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let callback = self.authorize(provider, url.as_str(), session).await?;
        let callback = url::Url::parse(&callback)?;
        let param = |name: &str| {
            callback
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        ensure!(
            param("state").as_deref() == Some(state.as_str()),
            "state not returned: {callback}"
        );
        let code = param("code").with_context(|| format!("no code in {callback}"))?;

        let response = self
            .back_channel
            .post(&provider.token_endpoint)
            .basic_auth(&provider.client_id, Some(&provider.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &provider.redirect_uri),
                ("code_verifier", &verifier),
            ])
            .send()
            .await?;
        let status = response.status();
        let tokens: serde_json::Value = response.json().await.context("token response")?;
        ensure!(status.is_success(), "token endpoint: {status} {tokens}");
        let id_token = tokens["id_token"].as_str().context("id_token")?;
        let access_token = tokens["access_token"].as_str().context("access_token")?;
        let subject = verify_id_token(provider, id_token, &nonce)?;

        let userinfo: serde_json::Value = self
            .back_channel
            .get(&provider.userinfo_endpoint)
            .bearer_auth(access_token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
            .context("userinfo")?;
        ensure!(
            userinfo["sub"].as_str() == Some(subject.as_str()),
            "userinfo is about {} and the ID token about {subject}",
            userinfo["sub"]
        );
        Ok(())
    }

    /// Follows the browser's redirects from the authorization request, submitting the
    /// login form when `session` expects one, until the provider sends it to the redirect
    /// URI.
    async fn authorize(
        &self,
        provider: &Provider,
        start: &str,
        session: Session,
    ) -> anyhow::Result<String> {
        let mut response = self.browser.get(start).send().await?;
        let mut url = start.to_owned();
        let mut logged_in = false;
        for _ in 0..10 {
            if response.status().is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .context("redirect without Location")?
                    .to_str()?;
                let next = url::Url::parse(&url)?.join(location)?.to_string();
                if next.starts_with(&provider.redirect_uri) {
                    // Otherwise a row would time another flow than it names.
                    ensure!(
                        logged_in == (session == Session::LogIn),
                        "{session:?}: the shopper logged in {} times",
                        u8::from(logged_in)
                    );
                    return Ok(next);
                }
                response = self.browser.get(&next).send().await?;
                url = next;
                continue;
            }
            let status = response.status();
            let html = response.text().await?;
            ensure!(status.is_success(), "{url}: {status}: {html}");
            ensure!(
                session == Session::LogIn && !logged_in,
                "{session:?}: a form at {url} after {} logins",
                u8::from(logged_in)
            );
            let form =
                LoginForm::parse(&html).with_context(|| format!("no login form at {url}"))?;
            let action = url::Url::parse(&url)?.join(&form.action)?.to_string();
            let mut fields = form.hidden;
            fields.push(("email".to_owned(), provider.email.clone()));
            fields.push(("password".to_owned(), provider.password.clone()));
            response = self.browser.post(&action).form(&fields).send().await?;
            url = action;
            logged_in = true;
        }
        bail!("no redirect to the client after ten hops from {start}")
    }
}

/// Verifies the ID token as a relying party must (signature by `kid`, ES256, `iss`, `aud`,
/// `exp`, `nonce`) and returns its subject.
fn verify_id_token(provider: &Provider, id_token: &str, nonce: &str) -> anyhow::Result<String> {
    let header = jsonwebtoken::decode_header(id_token)?;
    ensure!(
        header.alg == Algorithm::ES256,
        "ID token is {:?}",
        header.alg
    );
    let kid = header.kid.context("ID token names no kid")?;
    let jwk = provider
        .jwks
        .find(&kid)
        .context("ID token kid not in the JWKS")?;
    let key = DecodingKey::from_jwk(jwk)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[&provider.issuer]);
    validation.set_audience(&[&provider.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(id_token, &key, &validation)?.claims;
    ensure!(claims["nonce"] == nonce, "nonce not returned: {claims}");
    claims["sub"]
        .as_str()
        .map(str::to_owned)
        .context("sub in the ID token")
}

/// The first POST form of a page: where it goes and its hidden fields.
struct LoginForm {
    action: String,
    hidden: Vec<(String, String)>,
}

impl LoginForm {
    fn parse(html: &str) -> Option<Self> {
        let start = html.find("<form")?;
        let form = &html[start..start + html[start..].find("</form>")?];
        let action = attribute(&form[..form.find('>')?], "action")?;
        let hidden = form
            .split("<input")
            .skip(1)
            .filter_map(|input| {
                let tag = &input[..input.find('>')?];
                if attribute(tag, "type")? != "hidden" {
                    return None;
                }
                Some((attribute(tag, "name")?, attribute(tag, "value")?))
            })
            .collect();
        Some(Self { action, hidden })
    }
}

/// The unescaped value of `name="…"` in one tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    let end = at + tag[at..].find('"')?;
    Some(unescape(&tag[at..end]))
}

/// Undoes the HTML escaping of attribute values (named and numeric references).
pub fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// 256 random bits, base64url: verifiers, state and nonce.
fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A browser: cookies per host, redirects by hand, `*.localhost` on loopback.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(LocalhostResolver))
        .build()
        .expect("HTTP client")
}

/// A plain HTTP client, as a relying party's or storefront server's back channel.
pub fn back_channel() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(LocalhostResolver))
        .build()
        .expect("HTTP client")
}
