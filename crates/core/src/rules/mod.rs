//! The built-in rules, one file each under `rules/<family>/<name>.rs`.

pub mod files;
pub mod policy;

use crate::rule::RuleDef;

/// Every built-in rule, in the order `goldpath rules` lists them.
pub fn builtin() -> Vec<RuleDef> {
    vec![
        files::required::RULE,
        files::forbidden::RULE,
        files::content::RULE,
        files::max_size::RULE,
        files::binary_artifact::RULE,
        files::naming::RULE,
        policy::waiver_expired::RULE,
        policy::unread_file::RULE,
    ]
}
