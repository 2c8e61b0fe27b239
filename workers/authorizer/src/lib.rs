//! The Lambda REQUEST authorizer of wsflow's WebSocket `$connect` route: it checks that the
//! handshake came through CloudFront (when configured), finds the client's JWT, verifies it and
//! answers API Gateway with an IAM policy. Also the minting of the HS256
//! tokens it accepts, for `wsflow token` and tests.
//!
//! A [`ConnectRequest`] is the event API Gateway sends; [`ConnectRequest::token`] finds the token
//! in the `Authorization: Bearer …` header, else in the `token` query string parameter (browsers
//! cannot set headers on a WebSocket handshake). The [`Authorizer`] is built from an
//! [`AuthorizerConfig`] (environment variables: the audience, optionally the issuer, and at
//! least one key source) and picks the key by the token's algorithm: HS256 checks against a
//! shared key, the SecretString of a Secrets Manager secret ([`secret::SharedSecret`]); RS256
//! against the public key a JWKS URL publishes under the token's `kid` ([`jwks::Jwks`]). Each key
//! is loaded on the first token that needs it and kept. [`verification::verify`] checks the token
//! with a [`VerificationKey`](verification::VerificationKey), which fixes the algorithm: the
//! token's header never chooses how its signature is checked.
//!
//! With `ORIGIN_SECRET_ID` set, every handshake must first carry the origin secret CloudFront adds
//! as the `X-Origin-Verify` header ([`origin`]), compared in constant time; one without it
//! bypassed CloudFront and is unauthorized whatever its token.
//!
//! The outcome is a [`Decision`], and [`Decision::response`] the answer API Gateway expects:
//!
//! - a missing or wrong origin header: `Unauthorized` (401);
//! - no usable token (missing, malformed, forged, expired, …): the function fails with the
//!   message `Unauthorized`, which API Gateway answers with 401;
//! - a genuine token issued for another audience or issuer: a `Deny` policy (403);
//! - otherwise an `Allow` policy for the route, with the token's `sub` as `context.userId`.
//!
//! A key or origin secret that cannot be loaded is an outage, not the client's fault: the invocation fails with
//! another message, which API Gateway answers with 500.
//!
//! [`mint::mint`] signs a [`mint::Grant`] (subject, audience, issuer, lifetime) with an HS256 key
//! into a token the authorizer accepts.

#![warn(missing_docs)]

pub mod authorizer;
pub mod config;
pub mod decision;
pub mod jwks;
pub mod mint;
pub mod origin;
pub mod request;
pub mod secret;
pub mod verification;

pub use authorizer::Authorizer;
pub use config::AuthorizerConfig;
pub use decision::Decision;
pub use request::ConnectRequest;
