//! Administration: the enterprise itself (set-up, profile, security policy), administrators and their
//! scopes, and the audit log's routes.
pub mod corp;
pub mod http;
pub mod roles;
