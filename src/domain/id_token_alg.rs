use openidconnect::core::CoreJwsSigningAlgorithm;
use serde::{Deserialize, Serialize};

/// The JWS algorithms the checkout accepts on ID tokens and logout tokens from a store's
/// provider, one per store. Wider than [`super::SigningAlg`] because a store may hand its
/// login to an external provider that signs PS256 or EdDSA (Ed25519); our own providers
/// still sign with `SigningAlg` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdTokenAlg {
    Rs256,
    Es256,
    Ps256,
    EdDsa,
}

impl IdTokenAlg {
    pub const ALL: [IdTokenAlg; 4] = [
        IdTokenAlg::Rs256,
        IdTokenAlg::Es256,
        IdTokenAlg::Ps256,
        IdTokenAlg::EdDsa,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenAlg::Rs256 => "RS256",
            IdTokenAlg::Es256 => "ES256",
            IdTokenAlg::Ps256 => "PS256",
            IdTokenAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "RS256" => Some(IdTokenAlg::Rs256),
            "ES256" => Some(IdTokenAlg::Es256),
            "PS256" => Some(IdTokenAlg::Ps256),
            "EdDSA" => Some(IdTokenAlg::EdDsa),
            _ => None,
        }
    }

    /// The same algorithm as `jsonwebtoken` names it, for verifying logout tokens.
    pub fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            IdTokenAlg::Rs256 => jsonwebtoken::Algorithm::RS256,
            IdTokenAlg::Es256 => jsonwebtoken::Algorithm::ES256,
            IdTokenAlg::Ps256 => jsonwebtoken::Algorithm::PS256,
            IdTokenAlg::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// The same algorithm as `openidconnect` names it, for verifying ID tokens.
    pub fn jws(self) -> CoreJwsSigningAlgorithm {
        match self {
            IdTokenAlg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            IdTokenAlg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            IdTokenAlg::Ps256 => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            IdTokenAlg::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
        }
    }
}

impl std::str::FromStr for IdTokenAlg {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, String> {
        Self::parse(value).ok_or_else(|| {
            format!("unknown ID token algorithm {value:?}: expected RS256, ES256, PS256 or EdDSA")
        })
    }
}

impl Serialize for IdTokenAlg {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IdTokenAlg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_parse_from_their_jws_names_only() {
        for alg in IdTokenAlg::ALL {
            assert_eq!(alg.as_str().parse::<IdTokenAlg>(), Ok(alg));
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(serde_json::from_str::<IdTokenAlg>(&json).unwrap(), alg);
            // Both crates' algorithm is the one the JWS header names.
            assert_eq!(serde_json::to_value(alg.jws()).unwrap(), alg.as_str());
            assert_eq!(serde_json::to_value(alg.jwt()).unwrap(), alg.as_str());
        }
        let error = "HS256".parse::<IdTokenAlg>().unwrap_err();
        assert!(error.contains("RS256, ES256, PS256 or EdDSA"), "{error}");
        assert!("eddsa".parse::<IdTokenAlg>().is_err());
        assert!("Ed25519".parse::<IdTokenAlg>().is_err());
        assert!(serde_json::from_str::<IdTokenAlg>("\"none\"").is_err());
    }
}
