//! The one list of modules. Startup installs, migrates and starts them from it; the router takes
//! their routes from it. Adding a module is one line here.
use qixie_kernel::module::Module;

/// Every module, in layer order: a module may use those listed before it, never those after.
pub const MODULES: &[&dyn Module] = &[
    &qixie_org::Org,
    &qixie_identity::Identity,
    &qixie_admin::Admin,
    &qixie_apps::Apps,
    &qixie_chat::Chat,
    &qixie_approvals::Approvals,
    &qixie_attendance::Attendance,
    &qixie_wecom::WeCom,
];
