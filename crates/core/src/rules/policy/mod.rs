//! `policy/*`: findings the engine reports about the policy and the run itself.

super::rule_modules! {
    baseline_stale,
    unread_file,
    waiver_expired,
}

use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::Rule;

/// The engine reports these rules itself; their table only sets the level.
struct ReportedByEngine;

impl Rule for ReportedByEngine {
    fn check(&self, _cx: &Context<'_>, _out: &mut Vec<Violation>) {}
}

fn build(_params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(ReportedByEngine))
}
