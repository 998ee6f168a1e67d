//! The built-in rules, one file each under `rules/<family>/<name>.rs`.

/// Declares a family's rule modules. A rule's file opens with its `declare_rule!`, which holds
/// its id and documentation; the module's own doc says only where to look, so the id is not
/// written a second time in a `//!` header.
macro_rules! rule_modules {
    ($($name:ident),* $(,)?) => {
        $(
            /// One built-in rule: its `RULE` (id, metadata and documentation, as `goldpath
            /// explain` shows them), its options and its check.
            pub mod $name;
        )*
    };
}
use rule_modules;

pub mod ci;
pub mod deps;
pub mod files;
pub mod obs;
pub mod ownership;
pub mod policy;
pub mod security;

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
        ci::config_missing::RULE,
        ci::invalid_yaml::RULE,
        ci::required_workflow::RULE,
        ci::unpinned_action::RULE,
        ci::permissions_missing::RULE,
        ci::excessive_permissions::RULE,
        ci::dangerous_trigger::RULE,
        ci::template_injection::RULE,
        ci::missing_timeout::RULE,
        ci::unpinned_image::RULE,
        ci::persist_credentials::RULE,
        ci::github_env::RULE,
        ci::bot_condition::RULE,
        ci::secrets_overexposed::RULE,
        ci::secrets_unredacted::RULE,
        ci::insecure_commands::RULE,
        ci::container_credentials::RULE,
        ci::unsound_contains::RULE,
        ci::unsound_condition::RULE,
        ci::update_tool_missing::RULE,
        ci::cache_poisoning::RULE,
        ci::archived_action::RULE,
        ci::typosquat_action::RULE,
        ci::vulnerable_action::RULE,
        ci::dependabot_cooldown::RULE,
        ci::dependabot_execution::RULE,
        ci::gitlab_include_unpinned::RULE,
        ci::gitlab_image_unpinned::RULE,
        ci::gitlab_required_job::RULE,
        deps::lockfile_missing::RULE,
        deps::lockfile_stale::RULE,
        deps::wildcard_version::RULE,
        deps::banned::RULE,
        deps::invalid_manifest::RULE,
        deps::source_not_allowed::RULE,
        deps::duplicate_versions::RULE,
        deps::license::RULE,
        ownership::codeowners_missing::RULE,
        ownership::codeowners_multiple_files::RULE,
        ownership::codeowners_syntax::RULE,
        ownership::owner_format::RULE,
        ownership::unknown_owner::RULE,
        ownership::duplicate_pattern::RULE,
        ownership::shadowed_pattern::RULE,
        ownership::pattern_matches_nothing::RULE,
        ownership::unowned_files::RULE,
        ownership::catalog_info::RULE,
        security::security_policy::RULE,
        security::license::RULE,
        security::secrets::RULE,
        security::dockerfile_pinned::RULE,
        security::dockerfile_user::RULE,
        obs::tracing_sdk::RULE,
        obs::metrics::RULE,
        obs::structured_logging::RULE,
        obs::health_check::RULE,
        obs::otel_config::RULE,
        obs::slo::RULE,
        obs::alert_rules::RULE,
        obs::runbook::RULE,
        obs::deprecated_instrumentation::RULE,
        policy::waiver_expired::RULE,
        policy::unread_file::RULE,
        policy::baseline_stale::RULE,
    ]
}
