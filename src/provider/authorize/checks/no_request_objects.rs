// Request objects are not supported: say so with the codes OIDC Core §6.1 and §6.2 define,
// rather than ignore a `request` or `request_uri` whose content the client relies on. A
// `request_uri` naming one of our pushed requests (RFC 9126) never gets here: /authorize
// replaces the request with the pushed one first, and /par refuses one inside a push.

use crate::provider::error::OAuthError;
use crate::provider::params::Params;

pub fn no_request_objects(params: &Params) -> Result<(), OAuthError> {
    if params.get("request")?.is_some() {
        return Err(OAuthError::RequestNotSupported);
    }
    if params.get("request_uri")?.is_some() {
        return Err(OAuthError::RequestUriNotSupported);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_request_uri_get_their_own_codes() {
        let parse = |q: &str| Params::parse(q.as_bytes()).unwrap();
        let code = |q: &str| no_request_objects(&parse(q)).unwrap_err().code();
        assert_eq!(code("request=eyJ.x.y"), "request_not_supported");
        assert_eq!(
            code("request_uri=https%3A%2F%2Frp.example%2Fr"),
            "request_uri_not_supported"
        );
        assert!(no_request_objects(&parse("client_id=a")).is_ok());
    }
}
