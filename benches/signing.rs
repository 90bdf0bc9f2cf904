//! The costs behind DESIGN.md's signing and secret decisions, measured side by side:
//! ES256 vs RS256 ID tokens with keys parsed once (ours) vs `jsonwebtoken::encode`, which
//! parses the key on every call; and the client-secret check (SHA-256 + constant-time
//! compare) vs an argon2id verification of the same secret.
//!
//! Run: `cargo bench --bench signing`.

use std::hint::black_box;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{EncodingKey, Header};
use shared_checkout::keys::{SigningAlg, SigningKeys};
use shared_checkout::secrets::{OpaqueSecret, SecretHash};

fn claims() -> serde_json::Value {
    serde_json::json!({
        "iss": "http://site1.localhost:8080",
        "sub": "6f1c2a8e-8d7b-4f7e-9a57-2f1f3c1d9e10",
        "aud": "shared-checkout",
        "exp": 1_900_000_000,
        "iat": 1_899_999_700,
        "auth_time": 1_899_999_600,
        "nonce": "n-0S6_WzA2Mj",
        "azp": "shared-checkout",
        "basket_id": "0b0e7f3e-3f6e-4b1e-9a3b-8b7c6d5e4f3a",
    })
}

fn id_token_signing(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let keys = SigningKeys::load_or_generate(dir.path()).expect("keys");
    let claims = claims();
    let pem = |alg: &str| {
        let path = std::fs::read_dir(dir.path())
            .expect("key dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().contains(alg))
            .expect("key file");
        std::fs::read(path).expect("key file")
    };
    let (rsa_pem, ec_pem) = (pem("rs256"), pem("es256"));

    let mut group = c.benchmark_group("id_token");
    group.bench_function("es256_parsed_once", |b| {
        b.iter(|| keys.sign(SigningAlg::Es256, "JWT", black_box(&claims)))
    });
    group.bench_function("rs256_parsed_once", |b| {
        b.iter(|| keys.sign(SigningAlg::Rs256, "JWT", black_box(&claims)))
    });
    let ec_key = EncodingKey::from_ec_pem(&ec_pem).expect("EC PEM");
    group.bench_function("es256_jsonwebtoken_encode", |b| {
        b.iter(|| {
            jsonwebtoken::encode(
                &Header::new(jsonwebtoken::Algorithm::ES256),
                black_box(&claims),
                &ec_key,
            )
        })
    });
    let rsa_key = EncodingKey::from_rsa_pem(&rsa_pem).expect("RSA PEM");
    group.bench_function("rs256_jsonwebtoken_encode", |b| {
        b.iter(|| {
            jsonwebtoken::encode(
                &Header::new(jsonwebtoken::Algorithm::RS256),
                black_box(&claims),
                &rsa_key,
            )
        })
    });
    group.finish();
}

fn client_secret_check(c: &mut Criterion) {
    let secret = OpaqueSecret::generate();
    let stored = secret.hash();
    let argon2 = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(19 * 1024, 2, 1, None).expect("params"),
    );
    let argon_hash = argon2
        .hash_password(
            secret.secret().as_bytes(),
            &SaltString::generate(&mut OsRng),
        )
        .expect("hash")
        .to_string();

    let mut group = c.benchmark_group("client_secret");
    group.bench_function("sha256_constant_time", |b| {
        b.iter(|| SecretHash::of(black_box(secret.secret())) == stored)
    });
    group.sample_size(10);
    group.bench_function("argon2id_owasp", |b| {
        b.iter(|| {
            let parsed = PasswordHash::new(&argon_hash).expect("hash");
            argon2
                .verify_password(black_box(secret.secret().as_bytes()), &parsed)
                .is_ok()
        })
    });
    group.finish();
}

criterion_group!(benches, id_token_signing, client_secret_check);
criterion_main!(benches);
