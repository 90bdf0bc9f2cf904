//! A code is consumed atomically: among concurrent redemptions exactly one wins.

use crate::common::app::spawn_app;
use crate::common::browser::Browser;
use crate::common::database::Backend;
use crate::common::deployment::Deployment;
use crate::common::oauth::{AuthKind, TestClient};

const REDEMPTIONS: usize = 50;

async fn fifty_concurrent_redemptions_of_one_code_yield_one_token_response(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let attempts = (0..REDEMPTIONS).map(|_| client.redeem(&code, &request.pkce.verifier));
    let responses = futures::future::join_all(attempts).await;

    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for response in responses {
        let status = response.status();
        let body = response.text().await.unwrap();
        if status == 200 {
            winners.push(body);
        } else {
            losers.push((status, body));
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one winner; losers: {:?}",
        &losers[..losers.len().min(3)]
    );
    for (status, body) in &losers {
        let json: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|_| panic!("{status}: not an OAuth error: {body}"));
        assert_eq!(
            (status.as_u16(), json["error"].as_str()),
            (400, Some("invalid_grant")),
            "a loser is refused cleanly, not with a server error: {body}"
        );
    }
    // The losers are replays of a consumed code, so what the winner got is revoked
    // (RFC 6749 §4.1.2), however the race between issuing and revoking fell out.
    let tokens: serde_json::Value = serde_json::from_str(&winners[0]).unwrap();
    assert!(tokens["id_token"].is_string());
    let access_token = tokens["access_token"].as_str().expect("access token");
    assert_eq!(
        client.userinfo(access_token).await.status(),
        401,
        "the winner's token is revoked by the replays"
    );
}

async fn concurrent_redemptions_on_two_nodes_yield_one_token_response(backend: Backend) {
    let (deployment, app) = Deployment::start(backend).await;
    let other = deployment.spawn_node().await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let endpoints = [
        client.endpoint("/token"),
        other.store_url("site1", "/token"),
    ];
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri()),
        ("code_verifier", request.pkce.verifier.as_str()),
    ];
    let attempts = (0..REDEMPTIONS).map(|i| client.token_request(&endpoints[i % 2], &form));
    let responses = futures::future::join_all(attempts).await;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut bodies = Vec::new();
    for response in responses {
        *statuses.entry(response.status().as_u16()).or_default() += 1;
        if response.status() != 200 {
            bodies.push(response.text().await.unwrap());
        }
    }
    assert_eq!(
        statuses.get(&200),
        Some(&1),
        "exactly one winner across nodes: {statuses:?} {:?}",
        &bodies[..bodies.len().min(3)]
    );
    assert_eq!(
        statuses.get(&400),
        Some(&(REDEMPTIONS - 1)),
        "the rest refused cleanly: {statuses:?} {:?}",
        &bodies[..bodies.len().min(3)]
    );
}

crate::on_both_backends!(
    fifty_concurrent_redemptions_of_one_code_yield_one_token_response,
    concurrent_redemptions_on_two_nodes_yield_one_token_response,
);
