//! Approvals (审批): templates with a form and a flow, instances that follow the flow's route, the
//! boxes people work from, and the events other modules and apps hear.
pub mod flow;
pub mod form;

pub struct Approvals;

impl qixie_kernel::module::Module for Approvals {
    fn name(&self) -> &'static str {
        "approvals"
    }
}
