//! The checkout as a relying party, one test per module of the OpenID Foundation's
//! `oidcc-client-basic-certification-test-plan` and `oidcc-client-config-certification-test-plan`
//! (code flow), plus the code-flow modules of `oidcc-client-test-plan` that the rogue
//! provider can play. Each test is named after its module and does what the module does: the
//! rogue provider misbehaves one way and the checkout must refuse (or, where the module says
//! so, accept) the login. A refusal is a readable page with no identity attached, and the
//! same provider behaving again is then accepted, so the refusal was the check.
//! docs/conformance.md maps every module to its test; misbehaviours no module names are
//! `relying_party::every_other_misbehaviour_of_the_provider_is_refused_and_attaches_no_identity`.

use shared_checkout::domain::IdTokenAlg;

use crate::common::app::{TestApp, spawn_app_with};
use crate::common::browser::{Browser, assert_redirect, location};
use crate::common::checkout::empty_basket;
use crate::common::database::Backend;
use crate::common::rogue::{
    Misbehaviour, ROGUE_SUBJECT, Rogue, add_store, assert_refused, identified_sessions,
    log_in_via_rogue, press_login,
};

/// What a module expects of the checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Accepted,
    Refused,
}

/// The app with `site3` logging in at the rogue provider, expecting ID tokens signed `alg`.
async fn app_with_rogue(backend: Backend, alg: IdTokenAlg) -> (TestApp, Rogue) {
    let rogue = Rogue::start().await;
    let issuer = rogue.issuer.clone();
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site3", &issuer, None);
        settings.stores.last_mut().unwrap().login.id_token_alg = Some(alg);
    })
    .await;
    (app, rogue)
}

/// One login while the rogue provider does `misbehaviour`, at a store expecting `alg`.
async fn module(backend: Backend, misbehaviour: Misbehaviour, alg: IdTokenAlg, expect: Expect) {
    let (app, rogue) = app_with_rogue(backend, alg).await;
    rogue.misbehave(misbehaviour);
    let basket = empty_basket(&app, "site3").await;
    let response = log_in_via_rogue(&app, &Browser::new(), "site3", basket).await;
    let case = format!("{misbehaviour:?}");
    match expect {
        Expect::Accepted => assert_logged_in(&app, &rogue, response, 1, &case).await,
        Expect::Refused => {
            let back = format!("/site3/{basket}");
            assert_refused(response, Some(&back), &case).await;
            assert!(
                identified_sessions(&app).await.is_empty(),
                "{case}: no identity attached"
            );
            // Behaving means signing with the algorithm the store expects (the rogue's
            // `WrongAlg` is its ES256).
            rogue.misbehave(match alg {
                IdTokenAlg::Es256 => Misbehaviour::WrongAlg,
                _ => Misbehaviour::None,
            });
            let basket = empty_basket(&app, "site3").await;
            let response = log_in_via_rogue(&app, &Browser::new(), "site3", basket).await;
            assert_logged_in(&app, &rogue, response, 1, "the same provider behaving").await;
        }
    }
}

/// The callback's answer is the clean checkout URL and `count` sessions hold the rogue's
/// shopper.
async fn assert_logged_in(
    app: &TestApp,
    rogue: &Rogue,
    response: reqwest::Response,
    count: usize,
    case: &str,
) {
    assert_redirect(&response);
    assert!(
        location(&response).starts_with(&app.checkout_url("/site3/")),
        "{case}: back at the checkout, {}",
        location(&response)
    );
    let sessions = identified_sessions(app).await;
    assert_eq!(sessions.len(), count, "{case}: {sessions:?}");
    assert!(
        sessions
            .iter()
            .all(|(_, issuer, subject)| issuer == &rogue.issuer && subject == ROGUE_SUBJECT),
        "{case}: {sessions:?}"
    );
}

/// `module => misbehaviour, expected outcome, the ID token algorithm the store expects`.
macro_rules! modules {
    ($($name:ident => $case:ident, $expect:ident, $alg:ident;)+) => {
        $(
            async fn $name(backend: Backend) {
                module(backend, Misbehaviour::$case, IdTokenAlg::$alg, Expect::$expect).await;
            }
        )+
    };
}

modules! {
    // oidcc-client-basic-certification-test-plan
    oidcc_client_test => None, Accepted, Rs256;
    oidcc_client_test_invalid_iss => IdTokenWrongIss, Refused, Rs256;
    oidcc_client_test_missing_sub => MissingSub, Refused, Rs256;
    oidcc_client_test_invalid_aud => WrongAud, Refused, Rs256;
    oidcc_client_test_missing_iat => MissingIat, Refused, Rs256;
    oidcc_client_test_kid_absent_single_jwks => KidAbsentSingleKey, Accepted, Rs256;
    // The module allows either answer; openidconnect refuses a key it cannot pick by `kid`.
    oidcc_client_test_kid_absent_multiple_jwks => KidAbsentMultipleKeys, Refused, Rs256;
    oidcc_client_test_idtoken_sig_rs256 => None, Accepted, Rs256;
    // The module allows accepting an unsigned token from the token endpoint; we never do.
    oidcc_client_test_idtoken_sig_none => AlgNone, Refused, Rs256;
    oidcc_client_test_invalid_sig_rs256 => BadSignature, Refused, Rs256;
    oidcc_client_test_userinfo_invalid_sub => UserinfoOtherSub, Refused, Rs256;
    oidcc_client_test_nonce_invalid => WrongNonce, Refused, Rs256;
    // oidcc-client-config-certification-test-plan
    oidcc_client_test_signing_key_rotation_just_before_signing => RotatedKey, Accepted, Rs256;
    // oidcc-client-test-plan
    oidcc_client_test_missing_aud => MissingAud, Refused, Rs256;
    oidcc_client_test_invalid_sig_es256 => BadSignatureEs256, Refused, Es256;
    // An HS256 token is refused for its algorithm, before its MAC is looked at.
    oidcc_client_test_invalid_sig_hs256 => Hs256, Refused, Rs256;
    // These two modules are for hybrid flows only (a code flow's ID token need carry no
    // hash, OIDC Core §3.1.3.6, §3.3.2.11); a hash that is present must still match.
    oidcc_client_test_invalid_athash => WrongAtHash, Refused, Rs256;
    oidcc_client_test_invalid_chash => WrongCHash, Refused, Rs256;
}

/// rp-response_type-code's requests: `openid` and the profile scopes (the checkout asks for
/// each one discovery lists), and the claims they bring are kept.
async fn oidcc_client_test_scope_userinfo_claims(backend: Backend) {
    let (app, rogue) = app_with_rogue(backend, IdTokenAlg::Rs256).await;
    let basket = empty_basket(&app, "site3").await;
    let response = log_in_via_rogue(&app, &Browser::new(), "site3", basket).await;
    assert_logged_in(&app, &rogue, response, 1, "scopes").await;
    let scope = rogue
        .last_authorize()
        .get("scope")
        .cloned()
        .unwrap_or_default();
    let scopes: Vec<&str> = scope.split(' ').collect();
    for wanted in ["openid", "profile", "email", "address", "phone"] {
        assert!(scopes.contains(&wanted), "{wanted} in {scopes:?}");
    }
    let kept: (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT name, email, phone, address FROM checkout_sessions WHERE subject IS NOT NULL",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        kept.0.as_deref(),
        Some("Rosa Rogue"),
        "profile, from userinfo"
    );
    assert_eq!(
        kept.1.as_deref(),
        Some("rogue.shopper@example.com"),
        "email"
    );
    assert_eq!(kept.2.as_deref(), Some("+49 30 1234567"), "phone");
    assert!(kept.3.is_some_and(|a| a.contains("Hamburg")), "address");
}

/// The rogue's token endpoint accepts client_secret_basic only, so a login that completes
/// authenticated that way.
async fn oidcc_client_test_client_secret_basic(backend: Backend) {
    module(
        backend,
        Misbehaviour::None,
        IdTokenAlg::Rs256,
        Expect::Accepted,
    )
    .await;
}

/// The provider's endpoints and keys come from its discovery document and `jwks_uri`.
async fn oidcc_client_test_discovery_openid_config(backend: Backend) {
    let (app, rogue) = app_with_rogue(backend, IdTokenAlg::Rs256).await;
    let basket = empty_basket(&app, "site3").await;
    let started = press_login(&app, &Browser::new(), "site3", basket).await;
    assert_redirect(&started);
    assert!(
        location(&started).starts_with(&format!("{}/authorize?", rogue.issuer)),
        "the discovered authorization endpoint: {}",
        location(&started)
    );
    assert_eq!(
        rogue.jwks_fetches(),
        1,
        "the keys at the discovered jwks_uri"
    );
}

async fn oidcc_client_test_discovery_jwks_uri_keys(backend: Backend) {
    let (app, rogue) = app_with_rogue(backend, IdTokenAlg::Rs256).await;
    let basket = empty_basket(&app, "site3").await;
    let response = log_in_via_rogue(&app, &Browser::new(), "site3", basket).await;
    assert_logged_in(&app, &rogue, response, 1, "jwks_uri").await;
    assert!(
        rogue.jwks_fetches() >= 1,
        "the ID token was checked with the fetched keys"
    );
}

/// OIDC Discovery §4.3: a document naming another issuer is not used at all; the shopper
/// gets the "cannot log you in" page and the provider is never asked.
async fn oidcc_client_test_discovery_issuer_mismatch(backend: Backend) {
    let (app, rogue) = app_with_rogue(backend, IdTokenAlg::Rs256).await;
    rogue.misbehave(Misbehaviour::DiscoveryIssuerMismatch);
    let basket = empty_basket(&app, "site3").await;
    let response = press_login(&app, &Browser::new(), "site3", basket).await;
    assert_eq!(
        response.status(),
        502,
        "no redirect to a mismatched provider"
    );
    assert!(
        rogue.last_authorize().is_empty(),
        "the provider was not asked"
    );
    let (transactions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM login_transactions")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(transactions, 0);
    assert!(identified_sessions(&app).await.is_empty());
}

/// A first login caches the keys; the provider then rotates and signs the next ID token
/// with a key the cache does not hold, which the checkout fetches.
async fn oidcc_client_test_signing_key_rotation(backend: Backend) {
    let (app, rogue) = app_with_rogue(backend, IdTokenAlg::Rs256).await;
    let basket = empty_basket(&app, "site3").await;
    let first = log_in_via_rogue(&app, &Browser::new(), "site3", basket).await;
    assert_logged_in(&app, &rogue, first, 1, "before the rotation").await;
    rogue.misbehave(Misbehaviour::RotatedKey);
    let basket = empty_basket(&app, "site3").await;
    let second = log_in_via_rogue(&app, &Browser::new(), "site3", basket).await;
    assert_logged_in(&app, &rogue, second, 2, "after the rotation").await;
}

crate::on_both_backends!(
    oidcc_client_test,
    oidcc_client_test_invalid_iss,
    oidcc_client_test_missing_sub,
    oidcc_client_test_invalid_aud,
    oidcc_client_test_missing_iat,
    oidcc_client_test_kid_absent_single_jwks,
    oidcc_client_test_kid_absent_multiple_jwks,
    oidcc_client_test_idtoken_sig_rs256,
    oidcc_client_test_idtoken_sig_none,
    oidcc_client_test_invalid_sig_rs256,
    oidcc_client_test_userinfo_invalid_sub,
    oidcc_client_test_nonce_invalid,
    oidcc_client_test_scope_userinfo_claims,
    oidcc_client_test_client_secret_basic,
    oidcc_client_test_discovery_openid_config,
    oidcc_client_test_discovery_jwks_uri_keys,
    oidcc_client_test_discovery_issuer_mismatch,
    oidcc_client_test_signing_key_rotation,
    oidcc_client_test_signing_key_rotation_just_before_signing,
    oidcc_client_test_missing_aud,
    oidcc_client_test_invalid_sig_es256,
    oidcc_client_test_invalid_sig_hs256,
    oidcc_client_test_invalid_athash,
    oidcc_client_test_invalid_chash,
);
