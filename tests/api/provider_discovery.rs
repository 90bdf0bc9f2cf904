//! OpenID Provider metadata (OIDC Discovery §3, RFC 8414) and the published keys; ID
//! tokens verified with those keys, as any relying party would.

use std::collections::HashSet;

use shared_checkout::keys::SigningAlg;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, spawn_app};
use crate::common::browser::{Browser, header};
use crate::common::database::Backend;
use crate::common::deployment::Deployment;
use crate::common::oauth::{AuthKind, TestClient, back_channel};

async fn get_json(url: &str) -> serde_json::Value {
    let response = back_channel().get(url).send().await.expect("GET");
    assert_eq!(response.status(), 200, "GET {url}");
    let content_type = header(response.headers(), "content-type")
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{url}: {content_type}"
    );
    response.json().await.expect("JSON")
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn discovery_describes_each_stores_own_issuer(backend: Backend) {
    let app = spawn_app(backend).await;
    for store in ["site1", "site2"] {
        let issuer = app.issuer(store);
        let meta = get_json(&app.store_url(store, "/.well-known/openid-configuration")).await;
        assert_eq!(
            meta["issuer"], issuer,
            "{store}: issuer is the store's origin"
        );
        for (field, path) in [
            ("authorization_endpoint", "/authorize"),
            ("token_endpoint", "/token"),
            ("userinfo_endpoint", "/userinfo"),
            ("jwks_uri", "/jwks.json"),
        ] {
            assert_eq!(meta[field], format!("{issuer}{path}"), "{store}: {field}");
        }
        assert_eq!(
            strings(&meta["response_types_supported"]),
            ["code"],
            "{store}: code flow only"
        );
        assert_eq!(
            strings(&meta["code_challenge_methods_supported"]),
            ["S256"],
            "{store}: S256 only"
        );
        assert_eq!(
            meta["basket_binding_supported"], true,
            "{store}: our basket extension"
        );
        assert_eq!(
            meta["authorization_response_iss_parameter_supported"], true,
            "{store}: RFC 9207"
        );
        let auth_methods = strings(&meta["token_endpoint_auth_methods_supported"]);
        for method in [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ] {
            assert!(
                auth_methods.iter().any(|m| m == method),
                "{store}: {method} in {auth_methods:?}"
            );
        }
        let algs = strings(&meta["id_token_signing_alg_values_supported"]);
        for alg in ["RS256", "ES256"] {
            assert!(algs.iter().any(|a| a == alg), "{store}: {alg} in {algs:?}");
        }
        assert!(
            !algs.iter().any(|a| a == "none"),
            "{store}: unsigned ID tokens"
        );
        assert!(
            strings(&meta["scopes_supported"])
                .iter()
                .any(|s| s == "openid"),
            "{store}: openid scope"
        );
        assert!(
            strings(&meta["subject_types_supported"])
                .iter()
                .any(|s| s == "public"),
            "{store}: subject types (required metadata)"
        );
        if !meta["grant_types_supported"].is_null() {
            assert_eq!(
                strings(&meta["grant_types_supported"]),
                ["authorization_code"],
                "{store}: no implicit, password or refresh grants"
            );
        }
    }
}

async fn the_jwks_publishes_rs256_and_es256_public_keys_with_kids(backend: Backend) {
    let app = spawn_app(backend).await;
    let jwks = get_json(&app.store_url("site1", "/jwks.json")).await;
    let keys = jwks["keys"].as_array().expect("a JWK set");
    let mut kids = HashSet::new();
    let mut algs = HashSet::new();
    for key in keys {
        let kid = key["kid"].as_str().expect("every key has a kid");
        assert!(kids.insert(kid.to_owned()), "kid {kid} is unique");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                key.get(private).is_none(),
                "{kid}: private member {private}"
            );
        }
        assert_eq!(key["use"], "sig", "{kid}: signing key");
        match key["alg"].as_str() {
            Some("RS256") => assert_eq!(key["kty"], "RSA", "{kid}"),
            Some("ES256") => {
                assert_eq!(key["kty"], "EC", "{kid}");
                assert_eq!(key["crv"], "P-256", "{kid}");
            }
            other => panic!("{kid}: unexpected alg {other:?}"),
        }
        algs.insert(key["alg"].as_str().unwrap_or_default().to_owned());
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.clone()).expect("a JWK");
        jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("a usable public key");
    }
    assert!(algs.contains("RS256"), "an RS256 key: {jwks}");
    assert!(algs.contains("ES256"), "an ES256 key: {jwks}");
    let site2 = get_json(&app.store_url("site2", "/jwks.json")).await;
    assert!(
        site2["keys"].as_array().is_some_and(|k| !k.is_empty()),
        "site2 publishes keys too"
    );
}

async fn id_tokens_verify_with_the_published_jwks(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let basket = browser.fill_basket(&app, "site1").await;
    for alg in [SigningAlg::Es256, SigningAlg::Rs256] {
        let case = alg.as_str();
        let client = TestClient::register_with(
            &app,
            "site1",
            AuthKind::SecretBasic,
            alg,
            vec!["https://rp.example/cb".to_owned()],
        )
        .await;
        let request = client.authorization().set("basket_id", &basket);
        let code = client
            .code_for(&browser, &request, ALICE_EMAIL, ALICE_PASSWORD)
            .await;
        let tokens = client.tokens(&code, &request.pkce.verifier).await;
        let id_token = tokens["id_token"].as_str().expect("an ID token");
        let header = jsonwebtoken::decode_header(id_token).unwrap();
        assert_eq!(
            header.alg,
            alg.jwt(),
            "{case}: signed with the client's algorithm"
        );
        let claims = client.verify_id_token(id_token, &request.nonce).await;
        let now = shared_checkout::db::now();
        assert_eq!(claims["iss"], app.issuer("site1"), "{case}");
        assert!(
            claims["aud"] == client.client_id.as_str()
                || strings(&claims["aud"]).contains(&client.client_id),
            "{case}: aud {}",
            claims["aud"]
        );
        assert_eq!(claims["azp"], client.client_id.as_str(), "{case}: azp");
        assert!(
            claims["sub"].as_str().is_some_and(|s| !s.is_empty()),
            "{case}: sub"
        );
        let iat = claims["iat"].as_i64().expect("iat");
        let exp = claims["exp"].as_i64().expect("exp");
        let auth_time = claims["auth_time"].as_i64().expect("auth_time");
        assert!(
            iat <= now + 5 && iat >= now - 60,
            "{case}: iat {iat} now {now}"
        );
        assert!(exp > now && exp <= iat + 3600, "{case}: exp {exp}");
        assert!(auth_time <= iat, "{case}: auth_time {auth_time}");
        assert_eq!(claims["basket_id"], basket.as_str(), "{case}: basket claim");

        // A token whose signature does not match is refused by the same check.
        let (signed, signature) = id_token.rsplit_once('.').unwrap();
        let mut signature: Vec<char> = signature.chars().collect();
        signature[10] = if signature[10] == 'A' { 'B' } else { 'A' };
        let forged = format!("{signed}.{}", signature.iter().collect::<String>());
        let jwks: jsonwebtoken::jwk::JwkSet = back_channel()
            .get(client.endpoint("/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kid = header.kid.clone().unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(alg.jwt());
        validation.set_audience(&[&client.client_id]);
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(&forged, &key, &validation).is_err(),
            "{case}: a forged signature fails"
        );
    }
}

async fn an_id_token_without_a_basket_binding_has_no_basket_claim(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretPost).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let claims = client
        .verify_id_token(tokens["id_token"].as_str().unwrap(), &request.nonce)
        .await;
    assert!(claims.get("basket_id").is_none(), "{claims}");
}

async fn after_a_key_rotation_tokens_signed_with_the_old_key_still_verify(backend: Backend) {
    let (deployment, app) = Deployment::start(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let old_kids: HashSet<String> = kids(&get_json(&client.endpoint("/jwks.json")).await);

    // `shared-checkout keys rotate`, then a node started on the rotated key directory.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let site1 = shared_checkout::domain::StoreId::parse("site1").unwrap();
    let site1_keys = shared_checkout::keys::StoreKeys::dir(&deployment.settings.key_dir, &site1);
    shared_checkout::keys::SigningKeys::rotate(&site1_keys).expect("rotation");
    let node = deployment.spawn_node().await;
    let jwks = get_json(&node.store_url("site1", "/jwks.json")).await;
    let new_kids = kids(&jwks);
    assert!(
        old_kids.is_subset(&new_kids),
        "old keys stay published: {old_kids:?} in {new_kids:?}"
    );
    assert!(new_kids.len() > old_kids.len(), "new keys are published");

    // The token signed before the rotation verifies with the new node's JWKS.
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(set.find(&header.kid.unwrap()).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[&client.client_id]);
    validation.set_issuer(&[&client.issuer]);
    jsonwebtoken::decode::<serde_json::Value>(id_token, &key, &validation)
        .expect("the old token verifies");

    // And the new node signs with a new key.
    let (request, code) = client.alice_code(&Browser::new()).await;
    let response = back_channel()
        .post(node.store_url("site1", "/token"))
        .basic_auth(&client.client_id, Some(client.secret()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uri()),
            ("code_verifier", request.pkce.verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: serde_json::Value = response.json().await.unwrap();
    let kid = jsonwebtoken::decode_header(tokens["id_token"].as_str().unwrap())
        .unwrap()
        .kid
        .unwrap();
    assert!(!old_kids.contains(&kid), "signed with the new key {kid}");
}

fn kids(jwks: &serde_json::Value) -> HashSet<String> {
    jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect()
}

crate::on_both_backends!(
    discovery_describes_each_stores_own_issuer,
    the_jwks_publishes_rs256_and_es256_public_keys_with_kids,
    id_tokens_verify_with_the_published_jwks,
    an_id_token_without_a_basket_binding_has_no_basket_claim,
    after_a_key_rotation_tokens_signed_with_the_old_key_still_verify,
);
