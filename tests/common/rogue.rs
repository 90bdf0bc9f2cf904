//! The checkout as a relying party: a rogue OpenID provider that can be told to misbehave
//! one way at a time, stores configured to use it, and the checkout's login driven the way
//! a browser drives it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::KeyAlgorithm;
use reqwest::Response as HttpResponse;
use serde_json::json;
use sha2::{Digest, Sha256};
use shared_checkout::config::{Settings, StoreLoginSettings, StoreSettings};
use shared_checkout::domain::{BasketId, StoreId};
use shared_checkout::keys::{SigningAlg, SigningKeys};
use tokio::sync::oneshot;

use super::app::{TestApp, spawn_app_with};
use super::browser::{Browser, assert_redirect, location};
use super::database::Backend;
use super::html::csrf_token;

/// The checkout's client secret at the test providers (rogue and oidc-provider).
pub const TEST_CLIENT_SECRET: &str = "test-client-secret-0123456789abcdef";
pub const ROGUE_SUBJECT: &str = "rogue-user-1";

/// One way for the rogue provider to misbehave (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    None,
    /// The authorization response names another issuer (RFC 9207 mix-up).
    WrongIssParam,
    /// The authorization response has no `iss`.
    NoIssParam,
    /// The authorization response is an error (`access_denied`).
    ErrorResponse,
    IdTokenWrongIss,
    WrongAud,
    /// A second audience and no `azp`.
    ExtraAudNoAzp,
    /// `azp` names another client.
    WrongAzp,
    MissingSub,
    MissingIat,
    IatInTheFuture,
    BadSignature,
    AlgNone,
    /// Signed with the right key material but labelled ES256 instead of the expected RS256.
    WrongAlg,
    WrongNonce,
    MissingNonce,
    WrongBasket,
    MissingBasket,
    Expired,
    UserinfoOtherSub,
    /// Signed with a key that is not, and never will be, in the JWKS.
    UnknownKid,
    /// Signed with a new key that the JWKS publishes from now on (key rotation).
    RotatedKey,
    /// No `aud` in the ID token.
    MissingAud,
    /// No `kid` in the header; the JWKS holds one key only, the one that signed.
    KidAbsentSingleKey,
    /// No `kid` in the header; the JWKS holds two RS256 keys, one of which signed.
    KidAbsentMultipleKeys,
    /// HS256, keyed with the client secret: a MAC anyone holding the secret can make.
    Hs256,
    /// ES256 by a published key, with the signature of another token.
    BadSignatureEs256,
    /// Discovery names another issuer than the one it was fetched for.
    DiscoveryIssuerMismatch,
    /// The token endpoint refuses the code.
    TokenError,
    /// `at_hash` is not of the access token sent with the ID token.
    WrongAtHash,
    /// `c_hash` is not of the code redeemed.
    WrongCHash,
    /// Not a misbehaviour: userinfo carries an address but no `name` (a provider need not
    /// know it).
    NoName,
    /// Not a misbehaviour: discovery lists `scopes_supported`, without `phone`.
    NoPhoneScope,
}

#[derive(Clone)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    basket_id: Option<String>,
    challenge: String,
}

struct RogueState {
    issuer: String,
    behaviour: Mutex<Misbehaviour>,
    /// Published in the JWKS.
    keys: SigningKeys,
    /// Published only once `RotatedKey` has been used.
    rotated: SigningKeys,
    rotated_published: Mutex<bool>,
    /// Never published.
    stranger: SigningKeys,
    /// The published RS256 key of `keys` again, to sign without naming its `kid`.
    unnamed: RsaKeyPair,
    /// How often the checkout fetched the JWKS.
    jwks_fetches: AtomicUsize,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, String>>,
    /// The query of the last authorization request, for assertions.
    last_authorize: Mutex<HashMap<String, String>>,
    basket_binding: bool,
}

/// A small OpenID provider on 127.0.0.1 that does what the test tells it to.
pub struct Rogue {
    pub issuer: String,
    state: Arc<RogueState>,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Rogue {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Rogue {
    /// How often the JWKS was fetched so far.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// A back-channel logout token from this issuer, signed with a key it never publishes.
    pub fn logout_token_with_an_unknown_key(&self) -> String {
        let now = shared_checkout::db::now();
        let claims = json!({
            "iss": self.issuer,
            "aud": "shared-checkout",
            "iat": now,
            "exp": now + 120,
            "jti": uuid::Uuid::new_v4().to_string(),
            "sub": ROGUE_SUBJECT,
            "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
        });
        self.state
            .stranger
            .sign(SigningAlg::Rs256, "logout+jwt", &claims)
            .unwrap()
    }

    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let load =
            |name: &str| SigningKeys::load_or_generate(&dir.path().join(name)).expect("rogue keys");
        let (keys, rotated, stranger) = (load("keys"), load("rotated"), load("stranger"));
        let unnamed = rsa_key_pair(&dir.path().join("keys"), &keys);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the rogue provider");
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(RogueState {
            issuer: issuer.clone(),
            behaviour: Mutex::new(Misbehaviour::None),
            keys,
            rotated,
            rotated_published: Mutex::new(false),
            stranger,
            unnamed,
            jwks_fetches: AtomicUsize::new(0),
            codes: Mutex::default(),
            tokens: Mutex::default(),
            last_authorize: Mutex::default(),
            basket_binding: true,
        });
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .expect("rogue provider serves");
        });
        Self {
            issuer,
            state,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    pub fn misbehave(&self, how: Misbehaviour) {
        *self.state.behaviour.lock().unwrap() = how;
    }

    /// The query parameters of the last authorization request the rogue received.
    pub fn last_authorize(&self) -> HashMap<String, String> {
        self.state.last_authorize.lock().unwrap().clone()
    }
}

/// A store `id` on `{id}.localhost` whose login goes to `issuer` with a client secret
/// (`client_secret_basic`).
pub fn add_store(settings: &mut Settings, id: &str, issuer: &str, client_id: Option<&str>) {
    settings.stores.push(StoreSettings {
        id: StoreId::parse(id).unwrap(),
        name: format!("Store {id}"),
        host: format!("{id}.localhost"),
        base_url: None,
        accent_color: "#6a1b9a".to_owned(),
        currency: "EUR".to_owned(),
        locale: "en-US".to_owned(),
        country: None,
        login: StoreLoginSettings {
            issuer: Some(url::Url::parse(issuer).unwrap()),
            client_id: client_id.map(str::to_owned),
            client_secret: Some(TEST_CLIENT_SECRET.into()),
            ..Default::default()
        },
        checkout: Default::default(),
        webhook: None,
    });
}

/// The app with `site3` logging in through the rogue provider.
pub async fn spawn_app_with_rogue(backend: Backend) -> (TestApp, Rogue) {
    let rogue = Rogue::start().await;
    let issuer = rogue.issuer.clone();
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site3", &issuer, None)
    })
    .await;
    (app, rogue)
}

/// Presses "Log in with {store}" at the checkout (after the store handed the basket to
/// this browser); returns the checkout's answer (a 303 to the store's authorization
/// endpoint when all is well).
pub async fn press_login(
    app: &TestApp,
    browser: &Browser,
    store: &str,
    basket: BasketId,
) -> HttpResponse {
    browser.hand_over(app, store, basket).await;
    let page = browser
        .get(&app.checkout_url(&format!("/{store}/{basket}/login")))
        .await;
    assert_eq!(page.status(), 200, "the login page renders");
    let token = csrf_token(&page.text().await.unwrap());
    browser
        .post_form(
            &app.checkout_url(&format!("/{store}/{basket}/login")),
            &[("authenticity_token", &token)],
        )
        .await
}

/// Starts a login and lets the rogue provider answer: returns the callback URL it sent the
/// browser to (not yet visited).
pub async fn callback_url_from_rogue(
    app: &TestApp,
    browser: &Browser,
    store: &str,
    basket: BasketId,
) -> String {
    let started = press_login(app, browser, store, basket).await;
    assert_redirect(&started);
    let authorize = location(&started);
    let answered = browser.get(&authorize).await;
    assert_redirect(&answered);
    location(&answered)
}

/// The whole login through the rogue provider; returns the callback's response.
pub async fn log_in_via_rogue(
    app: &TestApp,
    browser: &Browser,
    store: &str,
    basket: BasketId,
) -> HttpResponse {
    let callback = callback_url_from_rogue(app, browser, store, basket).await;
    browser.get(&callback).await
}

/// Checkout sessions that hold an identity (issuer, subject), for "no identity attached".
pub async fn identified_sessions(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT basket_id, issuer, subject FROM checkout_sessions WHERE subject IS NOT NULL",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .expect("query checkout_sessions")
}

/// The `checkout_session` cookie a response sets, as a cookie jar for `session::load`.
pub fn session_jar(response: &HttpResponse) -> Option<axum_extra::extract::cookie::CookieJar> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| axum_extra::extract::cookie::Cookie::parse(v.to_owned()).ok())
        .find(|c| c.name() == "checkout_session")
        .map(|c| axum_extra::extract::cookie::CookieJar::new().add(c))
}

/// Asserts a readable refusal: 400 or 403, a page in words, a way back, no session cookie.
pub async fn assert_refused(response: HttpResponse, back_to: Option<&str>, case: &str) -> String {
    let status = response.status();
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::FORBIDDEN,
        "{case}: expected a 400/403 refusal, got {status}"
    );
    assert!(
        session_jar(&response).is_none(),
        "{case}: a refusal must not set a checkout session"
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<h1>"),
        "{case}: a page, not a bare error: {body}"
    );
    assert!(
        body.contains("not accepted"),
        "{case}: the page says the login was not accepted: {body}"
    );
    if let Some(back) = back_to {
        assert!(
            body.contains(&format!("href=\"{back}\"")),
            "{case}: the page links back to the checkout {back}: {body}"
        );
    }
    body
}

// ---- the rogue provider's endpoints -------------------------------------------------

async fn discovery(State(rogue): State<Arc<RogueState>>) -> Response {
    let issuer = &rogue.issuer;
    let mut document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks.json"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "basket_binding_supported": rogue.basket_binding,
    });
    if *rogue.behaviour.lock().unwrap() == Misbehaviour::NoIssParam {
        // A provider that never sends `iss` does not claim to.
        document["authorization_response_iss_parameter_supported"] = json!(false);
    }
    if *rogue.behaviour.lock().unwrap() == Misbehaviour::NoPhoneScope {
        document["scopes_supported"] = json!(["openid", "email", "profile", "address"]);
    }
    if *rogue.behaviour.lock().unwrap() == Misbehaviour::DiscoveryIssuerMismatch {
        document["issuer"] = json!("http://evil.localhost");
    }
    axum::Json(document).into_response()
}

async fn jwks(State(rogue): State<Arc<RogueState>>) -> Response {
    rogue.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let behaviour = *rogue.behaviour.lock().unwrap();
    let mut keys = rogue.keys.jwks().keys;
    if behaviour == Misbehaviour::KidAbsentSingleKey {
        keys.retain(|key| key.common.key_algorithm == Some(KeyAlgorithm::RS256));
    }
    if *rogue.rotated_published.lock().unwrap() || behaviour == Misbehaviour::KidAbsentMultipleKeys
    {
        keys.extend(rogue.rotated.jwks().keys);
    }
    axum::Json(json!({ "keys": keys })).into_response()
}

async fn authorize(
    State(rogue): State<Arc<RogueState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    *rogue.last_authorize.lock().unwrap() = query.clone();
    let get = |name: &str| query.get(name).cloned();
    let (Some(redirect_uri), Some(client_id), Some(challenge)) =
        (get("redirect_uri"), get("client_id"), get("code_challenge"))
    else {
        return (StatusCode::BAD_REQUEST, "missing parameters").into_response();
    };
    if get("response_type").as_deref() != Some("code")
        || get("code_challenge_method").as_deref() != Some("S256")
    {
        return (StatusCode::BAD_REQUEST, "bad request").into_response();
    }
    let behaviour = *rogue.behaviour.lock().unwrap();
    let code = URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes());
    rogue.codes.lock().unwrap().insert(
        code.clone(),
        Grant {
            client_id,
            redirect_uri: redirect_uri.clone(),
            nonce: get("nonce"),
            basket_id: get("basket_id"),
            challenge,
        },
    );
    let mut back = url::Url::parse(&redirect_uri).expect("redirect_uri is a URL");
    {
        let mut pairs = back.query_pairs_mut();
        if behaviour == Misbehaviour::ErrorResponse {
            pairs.append_pair("error", "access_denied");
            pairs.append_pair("error_description", "The shopper said no <b>thanks</b>");
        } else {
            pairs.append_pair("code", &code);
        }
        if let Some(state) = get("state") {
            pairs.append_pair("state", &state);
        }
        match behaviour {
            Misbehaviour::WrongIssParam => {
                pairs.append_pair("iss", "http://evil.localhost");
            }
            Misbehaviour::NoIssParam => {}
            _ => {
                pairs.append_pair("iss", &rogue.issuer);
            }
        }
    }
    Redirect::to(back.as_str()).into_response()
}

fn client_from_basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

async fn token(
    State(rogue): State<Arc<RogueState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some((client_id, secret)) = client_from_basic(&headers) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    if secret != TEST_CLIENT_SECRET {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let behaviour = *rogue.behaviour.lock().unwrap();
    if behaviour == Misbehaviour::TokenError {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let Some(grant) = rogue.codes.lock().unwrap().remove(&field("code")) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if field("grant_type") != "authorization_code"
        || grant.client_id != client_id
        || grant.redirect_uri != field("redirect_uri")
        || grant.challenge != challenge
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let access_token = URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes());
    let subject = if behaviour == Misbehaviour::UserinfoOtherSub {
        "someone-else".to_owned()
    } else {
        ROGUE_SUBJECT.to_owned()
    };
    rogue
        .tokens
        .lock()
        .unwrap()
        .insert(access_token.clone(), subject);
    let id_token = id_token(&rogue, behaviour, &grant, &access_token, &field("code"));
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

fn id_token(
    rogue: &RogueState,
    behaviour: Misbehaviour,
    grant: &Grant,
    access_token: &str,
    code: &str,
) -> String {
    use Misbehaviour as M;
    let now = shared_checkout::db::now();
    // OIDC Core §3.1.3.6, §3.3.2.11: the left half of the SHA-256 digest (RS256 and ES256).
    let half_hash = |value: &str| URL_SAFE_NO_PAD.encode(&Sha256::digest(value.as_bytes())[..16]);
    let mut claims = json!({
        "iss": rogue.issuer,
        "sub": ROGUE_SUBJECT,
        "aud": grant.client_id,
        "exp": now + 300,
        "iat": now,
        "auth_time": now,
        "nonce": grant.nonce,
        "basket_id": grant.basket_id,
        "email": "rogue.shopper@example.com",
        "at_hash": half_hash(access_token),
        "c_hash": half_hash(code),
    });
    let object = claims.as_object_mut().unwrap();
    match behaviour {
        M::IdTokenWrongIss => {
            object.insert("iss".into(), json!("http://evil.localhost"));
        }
        M::WrongAud => {
            object.insert("aud".into(), json!("another-client"));
        }
        M::ExtraAudNoAzp => {
            object.insert("aud".into(), json!([grant.client_id, "another-client"]));
        }
        M::WrongAzp => {
            object.insert("azp".into(), json!("another-client"));
        }
        M::MissingSub => {
            object.remove("sub");
        }
        M::MissingAud => {
            object.remove("aud");
        }
        M::MissingIat => {
            object.remove("iat");
        }
        M::IatInTheFuture => {
            object.insert("iat".into(), json!(now + 3600));
            object.insert("exp".into(), json!(now + 7200));
        }
        M::WrongNonce => {
            object.insert("nonce".into(), json!("not-the-nonce"));
        }
        M::MissingNonce => {
            object.remove("nonce");
        }
        M::WrongBasket => {
            object.insert("basket_id".into(), json!(uuid::Uuid::new_v4().to_string()));
        }
        M::MissingBasket => {
            object.remove("basket_id");
        }
        M::Expired => {
            object.insert("iat".into(), json!(now - 600));
            object.insert("exp".into(), json!(now - 300));
        }
        M::WrongAtHash => {
            object.insert("at_hash".into(), json!(half_hash("another access token")));
        }
        M::WrongCHash => {
            object.insert("c_hash".into(), json!(half_hash("another code")));
        }
        _ => {}
    }
    match behaviour {
        M::AlgNone => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
            format!("{header}.{payload}.")
        }
        M::BadSignature => {
            let good = rogue.keys.sign(SigningAlg::Rs256, "JWT", &claims).unwrap();
            let other = rogue
                .keys
                .sign(SigningAlg::Rs256, "JWT", &json!({ "sub": "x" }))
                .unwrap();
            let (signed, _) = good.rsplit_once('.').unwrap();
            let (_, signature) = other.rsplit_once('.').unwrap();
            format!("{signed}.{signature}")
        }
        M::BadSignatureEs256 => {
            let good = rogue.keys.sign(SigningAlg::Es256, "JWT", &claims).unwrap();
            let other = rogue
                .keys
                .sign(SigningAlg::Es256, "JWT", &json!({ "sub": "x" }))
                .unwrap();
            let (signed, _) = good.rsplit_once('.').unwrap();
            let (_, signature) = other.rsplit_once('.').unwrap();
            format!("{signed}.{signature}")
        }
        M::KidAbsentSingleKey | M::KidAbsentMultipleKeys => {
            sign_without_kid(&rogue.unnamed, &claims)
        }
        M::Hs256 => jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(TEST_CLIENT_SECRET.as_bytes()),
        )
        .unwrap(),
        M::WrongAlg => {
            // A real ES256 signature by a published key: only the alg is not the registered one.
            rogue.keys.sign(SigningAlg::Es256, "JWT", &claims).unwrap()
        }
        M::UnknownKid => rogue
            .stranger
            .sign(SigningAlg::Rs256, "JWT", &claims)
            .unwrap(),
        M::RotatedKey => {
            *rogue.rotated_published.lock().unwrap() = true;
            rogue
                .rotated
                .sign(SigningAlg::Rs256, "JWT", &claims)
                .unwrap()
        }
        _ => rogue.keys.sign(SigningAlg::Rs256, "JWT", &claims).unwrap(),
    }
}

/// The RS256 key pair of `keys`, read again from its PKCS#8 file in `dir`.
fn rsa_key_pair(dir: &Path, keys: &SigningKeys) -> RsaKeyPair {
    let kid = &keys.active(SigningAlg::Rs256).expect("an RS256 key").kid;
    let file = std::fs::read(dir.join(format!("{kid}.pem"))).expect("the RS256 key file");
    let pem = pem::parse(file).expect("PEM");
    RsaKeyPair::from_pkcs8(pem.contents()).expect("a PKCS#8 RSA key")
}

/// An RS256 JWS of `claims` whose header names no `kid` (OIDC Core §10.1 requires one
/// only when the JWKS holds several keys).
fn sign_without_kid(key: &RsaKeyPair, claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    let message = format!("{header}.{payload}");
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message.as_bytes(),
        &mut signature,
    )
    .expect("RSA signing");
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

async fn userinfo(State(rogue): State<Arc<RogueState>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let Some(subject) = rogue.tokens.lock().unwrap().get(token).cloned() else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    };
    let mut claims = json!({
        "sub": subject,
        "email": "rogue.shopper@example.com",
        "email_verified": true,
        "name": "Rosa Rogue",
        "phone_number": "+49 30 1234567",
        "address": {
            "street_address": "1 Harbour Road",
            "locality": "Hamburg",
            "postal_code": "20095",
            "country": "DE",
        },
    });
    if *rogue.behaviour.lock().unwrap() == Misbehaviour::NoName {
        claims.as_object_mut().unwrap().remove("name");
    }
    axum::Json(claims).into_response()
}
