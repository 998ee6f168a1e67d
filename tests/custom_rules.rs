//! End to end: custom declarative rules (`[[custom]]`) through the command line.

mod common;

use common::{rules_and_paths, Repo};

const POLICY: &str = r#"
[[custom]]
id = "catalog/runbook"
message = "production services link a runbook"
help = "add a link to the runbook under metadata.links"
tier = "silver"
when = { file = "catalog-info.yaml", key = "spec.lifecycle", equals = "production" }
require = { file = "catalog-info.yaml", key = "metadata.links[*].url" }
"#;

const PRODUCTION: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-payments
";

fn repo(catalog: &str) -> Repo {
    let repo = Repo::plain();
    repo.write("goldpath.toml", POLICY)
        .write("catalog-info.yaml", catalog);
    repo
}

#[test]
fn a_production_service_without_a_runbook_link_is_reported() {
    let repo = repo(PRODUCTION);
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        rules_and_paths(&report),
        [("catalog/runbook".to_owned(), "catalog-info.yaml".to_owned())]
    );
    let finding = &report["findings"][0];
    assert_eq!(
        finding["message"],
        "production services link a runbook: metadata.links[*].url is missing in catalog-info.yaml"
    );
    assert_eq!(
        finding["help"],
        "add a link to the runbook under metadata.links"
    );
    assert_eq!(finding["level"], "error");
    assert_eq!(finding["tier"], "silver");
}

#[test]
fn a_runbook_link_passes() {
    let linked = PRODUCTION.replace(
        "  name: payments\n",
        "  name: payments\n  links:\n    - url: https://runbooks.example.com/payments\n      title: Runbook\n",
    );
    let (code, report) = repo(&linked).check_json(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(rules_and_paths(&report).is_empty(), "{report:#}");
}

#[test]
fn the_rule_does_not_apply_when_its_condition_is_false() {
    let experimental = PRODUCTION.replace("production", "experimental");
    let (code, report) = repo(&experimental).check_json(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(rules_and_paths(&report).is_empty(), "{report:#}");
}

#[test]
fn a_malformed_catalog_is_reported_at_its_error() {
    let (code, report) = repo("spec:\n  lifecycle: [production\n").check_json(&[]);
    assert_eq!(code, 1, "{report:#}");
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "catalog/runbook");
    assert!(
        finding["message"]
            .as_str()
            .unwrap_or_default()
            .contains("catalog-info.yaml is not valid YAML"),
        "{finding:#}"
    );
    assert!(finding["span"]["line"].is_u64(), "{finding:#}");
}

#[test]
fn a_policy_error_in_a_custom_rule_names_its_position() {
    let repo = Repo::plain();
    repo.write(
        "goldpath.toml",
        "[[custom]]\nid = \"catalog/owner\"\nmessage = \"m\"\nrequire = { file = \"catalog-info.yaml\", key = \"spec..owner\" }\n",
    );
    let output = repo
        .goldpath()
        .args(["check"])
        .output()
        .expect("run goldpath");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("goldpath.toml:4:53: invalid key path `spec..owner`"),
        "{stderr}"
    );
}
