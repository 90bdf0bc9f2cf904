//! Typed ids in URL paths: each segment parses once, in the extractor, and a malformed one
//! is the 404 page naming what was not found (never axum's plain-text 400).

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::WebError;
use crate::domain::{BasketId, StoreId};

/// `/{store_id}/{basket_id}/…`: a basket's page at the checkout. The store may still be
/// one this deployment does not serve; that is the handler's to look up.
#[derive(Debug)]
pub struct BasketPath {
    pub store: StoreId,
    pub basket: BasketId,
}

impl<S: Send + Sync> FromRequestParts<S> for BasketPath {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let Path((store, basket)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| WebError::NotFound("basket"))?;
        Ok(Self {
            store: StoreId::parse(&store).map_err(|_| WebError::NotFound("store"))?,
            basket: BasketId::parse(&basket).map_err(|_| WebError::NotFound("basket"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn status(uri: &str) -> (StatusCode, String) {
        let app = Router::new().route(
            "/{store_id}/{basket_id}",
            get(|path: BasketPath| async move { format!("{} {}", path.store, path.basket) }),
        );
        let response = app
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn well_formed_ids_parse_and_a_malformed_one_is_the_404_page_naming_it() {
        let basket = BasketId::new_random();
        assert_eq!(
            status(&format!("/site1/{basket}")).await,
            (StatusCode::OK, format!("site1 {basket}"))
        );
        let (code, page) = status(&format!("/Site%201/{basket}")).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(page.contains("that store"), "{page}");
        let (code, page) = status("/site1/not-a-basket").await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(page.contains("that basket"), "{page}");
    }
}
