//! Registered clients of a store's provider: who may ask for codes, where they may be
//! sent, and how they prove who they are at the token endpoint.

use anyhow::{Context, bail};
use url::Url;

use crate::db::{self, Db, clients::ClientRow};
use crate::domain::StoreId;
use crate::keys::SigningAlg;
use crate::secrets::{ClientSecret, SecretHash};

/// How a client authenticates at the token endpoint (OIDC Core §9).
#[derive(Clone)]
pub enum ClientAuth {
    SecretBasic(ClientSecret),
    SecretPost(ClientSecret),
    PrivateKeyJwt { jwks_uri: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "client_secret_basic" => Some(AuthMethod::ClientSecretBasic),
            "client_secret_post" => Some(AuthMethod::ClientSecretPost),
            "private_key_jwt" => Some(AuthMethod::PrivateKeyJwt),
            _ => None,
        }
    }
}

pub struct NewClient {
    pub client_id: String,
    pub redirect_uris: Vec<String>,
    pub auth: ClientAuth,
    pub id_token_alg: SigningAlg,
    /// Where logout tokens are POSTed (Back-Channel Logout §2.2).
    pub backchannel_logout_uri: Option<String>,
    /// Where the client may have the shopper sent after logging out (RP-Initiated Logout §3.1).
    pub post_logout_redirect_uris: Vec<String>,
    /// Refuse its authorization requests unless pushed first (RFC 9126 §6).
    pub require_pushed_authorization_requests: bool,
}

/// A registered client, as the provider's checks see it.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    /// Kept exactly as registered; matched byte for byte (RFC 9700 §2.1).
    pub redirect_uris: Vec<String>,
    pub auth_method: AuthMethod,
    pub secret_hash: Option<SecretHash>,
    pub jwks_uri: Option<String>,
    pub id_token_alg: SigningAlg,
    pub backchannel_logout_uri: Option<String>,
    /// Kept exactly as registered; matched byte for byte (RP-Initiated Logout §3).
    pub post_logout_redirect_uris: Vec<String>,
    /// Only pushed authorization requests (RFC 9126 §6): /authorize without `request_uri`
    /// is refused, so nobody can build a front-channel request in this client's name.
    pub require_pushed_authorization_requests: bool,
}

/// Shortest shared secret we accept: 32 characters of a random string is ≥128 bits.
const MIN_SECRET_LEN: usize = 32;

pub async fn register(db: &Db, store: &StoreId, client: &NewClient) -> anyhow::Result<()> {
    validate_client_id(&client.client_id)?;
    anyhow::ensure!(
        !client.redirect_uris.is_empty(),
        "a client needs a redirect URI"
    );
    for uri in client
        .redirect_uris
        .iter()
        .chain(&client.post_logout_redirect_uris)
    {
        validate_redirect_uri(uri)?;
    }
    if let Some(uri) = &client.backchannel_logout_uri {
        // Back-Channel Logout §2.2: absolute, no fragment.
        validate_redirect_uri(uri).context("backchannel_logout_uri")?;
    }
    let (method, secret_hash, jwks_uri) = match &client.auth {
        ClientAuth::SecretBasic(secret) | ClientAuth::SecretPost(secret) => {
            anyhow::ensure!(
                secret.expose().len() >= MIN_SECRET_LEN,
                "client secrets must be at least {MIN_SECRET_LEN} characters"
            );
            let method = match client.auth {
                ClientAuth::SecretPost(_) => AuthMethod::ClientSecretPost,
                _ => AuthMethod::ClientSecretBasic,
            };
            (method, Some(secret.hash()), None)
        }
        ClientAuth::PrivateKeyJwt { jwks_uri } => {
            validate_https_or_localhost(jwks_uri).context("jwks_uri")?;
            (AuthMethod::PrivateKeyJwt, None, Some(jwks_uri.clone()))
        }
    };
    let row = ClientRow {
        client_id: client.client_id.clone(),
        redirect_uris: serde_json::to_string(&client.redirect_uris)?,
        auth_method: method.as_str().to_owned(),
        secret_hash,
        jwks_uri,
        id_token_alg: client.id_token_alg.as_str().to_owned(),
        backchannel_logout_uri: client.backchannel_logout_uri.clone(),
        post_logout_redirect_uris: Some(serde_json::to_string(&client.post_logout_redirect_uris)?),
        require_pushed_authorization_requests: i64::from(
            client.require_pushed_authorization_requests,
        ),
    };
    db::clients::upsert(db, store, &row).await
}

pub async fn find(db: &Db, store: &StoreId, client_id: &str) -> anyhow::Result<Option<Client>> {
    let Some(row) = db::clients::find(db, store, client_id).await? else {
        return Ok(None);
    };
    from_row(row).map(Some)
}

/// The store's clients that take logout tokens.
pub async fn with_backchannel_logout(db: &Db, store: &StoreId) -> anyhow::Result<Vec<Client>> {
    db::clients::with_backchannel_logout(db, store)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

fn from_row(row: ClientRow) -> anyhow::Result<Client> {
    Ok(Client {
        redirect_uris: serde_json::from_str(&row.redirect_uris).context("redirect_uris column")?,
        post_logout_redirect_uris: match row.post_logout_redirect_uris.as_deref() {
            Some(json) => serde_json::from_str(json).context("post_logout_redirect_uris column")?,
            None => Vec::new(),
        },
        backchannel_logout_uri: row.backchannel_logout_uri,
        auth_method: AuthMethod::parse(&row.auth_method).context("auth_method column")?,
        id_token_alg: SigningAlg::parse(&row.id_token_alg).context("id_token_alg column")?,
        client_id: row.client_id,
        secret_hash: row.secret_hash,
        jwks_uri: row.jwks_uri,
        require_pushed_authorization_requests: row.require_pushed_authorization_requests != 0,
    })
}

fn validate_client_id(id: &str) -> anyhow::Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    anyhow::ensure!(ok, "client ids are 1-100 characters of A-Z a-z 0-9 - . _ ~");
    Ok(())
}

/// Absolute, no fragment (RFC 6749 §3.1.2), https unless the host is loopback (RFC 8252 §7.3).
fn validate_redirect_uri(uri: &str) -> anyhow::Result<()> {
    let url = validate_https_or_localhost(uri).with_context(|| format!("redirect URI {uri}"))?;
    if url.fragment().is_some() {
        bail!("redirect URI {uri} must not have a fragment");
    }
    Ok(())
}

fn validate_https_or_localhost(uri: &str) -> anyhow::Result<Url> {
    let url = Url::parse(uri).context("not an absolute URL")?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host == "127.0.0.1"
        || host == "[::1]";
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => bail!("must be https (http only for loopback hosts)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_https_or_loopback_without_fragment() {
        assert!(validate_redirect_uri("https://rp.example/cb").is_ok());
        assert!(validate_redirect_uri("http://checkout.localhost:8080/callback").is_ok());
        assert!(validate_redirect_uri("http://rp.example/cb").is_err());
        assert!(validate_redirect_uri("https://rp.example/cb#x").is_err());
        assert!(validate_redirect_uri("/relative").is_err());
    }
}
