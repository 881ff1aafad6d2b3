//! Routes of the attendance API (docs/api/attendance.md), under `/attendance`.
use qixie_kernel::http::openapi::ApiRoutes;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default().merge(crate::leave::http::routes())
}
