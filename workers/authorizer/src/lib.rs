//! The Lambda REQUEST authorizer of the WebSocket `$connect` route: finds the client's JWT
//! (`Authorization: Bearer …` header, else the `token` query string parameter), verifies it
//! (HS256 with a Secrets Manager key, RS256 against a JWKS) and answers API Gateway:
//!
//! - no usable token (missing, malformed, forged, expired, …): the function fails with the
//!   message `Unauthorized`, which API Gateway answers with 401;
//! - a genuine token issued for another audience or issuer: a `Deny` policy (403);
//! - otherwise an `Allow` policy for the route, with the token's `sub` as `context.userId`.
//!
//! Also the minting of HS256 tokens, for `wsflow token` and tests.

#![warn(missing_docs)]

pub mod authorizer;
pub mod config;
pub mod decision;
pub mod jwks;
pub mod mint;
pub mod request;
pub mod secret;
pub mod verification;

pub use authorizer::Authorizer;
pub use config::AuthorizerConfig;
pub use decision::Decision;
pub use request::ConnectRequest;
