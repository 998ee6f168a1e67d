use super::ignored;
use super::service::judged;
use crate::context::Context;
use crate::doc::Node;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "obs/alert-rules",
    summary: "Every alerting rule has a severity, a summary and a runbook_url",
    level: Warning,
    tier: Silver,
    scope: Repository { path_list: true },
    build: build,
    options: [
        {
            name: "required",
            kind: "boolean",
            help: "Report a service with no alerting rule at all (a Sloth or Pyrra SLO, which \
                   generate alerts, counts as one). Default `true`.",
        },
        {
            name: "severities",
            kind: "array of strings",
            help: "The allowed values of the `severity` label (such as `[\"critical\", \
                   \"warning\", \"info\"]`). Default: any non-empty value.",
        },
    ],
    what: "In a repository judged as a service, every alerting rule (a rule with \
           `alert:`) of Prometheus rule files (YAML with `groups:` of `rules:`) and of \
           `PrometheusRule` objects (`monitoring.coreos.com/v1`) has an `expr`, a \
           `severity` label, a `summary` annotation and a `runbook_url` annotation, all \
           non-empty; each missing one is reported at the alert's name. Recording rules \
           are not judged. A service with no alerting rule, and no Sloth or Pyrra SLO to \
           generate them, is reported once. Helm templates are not YAML and are not read.",
    why: "The person paged at night sees the alert's labels and annotations, not the \
          rule file: the severity routes it, the summary says what broke, the runbook \
          says what to do. An alert without them costs the first minutes of every \
          incident.",
    example: "```yaml\ngroups:\n  - name: checkout\n    rules:\n      - alert: \
              HighErrorRate\n        expr: job:errors:ratio5m > 0.05\n        labels: \
              {severity: page}\n        annotations: {summary: Errors above 5%}\n```\nis \
              reported at `HighErrorRate`: ``alert `HighErrorRate` has no runbook_url \
              annotation``.",
    fix: "Add `labels.severity`, `annotations.summary` and `annotations.runbook_url` \
          (a link to the runbook section for this alert) to every alerting rule.",
}

struct AlertRules {
    required: bool,
    severities: Option<Vec<String>>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(AlertRules {
        required: params.take::<bool>("required")?.unwrap_or(true),
        severities: params.take::<Vec<String>>("severities")?,
    }))
}

/// The rule groups of a document: a Prometheus rule file or a PrometheusRule object.
pub(crate) fn groups(root: &Node) -> Option<&[Node]> {
    let prometheus_rule = root.get("kind").and_then(Node::as_str) == Some("PrometheusRule")
        && root
            .get("apiVersion")
            .and_then(Node::as_str)
            .is_some_and(|a| a.starts_with("monitoring.coreos.com/"));
    let groups = if prometheus_rule {
        root.get("spec")?.get("groups")?
    } else {
        root.get("groups")?
    };
    let list = groups.as_seq()?;
    list.iter()
        .all(|g| g.get("rules").is_some_and(|r| r.as_seq().is_some()))
        .then_some(list)
}

/// Every alerting rule of the repository: (path, rule node).
pub(crate) fn for_each_alert(cx: &Context<'_>, mut each: impl FnMut(&str, &Node)) {
    for file in cx.all_files() {
        let path = file.path.as_str();
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) || ignored(path) {
            continue;
        }
        let Some(docs) = cx.documents(file) else {
            continue;
        };
        let Ok(docs) = docs.as_ref() else { continue };
        for root in docs {
            for group in groups(root).unwrap_or_default() {
                for rule in group
                    .get("rules")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                {
                    if rule.get("alert").is_some() {
                        each(path, rule);
                    }
                }
            }
        }
    }
}

fn non_empty(node: Option<&Node>) -> Option<&str> {
    node.and_then(Node::as_str).filter(|s| !s.trim().is_empty())
}

impl Rule for AlertRules {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        let mut alerts = 0;
        for_each_alert(cx, |path, rule| {
            alerts += 1;
            let alert_node = rule.get("alert");
            let name = non_empty(alert_node).unwrap_or("?");
            let span = alert_node.map_or(rule.span, |n| n.span);
            let labels = rule.get("labels");
            let annotations = rule.get("annotations");
            let mut missing = Vec::new();
            if rule.get("expr").is_none_or(Node::is_null) {
                missing.push(("expr".to_owned(), "add the PromQL condition as `expr`"));
            }
            match non_empty(labels.and_then(|l| l.get("severity"))) {
                None => missing.push(("severity label".to_owned(), "add `labels.severity`")),
                Some(severity) => {
                    if let Some(allowed) = &self.severities {
                        if !allowed.iter().any(|a| a == severity) {
                            let v = labels
                                .and_then(|l| l.get("severity"))
                                .map_or(span, |n| n.span);
                            out.push(
                                Violation::file(
                                    path,
                                    format!(
                                        "alert `{name}` has severity `{severity}`, not one of {}",
                                        allowed.join(", ")
                                    ),
                                )
                                .span(v)
                                .key(format!("{name}:severity-value")),
                            );
                        }
                    }
                }
            }
            for key in ["summary", "runbook_url"] {
                if non_empty(annotations.and_then(|a| a.get(key))).is_none() {
                    missing.push((format!("{key} annotation"), "add it under `annotations`"));
                }
            }
            for (what, help) in missing {
                out.push(
                    Violation::file(path, format!("alert `{name}` has no {what}"))
                        .span(span)
                        .help(help)
                        .key(format!("{name}:{what}")),
                );
            }
        });
        if alerts == 0 && self.required && super::slo::generators(cx) == 0 {
            out.push(
                Violation::repo(
                    "no alerting rules found: no Prometheus rule file or PrometheusRule with \
                     an `alert:`, and no Sloth or Pyrra SLO to generate them",
                )
                .help(service.note(
                    "alert on the service's SLOs (burn rate) and symptoms, in a Prometheus \
                     rule file or PrometheusRule",
                ))
                .key("alerts-missing"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const SERVICE: &str = "[settings]\nkind = \"service\"\n[rules.\"obs/alert-rules\"]\n";

    fn messages(policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, u32, String)> {
        check(policy, files)
            .into_iter()
            .filter(|f| f.rule == "obs/alert-rules")
            .map(|f| {
                (
                    f.path.clone().unwrap_or_default(),
                    f.span.map_or(0, |s| s.line),
                    f.span.map_or(0, |s| s.column),
                    f.message,
                )
            })
            .collect()
    }

    pub(crate) const RULES: &str = "groups:\n  - name: checkout\n    rules:\n      - record: job:errors:ratio5m\n        expr: sum(rate(errors[5m]))\n      - alert: HighErrorRate\n        expr: job:errors:ratio5m > 0.05\n        labels:\n          severity: page\n        annotations:\n          summary: Errors above 5%\n          runbook_url: https://runbooks.example.com/checkout#high-error-rate\n";

    #[test]
    fn complete_alerts_pass_and_each_gap_is_reported() {
        assert!(messages(SERVICE, &[("alerts/checkout.rules.yml", RULES)]).is_empty());
        let bad = RULES
            .replace(
                "          runbook_url: https://runbooks.example.com/checkout#high-error-rate\n",
                "",
            )
            .replace("        labels:\n          severity: page\n", "");
        let found = messages(SERVICE, &[("alerts.yml", &bad)]);
        let texts: Vec<&str> = found.iter().map(|f| f.3.as_str()).collect();
        assert_eq!(
            texts,
            [
                "alert `HighErrorRate` has no runbook_url annotation",
                "alert `HighErrorRate` has no severity label"
            ]
        );
        assert_eq!((found[0].1, found[0].2), (6, 16));
    }

    #[test]
    fn prometheus_rule_objects_and_severities() {
        let object = format!(
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {{name: checkout}}\nspec:\n{}",
            RULES.lines().map(|l| format!("  {l}\n")).collect::<String>()
        );
        assert!(messages(SERVICE, &[("k8s/rules.yaml", &object)]).is_empty());
        let policy = format!("{SERVICE}severities = [\"critical\", \"warning\"]\n");
        let found = messages(&policy, &[("k8s/rules.yaml", &object)]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].3,
            "alert `HighErrorRate` has severity `page`, not one of critical, warning"
        );
        assert_eq!(found[0].1, 13);
    }

    #[test]
    fn no_alerts_at_all() {
        let found = messages(SERVICE, &[("README.md", "x")]);
        assert_eq!(found.len(), 1);
        assert!(found[0].3.starts_with("no alerting rules found"));
        let policy = format!("{SERVICE}required = false\n");
        assert!(messages(&policy, &[("README.md", "x")]).is_empty());
        let sloth = "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata: {name: x}\nspec: {service: x, slos: []}\n";
        assert!(messages(SERVICE, &[("sloth.yaml", sloth)]).is_empty());
    }
}
