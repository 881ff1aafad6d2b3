//! What every module's routes share: errors rendered per surface, extractors (JSON bodies, the
//! signed-in caller, language, address), file responses, documented routes and request metrics.
pub mod error;
pub mod extract;
pub mod files;
pub mod metrics;
pub mod openapi;
