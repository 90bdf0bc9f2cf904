// A client registered with `require_pushed_authorization_requests` is served only requests
// it pushed itself (RFC 9126 §6): anyone can build a front-channel request in its name, no
// one but the client can push one.

use crate::provider::authorize::Channel;
use crate::provider::clients::Client;
use crate::provider::error::OAuthError;

pub fn pushed_when_required(client: &Client, channel: Channel) -> Result<(), OAuthError> {
    if client.require_pushed_authorization_requests && channel == Channel::Front {
        return Err(OAuthError::InvalidRequest(
            "this client must use pushed authorization requests",
        ));
    }
    Ok(())
}
