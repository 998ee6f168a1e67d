use super::service::{catalog, judged};
use super::{file_name, ignored};
use crate::context::Context;
use crate::doc::Node;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "obs/runbook",
    summary: "A service links or contains its runbook",
    level: Warning,
    tier: Gold,
    scope: Repository { path_list: true },
    build: build,
    options: [{
        name: "files",
        kind: "array of globs",
        help: "More files that count as a runbook (such as `[\"ops/playbook.md\"]`), \
               besides `RUNBOOK.md`, `runbook*.md` and anything under a `runbook/` or \
               `runbooks/` directory.",
    }],
    what: "In a repository judged as a service, a runbook is found in one of: a \
           `catalog-info.yaml` link (`metadata.links`) whose URL, title or type mentions \
           a runbook; a catalog annotation whose key or value does; a `runbook_url` \
           annotation on an alerting rule; or a document: a Markdown, AsciiDoc or \
           reStructuredText file named `runbook*` (such as `RUNBOOK.md` or \
           `docs/runbook-checkout.md`), or any file under a `runbook/` or `runbooks/` \
           directory.",
    why: "At three in the morning the on-call engineer needs the service's failure modes, \
          dashboards and safe actions in one place they can find from the alert or the \
          catalog, not in someone's head.",
    example: "A service with a catalog-info.yaml and no runbook anywhere is reported at \
              catalog-info.yaml: `no runbook found: ...`; adding `links: [{url: \
              https://runbooks.example.com/checkout, title: Runbook}]` fixes it.",
    fix: "Write the runbook (docs/runbook.md in the repository, or a page elsewhere) and \
          link it from catalog-info.yaml's `metadata.links` and from each alert's \
          `runbook_url`.",
}

struct Runbook {
    files: Option<GlobList>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(Runbook {
        files: params.take_globs("files")?,
    }))
}

fn mentions(text: &str) -> bool {
    text.to_ascii_lowercase().contains("runbook")
}

/// Whether a path is a runbook document.
fn is_runbook_doc(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = file_name(&lower);
    let doc = [".md", ".markdown", ".adoc", ".rst", ".txt"]
        .iter()
        .any(|e| name.ends_with(e));
    let in_dir = lower
        .split('/')
        .rev()
        .skip(1)
        .any(|d| d == "runbook" || d == "runbooks");
    (doc && name.starts_with("runbook")) || in_dir
}

impl Runbook {
    fn evidence(&self, cx: &Context<'_>) -> Option<String> {
        for entity in catalog(cx).iter() {
            if let Some((url, ..)) = entity
                .links
                .iter()
                .find(|(url, title, ty, _)| mentions(url) || mentions(title) || mentions(ty))
            {
                return Some(format!("link {url} in {}", entity.path));
            }
            if let Some((key, ..)) = entity
                .annotations
                .iter()
                .find(|(k, v, _)| mentions(k) || mentions(v))
            {
                return Some(format!("annotation {key} in {}", entity.path));
            }
        }
        let mut alert = None;
        super::alert_rules::for_each_alert(cx, |path, rule| {
            let url = rule
                .get("annotations")
                .and_then(|a| a.get("runbook_url"))
                .and_then(Node::as_str)
                .filter(|u| !u.trim().is_empty());
            if alert.is_none() && url.is_some() {
                alert = Some(format!("runbook_url of an alert in {path}"));
            }
        });
        if alert.is_some() {
            return alert;
        }
        cx.all_files()
            .iter()
            .map(|f| f.path.as_str())
            .filter(|p| !ignored(p))
            .find(|p| is_runbook_doc(p) || self.files.as_ref().is_some_and(|g| g.is_match(p)))
            .map(str::to_owned)
    }
}

impl Rule for Runbook {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        if let Some(found) = self.evidence(cx) {
            tracing::debug!(%found, "obs/runbook: runbook found");
            return;
        }
        let message = "no runbook found: no runbook link or annotation in catalog-info.yaml, \
                       no runbook_url on an alerting rule, and no RUNBOOK.md, runbook*.md or \
                       runbooks/ document";
        let catalog_file = catalog(cx).first().map(|e| e.path.clone());
        let v = match catalog_file {
            Some(path) => Violation::file(path, message),
            None => Violation::repo(message),
        };
        out.push(
            v.help(service.note(
                "write the runbook (such as docs/runbook.md) and link it from catalog-info.yaml \
                 `metadata.links` and each alert's `runbook_url`",
            ))
            .key("runbook"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const SERVICE: &str = "[settings]\nkind = \"service\"\n[rules.\"obs/runbook\"]\n";

    fn paths(policy: &str, files: &[(&str, &str)]) -> Vec<String> {
        check(policy, files)
            .into_iter()
            .filter(|f| f.rule == "obs/runbook")
            .map(|f| f.path.unwrap_or_default())
            .collect()
    }

    const CATALOG: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  type: service\n  owner: team-a\n  lifecycle: production\n";

    #[test]
    fn reported_at_the_catalog_when_nothing_is_found() {
        assert_eq!(
            paths(SERVICE, &[("catalog-info.yaml", CATALOG)]),
            ["catalog-info.yaml"]
        );
        assert_eq!(paths(SERVICE, &[("README.md", "x")]), [""]);
        assert_eq!(paths(SERVICE, &[("examples/RUNBOOK.md", "x")]), [""]);
    }

    #[test]
    fn any_source_of_a_runbook_counts() {
        let linked = CATALOG.replace(
            "  name: checkout\n",
            "  name: checkout\n  links:\n    - url: https://wiki.example.com/x\n      title: Checkout runbook\n",
        );
        let annotated = CATALOG.replace(
            "  name: checkout\n",
            "  name: checkout\n  annotations:\n    example.com/runbook: https://wiki.example.com/x\n",
        );
        let alert = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations: {runbook_url: 'https://x'}\n";
        for files in [
            vec![("catalog-info.yaml", linked.as_str())],
            vec![("catalog-info.yaml", annotated.as_str())],
            vec![("alerts.yml", alert)],
            vec![("RUNBOOK.md", "# Runbook")],
            vec![("docs/runbook-checkout.md", "# Runbook")],
            vec![("docs/runbooks/high-error-rate.md", "x")],
        ] {
            assert!(paths(SERVICE, &files).is_empty(), "{files:?}");
        }
        let policy = format!("{SERVICE}files = [\"ops/playbook.md\"]\n");
        assert!(paths(&policy, &[("ops/playbook.md", "x")]).is_empty());
        assert_eq!(paths(SERVICE, &[("ops/playbook.md", "x")]).len(), 1);
    }
}
