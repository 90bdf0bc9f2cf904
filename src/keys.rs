//! The store providers' signing keys: PKCS#8 files, one directory per store, parsed once at
//! start-up, newest key per algorithm active, older ones still published for rotation.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
    RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, RSAKeyParameters, RSAKeyType,
};
use serde::Serialize;

use crate::config::StoreConfig;
pub use crate::domain::SigningAlg;
use crate::domain::StoreId;

/// The tag of an algorithm's key files (`es256-….pk8`).
fn file_tag(alg: SigningAlg) -> &'static str {
    match alg {
        SigningAlg::Rs256 => "rs256",
        SigningAlg::Es256 => "es256",
    }
}

enum KeyMaterial {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// One parsed private key. Debug never shows the key material.
pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    /// Unix milliseconds.
    pub created_at: i64,
    material: KeyMaterial,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_pkcs8(
        kid: String,
        alg: SigningAlg,
        created_at: i64,
        der: &[u8],
    ) -> anyhow::Result<Self> {
        let material = match alg {
            SigningAlg::Rs256 => KeyMaterial::Rsa(
                RsaKeyPair::from_pkcs8(der).map_err(|e| anyhow::anyhow!("RSA key {kid}: {e}"))?,
            ),
            SigningAlg::Es256 => KeyMaterial::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|e| anyhow::anyhow!("EC key {kid}: {e}"))?,
            ),
        };
        Ok(Self {
            kid,
            alg,
            created_at,
            material,
        })
    }

    fn sign_bytes(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.material {
            KeyMaterial::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
                Ok(signature)
            }
            KeyMaterial::Ec(key) => Ok(key
                .sign(&rng, message)
                .map_err(|_| anyhow::anyhow!("ECDSA signing failed"))?
                .as_ref()
                .to_vec()),
        }
    }

    /// The public half as a JWK (RFC 7517), for the JWKS document.
    pub fn public_jwk(&self) -> Jwk {
        let algorithm = match &self.material {
            KeyMaterial::Rsa(key) => {
                let parts = RsaPublicKeyComponents::<Vec<u8>>::from(key.public_key());
                AlgorithmParameters::RSA(RSAKeyParameters {
                    key_type: RSAKeyType::RSA,
                    n: URL_SAFE_NO_PAD.encode(parts.n),
                    e: URL_SAFE_NO_PAD.encode(parts.e),
                })
            }
            KeyMaterial::Ec(key) => {
                // Uncompressed SEC1 point: 0x04 || x || y.
                let point = key.public_key().as_ref();
                let (x, y) = point[1..].split_at(32);
                AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: EllipticCurveKeyType::EC,
                    curve: EllipticCurve::P256,
                    x: URL_SAFE_NO_PAD.encode(x),
                    y: URL_SAFE_NO_PAD.encode(y),
                })
            }
        };
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_id: Some(self.kid.clone()),
                key_algorithm: Some(match self.alg {
                    SigningAlg::Rs256 => KeyAlgorithm::RS256,
                    SigningAlg::Es256 => KeyAlgorithm::ES256,
                }),
                ..Default::default()
            },
            algorithm,
        }
    }
}

/// Each store provider's own keys, so that one store's key never vouches for a token
/// claiming another store's issuer.
#[derive(Debug)]
pub struct StoreKeys {
    by_store: HashMap<StoreId, SigningKeys>,
}

impl StoreKeys {
    /// Where a store's keys live: `{key_dir}/stores/{store}`.
    pub fn dir(key_dir: &Path, store: &StoreId) -> PathBuf {
        key_dir.join("stores").join(store.as_str())
    }

    /// Loads the keys of every store whose provider this deployment runs, generating those
    /// missing; a store that logs in at an external provider has none here.
    pub fn load_or_generate(key_dir: &Path, stores: &[StoreConfig]) -> anyhow::Result<Self> {
        let by_store = stores
            .iter()
            .filter(|store| store.has_own_provider())
            .map(|store| {
                let keys = SigningKeys::load_or_generate(&Self::dir(key_dir, &store.id))
                    .with_context(|| format!("signing keys of store {}", store.id))?;
                Ok((store.id.clone(), keys))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { by_store })
    }

    /// The keys of `store`, never another store's.
    pub fn for_store(&self, store: &StoreId) -> anyhow::Result<&SigningKeys> {
        self.by_store.get(store).with_context(|| {
            format!("store {store} has no signing keys: this deployment does not run its provider")
        })
    }
}

/// One provider's keys (a store's, or the checkout's client keys), newest first.
#[derive(Debug)]
pub struct SigningKeys {
    keys: Vec<SigningKey>,
}

/// A key is kept published for one rotation after it stops signing, which covers every
/// ID token it signed (they live minutes).
const KEPT_PER_ALG: usize = 2;

impl SigningKeys {
    /// Loads every key in `dir`, generating one per algorithm where none exists.
    pub fn load_or_generate(dir: &Path) -> anyhow::Result<Self> {
        let mut keys = Self::load(dir)?;
        for alg in SigningAlg::ALL {
            if keys.active(alg).is_none() {
                generate_key_file(dir, alg)?;
                keys = Self::load(dir)?;
            }
        }
        Ok(keys)
    }

    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        if dir.exists() {
            for entry in
                std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?
            {
                let path = entry?.path();
                if path.extension().and_then(|e| e.to_str()) != Some("pem") {
                    continue;
                }
                keys.push(read_key_file(&path)?);
            }
        }
        keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.kid.cmp(&a.kid)));
        Ok(Self { keys })
    }

    /// Generates a new key per algorithm; the previous one stays published, older ones go.
    pub fn rotate(dir: &Path) -> anyhow::Result<Self> {
        for alg in SigningAlg::ALL {
            generate_key_file(dir, alg)?;
        }
        let keys = Self::load(dir)?;
        for alg in SigningAlg::ALL {
            for retired in keys.keys.iter().filter(|k| k.alg == alg).skip(KEPT_PER_ALG) {
                let path = dir.join(format!("{}.pem", retired.kid));
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        }
        Self::load(dir)
    }

    pub fn all(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The key that signs new tokens for `alg`.
    pub fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.alg == alg)
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().map(SigningKey::public_jwk).collect(),
        }
    }

    /// A compact JWS of `claims` with the active key for `alg`.
    ///
    /// Signed here rather than with `jsonwebtoken::encode`, which re-parses the private key
    /// on every call (about three times the cost of the signature for RSA).
    pub fn sign<T: Serialize>(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &T,
    ) -> anyhow::Result<String> {
        let key = self
            .active(alg)
            .with_context(|| format!("no {} signing key", alg.as_str()))?;
        let header = serde_json::json!({ "alg": alg.as_str(), "kid": key.kid, "typ": typ });
        let mut jws = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
        let signature = key.sign_bytes(jws.as_bytes())?;
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(jws)
    }
}

fn read_key_file(path: &Path) -> anyhow::Result<SigningKey> {
    let kid = path
        .file_stem()
        .and_then(|s| s.to_str())
        .context("key file name is not UTF-8")?
        .to_owned();
    // File names are `{created unix ms}-{alg}-{random}.pem`; the stem is the kid.
    let mut parts = kid.splitn(3, '-');
    let created_at: i64 = parts
        .next()
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("{}: name must start with a timestamp", path.display()))?;
    let alg = match parts.next() {
        Some("rs256") => SigningAlg::Rs256,
        Some("es256") => SigningAlg::Es256,
        _ => bail!("{}: name must carry rs256 or es256", path.display()),
    };
    let pem =
        pem::parse(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
            .with_context(|| format!("{} is not PEM", path.display()))?;
    anyhow::ensure!(
        pem.tag() == "PRIVATE KEY",
        "{}: expected a PKCS#8 PRIVATE KEY",
        path.display()
    );
    SigningKey::from_pkcs8(kid, alg, created_at, pem.contents())
}

fn generate_key_file(dir: &Path, alg: SigningAlg) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let der = match alg {
        SigningAlg::Rs256 => RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?
            .as_der()
            .map_err(|_| anyhow::anyhow!("RSA key encoding failed"))?
            .as_ref()
            .to_vec(),
        SigningAlg::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| anyhow::anyhow!("EC key generation failed"))?
            .to_pkcs8v1()
            .map_err(|_| anyhow::anyhow!("EC key encoding failed"))?
            .as_ref()
            .to_vec(),
    };
    let mut random = [0u8; 6];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let created_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let path = dir.join(format!("{created_ms}-{}-{suffix}.pem", file_tag(alg)));
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der));
    crate::secrets::write_private_file(&path, pem.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode};

    #[test]
    fn tokens_signed_with_each_key_verify_against_the_published_jwk() {
        let dir = std::env::temp_dir().join(format!("keys-{}", uuid::Uuid::new_v4()));
        let keys = SigningKeys::load_or_generate(&dir).unwrap();
        for alg in SigningAlg::ALL {
            let claims = serde_json::json!({ "sub": "x", "exp": crate::db::now() + 60 });
            let jwt = keys.sign(alg, "JWT", &claims).unwrap();
            let kid = jsonwebtoken::decode_header(&jwt).unwrap().kid.unwrap();
            let jwk = keys.jwks().find(&kid).unwrap().clone();
            let key = DecodingKey::from_jwk(&jwk).unwrap();
            let mut validation = Validation::new(alg.jwt());
            validation.validate_aud = false;
            let decoded = decode::<serde_json::Value>(&jwt, &key, &validation).unwrap();
            assert_eq!(decoded.claims["sub"], "x");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rotation_keeps_the_previous_key_published() {
        let dir = std::env::temp_dir().join(format!("keys-{}", uuid::Uuid::new_v4()));
        let first = SigningKeys::load_or_generate(&dir).unwrap();
        let old_kid = first.active(SigningAlg::Es256).unwrap().kid.clone();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = SigningKeys::rotate(&dir).unwrap();
        assert_ne!(second.active(SigningAlg::Es256).unwrap().kid, old_kid);
        assert!(second.jwks().find(&old_kid).is_some());
        std::thread::sleep(std::time::Duration::from_millis(2));
        let third = SigningKeys::rotate(&dir).unwrap();
        assert!(
            third.jwks().find(&old_kid).is_none(),
            "two rotations retire a key"
        );
        assert_eq!(third.all().len(), 4);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn each_store_has_keys_of_its_own_and_no_other_stores() {
        let dir = std::env::temp_dir().join(format!("keys-{}", uuid::Uuid::new_v4()));
        let settings = crate::config::Settings::demo(&dir, "127.0.0.1:0".parse().unwrap());
        let config = crate::config::Config::resolve(&settings, 8080).unwrap();
        let keys = StoreKeys::load_or_generate(&settings.key_dir, &config.stores).unwrap();
        let kids = |store: &str| -> Vec<String> {
            let store = StoreId::parse(store).unwrap();
            let keys = keys.for_store(&store).unwrap();
            keys.all().iter().map(|k| k.kid.clone()).collect()
        };
        let (site1, site2) = (kids("site1"), kids("site2"));
        assert_eq!(site1.len(), 2);
        assert!(
            site1.iter().all(|kid| !site2.contains(kid)),
            "{site1:?} {site2:?}"
        );
        let error = keys
            .for_store(&StoreId::parse("site9").unwrap())
            .unwrap_err();
        assert!(error.to_string().contains("site9"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
