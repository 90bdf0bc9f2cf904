//! Access tokens and client assertion ids.
