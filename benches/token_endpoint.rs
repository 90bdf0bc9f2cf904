//! The store provider's back channel over real HTTP, side by side: redeeming a code at
//! `POST /token` with client_secret_basic vs private_key_jwt (an ES256 assertion; the
//! client's JWKS is fetched once, then served from the provider's cache), and `GET /userinfo`
//! with the resulting access token. Both clients get ES256 ID tokens, so the two redemptions
//! differ only in how the client authenticates.
//!
//! Codes are single use, so each redemption gets a fresh one, stored in untimed set-up with
//! `db::codes::insert` as `/authorize` stores them after login (driving the login page would
//! time argon2 instead). The client assertion is signed in set-up too: only the request, the
//! provider's work and the response are timed, over one kept-alive connection.
//!
//! Run: `cargo bench --bench token_endpoint`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use shared_checkout::app::Application;
use shared_checkout::config::{Settings, StoreConfig};
use shared_checkout::db;
use shared_checkout::db::codes::CodeGrant;
use shared_checkout::domain::{CustomerId, Email, StoreId};
use shared_checkout::keys::SigningAlg;
use shared_checkout::provider::clients::{self, ClientAuth, NewClient};
use shared_checkout::provider::pkce;
use shared_checkout::secrets::OpaqueSecret;
use shared_checkout::state::AppState;
use shared_checkout::web::LocalhostResolver;
use tokio::runtime::Runtime;

const REDIRECT_URI: &str = "https://rp.example/callback";
const BASIC_CLIENT: &str = "bench-basic";
const JWT_CLIENT: &str = "bench-jwt";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk-bench";

/// The running demo application, its two bench clients and what they need to redeem codes.
/// Fields drop in order: the runtime (and the server on it) goes before the data directory.
struct Provider {
    http: reqwest::Client,
    state: AppState,
    store: StoreConfig,
    alice: CustomerId,
    basic_secret: String,
    jwt_key: EncodingKey,
    jwt_kid: String,
    rt: Runtime,
    _dir: tempfile::TempDir,
}

impl Provider {
    fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temporary directory");
        let listen: SocketAddr = "127.0.0.1:0".parse().expect("address");
        let (state, store, alice, basic_secret, jwt_key, jwt_kid) = rt.block_on(async {
            let app = Application::build(Settings::demo(dir.path(), listen))
                .await
                .expect("application");
            shared_checkout::demo::seed(&app.state)
                .await
                .expect("demo seed");
            let state = app.state.clone();
            // Served until the runtime is dropped at the end of the bench.
            tokio::spawn(app.serve(std::future::pending()));

            let site1 = StoreId::parse(shared_checkout::demo::DEMO_STORE).expect("store id");
            let store = state.config.store(&site1).expect("site1").clone();
            let email = Email::parse(shared_checkout::demo::DEMO_EMAIL).expect("email");
            let (alice, _) = db::customers::find_for_login(&state.db, &site1, &email)
                .await
                .expect("customer lookup")
                .expect("the demo seeds alice");

            let basic_secret = OpaqueSecret::generate().secret().to_owned();
            register(
                &state,
                &site1,
                BASIC_CLIENT,
                ClientAuth::SecretBasic(basic_secret.as_str().into()),
            )
            .await;
            let (jwt_key, jwt_kid, jwks_uri) = client_key().await;
            register(
                &state,
                &site1,
                JWT_CLIENT,
                ClientAuth::PrivateKeyJwt { jwks_uri },
            )
            .await;
            (state, store, alice.id, basic_secret, jwt_key, jwt_kid)
        });
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(LocalhostResolver))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        Self {
            http,
            state,
            store,
            alice,
            basic_secret,
            jwt_key,
            jwt_kid,
            rt,
            _dir: dir,
        }
    }

    /// A fresh code for alice, bound to `client_id` and `VERIFIER`'s S256 challenge.
    fn code(&self, client_id: &str) -> String {
        let code = OpaqueSecret::generate();
        let grant = CodeGrant {
            client_id: client_id.to_owned(),
            redirect_uri: REDIRECT_URI.to_owned(),
            customer_id: self.alice,
            basket_id: None,
            code_challenge: pkce::s256(VERIFIER),
            nonce: Some("n-0S6_WzA2Mj".to_owned()),
            scope: "openid email profile address".to_owned(),
            auth_time: db::now(),
            sid: None,
        };
        self.rt
            .block_on(db::codes::insert(
                &self.state.db,
                &self.store.id,
                &code.hash(),
                &grant,
                db::now() + 60,
            ))
            .expect("storing a code");
        code.secret().to_owned()
    }

    /// A client assertion (RFC 7523 §3) for the JWT client, with a fresh `jti`.
    fn assertion(&self) -> String {
        let now = db::now();
        let claims = serde_json::json!({
            "iss": JWT_CLIENT,
            "sub": JWT_CLIENT,
            "aud": self.store.url("/token"),
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": now,
            "exp": now + 60,
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.jwt_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.jwt_key).expect("signing an assertion")
    }

    /// Redeems `code` and returns the access token; panics unless the provider says 200.
    async fn redeem(&self, code: &str, extra: &[(&str, &str)], basic: bool) -> String {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ];
        form.extend_from_slice(extra);
        let mut request = self.http.post(self.store.url("/token")).form(&form);
        if basic {
            request = request.basic_auth(BASIC_CLIENT, Some(&self.basic_secret));
        }
        let response = request.send().await.expect("POST /token");
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("token response");
        assert!(status.is_success(), "POST /token: {status} {body}");
        body["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    fn redeem_basic(&self, code: &str) -> String {
        self.rt.block_on(self.redeem(code, &[], true))
    }

    fn redeem_jwt(&self, code: &str, assertion: &str) -> String {
        let extra = [
            ("client_id", JWT_CLIENT),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ];
        self.rt.block_on(self.redeem(code, &extra, false))
    }

    fn userinfo(&self, access_token: &str) -> serde_json::Value {
        self.rt.block_on(async {
            let response = self
                .http
                .get(self.store.url("/userinfo"))
                .bearer_auth(access_token)
                .send()
                .await
                .expect("GET /userinfo");
            let status = response.status();
            let body: serde_json::Value = response.json().await.expect("userinfo response");
            assert!(status.is_success(), "GET /userinfo: {status} {body}");
            body
        })
    }
}

async fn register(state: &AppState, store: &StoreId, client_id: &str, auth: ClientAuth) {
    let client = NewClient {
        client_id: client_id.to_owned(),
        redirect_uris: vec![REDIRECT_URI.to_owned()],
        auth,
        id_token_alg: SigningAlg::Es256,
        backchannel_logout_uri: None,
        post_logout_redirect_uris: Vec::new(),
        require_pushed_authorization_requests: false,
    };
    clients::register(&state.db, store, &client)
        .await
        .expect("client registration");
}

/// A fresh ES256 key for the JWT client and the URL of a tiny server publishing its JWKS
/// (runs on the bench's runtime until it is dropped).
async fn client_key() -> (EncodingKey, String, String) {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("EC key");
    let pkcs8 = pair.to_pkcs8v1().expect("PKCS#8");
    let (x, y) = pair.public_key().as_ref()[1..].split_at(32);
    let kid = "bench-es256".to_owned();
    let jwks = serde_json::json!({ "keys": [{
        "kty": "EC", "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        "kid": kid, "use": "sig", "alg": "ES256",
    }]});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the JWKS server");
    let port = listener.local_addr().expect("JWKS server address").port();
    let router = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    (
        EncodingKey::from_ec_der(pkcs8.as_ref()),
        kid,
        format!("http://127.0.0.1:{port}/jwks.json"),
    )
}

fn back_channel(c: &mut Criterion) {
    let provider = Provider::start();

    let mut group = c.benchmark_group("back_channel");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("token_client_secret_basic", |b| {
        b.iter_batched(
            || provider.code(BASIC_CLIENT),
            |code| provider.redeem_basic(&code),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("token_private_key_jwt", |b| {
        b.iter_batched(
            || (provider.code(JWT_CLIENT), provider.assertion()),
            |(code, assertion)| provider.redeem_jwt(&code, &assertion),
            BatchSize::SmallInput,
        )
    });
    let access_token = provider.redeem_basic(&provider.code(BASIC_CLIENT));
    group.bench_function("userinfo", |b| b.iter(|| provider.userinfo(&access_token)));
    group.finish();
}

criterion_group!(benches, back_channel);
criterion_main!(benches);
