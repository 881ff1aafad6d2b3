//! Administration: creating an enterprise, the administration console's routes (enterprise profile,
//! security policy, administrators and their scopes, the audit log).
pub mod audit_log;
pub mod corp;
pub mod http;

pub struct Admin;

impl qixie_kernel::module::Module for Admin {
    fn name(&self) -> &'static str {
        "admin"
    }
    fn routes(&self) -> qixie_kernel::http::openapi::ApiRoutes {
        http::routes()
    }
}
