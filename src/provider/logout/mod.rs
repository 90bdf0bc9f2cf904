//! Logout at a store's provider: OpenID Connect RP-Initiated Logout 1.0 (the
//! `end_session_endpoint`, where a client sends the shopper to end the store session) and
//! Back-Channel Logout 1.0 (every ended store session is announced to the clients).

mod backchannel;
mod end_session;
mod id_token_hint;

pub use backchannel::{BACKCHANNEL_LOGOUT_EVENT, announce};
pub use end_session::{confirm, get, post};
