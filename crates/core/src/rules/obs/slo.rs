use std::collections::BTreeSet;

use super::ignored;
use super::service::judged;
use crate::context::Context;
use crate::doc::Node;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::span::Span;

declare_rule! {
    id: "obs/slo",
    summary: "A service has a valid SLO (OpenSLO v1, Sloth or Pyrra)",
    level: Warning,
    tier: Gold,
    scope: Repository { path_list: true },
    build: build,
    options: [{
        name: "required",
        kind: "boolean",
        help: "Report a service without any SLO document. Default `true`; with `false` only \
               the documents found are validated.",
    }],
    what: "In a repository judged as a service, at least one YAML file holds an SLO, and \
           every SLO document is valid. OpenSLO v1 (`apiVersion: openslo/v1`, `kind: SLO`) \
           needs `metadata.name` (an RFC 1123 label), `spec.service`, exactly one of \
           `spec.indicator` (an inline SLI with `metadata.name` and a `ratioMetric` or \
           `thresholdMetric`) or `spec.indicatorRef` (naming an `SLI` document of the \
           repository), `spec.budgetingMethod` (`Occurrences`, `Timeslices` or \
           `RatioTimeslices`), non-empty `spec.objectives` each with `target` in (0, 1) or \
           `targetPercent` in (0, 100) (and `timeSliceTarget` and `timeSliceWindow` with \
           `Timeslices`), and `spec.timeWindow`: one entry with a `duration` such as \
           `28d` and `isRolling` (a `calendar` when not rolling). Sloth \
           (`sloth.slok.dev/v1` `PrometheusServiceLevel`: `spec.service`, `spec.slos` \
           each with `name`, `objective` in (0, 100] and an `sli` of `events`, `raw` or \
           `plugin`) and Pyrra (`pyrra.dev/v1alpha1` `ServiceLevelObjective`: \
           `spec.target` in (0, 100), `spec.window`, and an `indicator` of `ratio`, \
           `latency`, `latencyNative` or `bool_gauge`) are accepted. Each problem is \
           reported at its key.",
    why: "An SLO turns \"is the service fine?\" into a number agreed in advance: it decides \
          when to page, when to slow releases down, and what reliability work is worth. \
          A malformed SLO document is silently ignored by the tools that generate alerts \
          from it.",
    example: "`slo.yaml` with `apiVersion: openslo/v1`, `kind: SLO` and `budgetingMethod: \
              Weekly` is reported at `Weekly`: ``budgetingMethod `Weekly` must be \
              Occurrences, Timeslices or RatioTimeslices``. A service without any SLO document is \
              reported once.",
    fix: "Write the service's SLOs as OpenSLO v1 documents (or Sloth / Pyrra resources) \
          in the repository, beside the service they describe, and fix each reported \
          key.",
}

struct Slo {
    required: bool,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(Slo {
        required: params.take::<bool>("required")?.unwrap_or(true),
    }))
}

/// The zero-width span at the start of a node.
pub(crate) fn start_of(span: Span) -> Span {
    Span {
        end_line: span.line,
        end_column: span.column,
        end_byte: span.start_byte,
        ..span
    }
}

struct Checker<'o> {
    out: &'o mut Vec<Violation>,
    path: String,
    /// The SLO's name, for fingerprints.
    name: String,
}

impl Checker<'_> {
    fn push(&mut self, span: Span, message: String) {
        let key = format!("{}:{message}", self.name);
        self.out
            .push(Violation::file(&self.path, message).span(span).key(key));
    }

    /// The value at `key` of `node`, or a finding at the node (its key when `at` is given).
    fn required<'n>(
        &mut self,
        node: &'n Node,
        at: Span,
        key: &str,
        context: &str,
    ) -> Option<&'n Node> {
        match node.get(key) {
            Some(v) if !v.is_null() => Some(v),
            _ => {
                self.push(start_of(at), format!("{context} has no `{key}`"));
                None
            }
        }
    }

    fn string<'n>(
        &mut self,
        node: &'n Node,
        at: Span,
        key: &str,
        context: &str,
    ) -> Option<&'n str> {
        let value = self.required(node, at, key, context)?;
        match value.as_str() {
            Some(s) if !s.trim().is_empty() => Some(s),
            _ => {
                self.push(value.span, format!("`{key}` must be a non-empty string"));
                None
            }
        }
    }

    fn number(&mut self, node: &Node, key: &str) -> Option<f64> {
        let value = node.get(key)?;
        let n = value
            .as_f64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()));
        if n.is_none() {
            self.push(value.span, format!("`{key}` must be a number"));
        }
        n
    }
}

fn key_span(node: &Node, key: &str) -> Option<Span> {
    node.get_entry(key).map(|e| e.key.span)
}

fn is_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn is_duration(text: &str, units: &str) -> bool {
    let Some(unit) = text.chars().last() else {
        return false;
    };
    let digits = &text[..text.len() - unit.len_utf8()];
    units.contains(unit) && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

fn openslo(c: &mut Checker<'_>, root: &Node, kind_span: Span, slis: &BTreeSet<String>) {
    let metadata = c.required(root, kind_span, "metadata", "the SLO");
    if let Some(metadata) = metadata {
        let at = key_span(root, "metadata").unwrap_or(kind_span);
        if let Some(name) = c.string(metadata, at, "name", "metadata") {
            c.name = name.to_owned();
            if !is_label(name) {
                let span = metadata.get("name").map_or(at, |n| n.span);
                c.push(span, format!("SLO name `{name}` must be an RFC 1123 label (lower-case letters, digits and `-`, at most 63)"));
            }
        }
    }
    let Some(spec) = c.required(root, kind_span, "spec", "the SLO") else {
        return;
    };
    let at = key_span(root, "spec").unwrap_or(kind_span);
    c.string(spec, at, "service", "spec");
    match (spec.get("indicator"), spec.get("indicatorRef")) {
        (Some(_), Some(r)) => c.push(
            r.span,
            "spec has both `indicator` and `indicatorRef`: use one".to_owned(),
        ),
        (None, None) => c.push(
            start_of(at),
            "spec has no `indicator` or `indicatorRef`".to_owned(),
        ),
        (Some(indicator), None) => {
            let at = key_span(spec, "indicator").unwrap_or(at);
            if let Some(m) = c.required(indicator, at, "metadata", "the indicator") {
                c.string(m, at, "name", "the indicator's metadata");
            }
            if let Some(s) = c.required(indicator, at, "spec", "the indicator") {
                if s.get("ratioMetric").is_none() && s.get("thresholdMetric").is_none() {
                    c.push(
                        start_of(key_span(indicator, "spec").unwrap_or(at)),
                        "the indicator's spec has no `ratioMetric` or `thresholdMetric`".to_owned(),
                    );
                }
            }
        }
        (None, Some(r)) => match r.as_str() {
            Some(name) if slis.contains(name) => {}
            Some(name) => c.push(
                r.span,
                format!("indicatorRef `{name}` names no OpenSLO SLI document in the repository"),
            ),
            None => c.push(r.span, "`indicatorRef` must be a string".to_owned()),
        },
    }
    let method = c.string(spec, at, "budgetingMethod", "spec");
    if let Some(method) = method {
        if !matches!(method, "Occurrences" | "Timeslices" | "RatioTimeslices") {
            let span = spec.get("budgetingMethod").map_or(at, |n| n.span);
            c.push(
                span,
                format!(
                    "budgetingMethod `{method}` must be Occurrences, Timeslices or RatioTimeslices"
                ),
            );
        }
    }
    if let Some(objectives) = c.required(spec, at, "objectives", "spec") {
        match objectives.as_seq() {
            Some([]) | None => c.push(
                objectives.span,
                "`objectives` must be a non-empty list".to_owned(),
            ),
            Some(list) => {
                for objective in list {
                    let target = c.number(objective, "target");
                    let percent = c.number(objective, "targetPercent");
                    match (target, percent) {
                        (None, None)
                            if objective.get("target").is_none()
                                && objective.get("targetPercent").is_none() =>
                        {
                            c.push(
                                start_of(objective.span),
                                "objective has no `target` or `targetPercent`".to_owned(),
                            )
                        }
                        (Some(t), _) if !(t > 0.0 && t < 1.0) => c.push(
                            objective.get("target").map_or(objective.span, |n| n.span),
                            format!("target {t} must be between 0 and 1 (exclusive)"),
                        ),
                        (_, Some(p)) if !(p > 0.0 && p < 100.0) => c.push(
                            objective
                                .get("targetPercent")
                                .map_or(objective.span, |n| n.span),
                            format!("targetPercent {p} must be between 0 and 100 (exclusive)"),
                        ),
                        _ => {}
                    }
                    if method == Some("Timeslices") {
                        for key in ["timeSliceTarget", "timeSliceWindow"] {
                            c.required(
                                objective,
                                objective.span,
                                key,
                                "an objective of a Timeslices SLO",
                            );
                        }
                    }
                }
            }
        }
    }
    if let Some(window) = c.required(spec, at, "timeWindow", "spec") {
        match window.as_seq() {
            Some([one]) => {
                if let Some(duration) = c.string(one, one.span, "duration", "timeWindow") {
                    if !is_duration(duration, "mhdwMQY") {
                        let span = one.get("duration").map_or(one.span, |n| n.span);
                        c.push(span, format!("timeWindow duration `{duration}` must be a number and a unit (m, h, d, w, M, Q, Y), such as 28d"));
                    }
                }
                match one.get("isRolling").map(Node::as_bool) {
                    Some(Some(true)) => {}
                    Some(Some(false)) => {
                        c.required(one, one.span, "calendar", "a calendar-aligned timeWindow");
                    }
                    Some(None) => {
                        let span = one.get("isRolling").map_or(one.span, |n| n.span);
                        c.push(span, "`isRolling` must be true or false".to_owned());
                    }
                    None => c.push(
                        start_of(one.span),
                        "timeWindow has no `isRolling`".to_owned(),
                    ),
                }
            }
            _ => c.push(
                window.span,
                "`timeWindow` must be a list of exactly one window".to_owned(),
            ),
        }
    }
}

fn sloth(c: &mut Checker<'_>, root: &Node, kind_span: Span) {
    if let Some(name) = root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
    {
        c.name = name.to_owned();
    }
    let Some(spec) = c.required(root, kind_span, "spec", "the PrometheusServiceLevel") else {
        return;
    };
    let at = key_span(root, "spec").unwrap_or(kind_span);
    c.string(spec, at, "service", "spec");
    let Some(slos) = c.required(spec, at, "slos", "spec") else {
        return;
    };
    let Some(list) = slos.as_seq().filter(|l| !l.is_empty()) else {
        c.push(slos.span, "`slos` must be a non-empty list".to_owned());
        return;
    };
    for slo in list {
        c.string(slo, slo.span, "name", "an SLO");
        match c.number(slo, "objective") {
            Some(o) if !(o > 0.0 && o <= 100.0) => c.push(
                slo.get("objective").map_or(slo.span, |n| n.span),
                format!("objective {o} must be a percentage in (0, 100]"),
            ),
            None if slo.get("objective").is_none() => {
                c.push(start_of(slo.span), "an SLO has no `objective`".to_owned())
            }
            _ => {}
        }
        if let Some(sli) = c.required(slo, slo.span, "sli", "an SLO") {
            let ok = match (sli.get("events"), sli.get("raw"), sli.get("plugin")) {
                (Some(e), None, None) => {
                    e.get("errorQuery").is_some() && e.get("totalQuery").is_some()
                }
                (None, Some(r), None) => r.get("errorRatioQuery").is_some(),
                (None, None, Some(p)) => p.get("id").is_some(),
                _ => false,
            };
            if !ok {
                c.push(
                    start_of(key_span(slo, "sli").unwrap_or(sli.span)),
                    "`sli` must have one of `events` (errorQuery, totalQuery), `raw` (errorRatioQuery) or `plugin` (id)".to_owned(),
                );
            }
        }
    }
}

fn pyrra(c: &mut Checker<'_>, root: &Node, kind_span: Span) {
    if let Some(name) = root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
    {
        c.name = name.to_owned();
    }
    let Some(spec) = c.required(root, kind_span, "spec", "the ServiceLevelObjective") else {
        return;
    };
    let at = key_span(root, "spec").unwrap_or(kind_span);
    match c.number(spec, "target") {
        Some(t) if !(t > 0.0 && t < 100.0) => c.push(
            spec.get("target").map_or(at, |n| n.span),
            format!("target {t} must be a percentage between 0 and 100 (exclusive)"),
        ),
        None if spec.get("target").is_none() => {
            c.push(start_of(at), "spec has no `target`".to_owned())
        }
        _ => {}
    }
    if let Some(window) = c.string(spec, at, "window", "spec") {
        if !is_duration(window, "smhdwy") {
            let span = spec.get("window").map_or(at, |n| n.span);
            c.push(
                span,
                format!("window `{window}` must be a number and a unit, such as 4w"),
            );
        }
    }
    if let Some(indicator) = c.required(spec, at, "indicator", "spec") {
        let known = ["ratio", "latency", "latencyNative", "bool_gauge"];
        if !known.iter().any(|k| indicator.get(k).is_some()) {
            c.push(
                start_of(key_span(spec, "indicator").unwrap_or(at)),
                "`indicator` must have one of `ratio`, `latency`, `latencyNative` or `bool_gauge`"
                    .to_owned(),
            );
        }
    }
}

/// Which SLO format a document is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    OpenSlo,
    Sloth,
    Pyrra,
}

fn format_of(root: &Node) -> Option<(Format, Span)> {
    let api = root.get("apiVersion")?.as_str()?;
    let kind_node = root.get("kind")?;
    let kind = kind_node.as_str()?;
    let format = match (api, kind) {
        ("openslo/v1", "SLO") => Format::OpenSlo,
        ("sloth.slok.dev/v1", "PrometheusServiceLevel") => Format::Sloth,
        ("pyrra.dev/v1alpha1", "ServiceLevelObjective") => Format::Pyrra,
        _ => return None,
    };
    Some((format, kind_node.span))
}

/// How many Sloth and Pyrra SLO documents the repository has (they generate alerts).
pub(crate) fn generators(cx: &Context<'_>) -> usize {
    yaml_docs(cx, |_, root| {
        format_of(root).is_some_and(|(f, _)| matches!(f, Format::Sloth | Format::Pyrra))
    })
}

fn yaml_docs(cx: &Context<'_>, mut each: impl FnMut(&str, &Node) -> bool) -> usize {
    let mut count = 0;
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
            if each(path, root) {
                count += 1;
            }
        }
    }
    count
}

impl Rule for Slo {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        let mut slis = BTreeSet::new();
        yaml_docs(cx, |_, root| {
            let sli = root.get("apiVersion").and_then(Node::as_str) == Some("openslo/v1")
                && root.get("kind").and_then(Node::as_str) == Some("SLI");
            if let Some(name) = root
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str)
            {
                if sli {
                    slis.insert(name.to_owned());
                }
            }
            false
        });
        let mut found = 0;
        yaml_docs(cx, |path, root| {
            let Some((format, kind_span)) = format_of(root) else {
                return false;
            };
            found += 1;
            let mut c = Checker {
                out: &mut *out,
                path: path.to_owned(),
                name: String::new(),
            };
            match format {
                Format::OpenSlo => openslo(&mut c, root, kind_span, &slis),
                Format::Sloth => sloth(&mut c, root, kind_span),
                Format::Pyrra => pyrra(&mut c, root, kind_span),
            }
            true
        });
        if found == 0 && self.required {
            out.push(
                Violation::repo(
                    "no SLO found: no OpenSLO v1 SLO, Sloth PrometheusServiceLevel or Pyrra \
                     ServiceLevelObjective in the repository's YAML files",
                )
                .help(service.note(
                    "define the service's SLOs (availability, latency) as OpenSLO v1 \
                     documents, such as slo/availability.yaml",
                ))
                .key("slo-missing"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const SERVICE: &str = "[settings]\nkind = \"service\"\n[rules.\"obs/slo\"]\n";

    fn messages(files: &[(&str, &str)]) -> Vec<(u32, u32, String)> {
        check(SERVICE, files)
            .into_iter()
            .filter(|f| f.rule == "obs/slo")
            .map(|f| {
                (
                    f.span.map_or(0, |s| s.line),
                    f.span.map_or(0, |s| s.column),
                    f.message,
                )
            })
            .collect()
    }

    pub(crate) const OPENSLO: &str = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: checkout-availability\nspec:\n  service: checkout\n  indicator:\n    metadata:\n      name: good-requests\n    spec:\n      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total{code!~\"5..\"}[1m]))'}}}\n        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total[1m]))'}}}\n  budgetingMethod: Occurrences\n  objectives:\n    - displayName: Available\n      target: 0.995\n  timeWindow:\n    - duration: 28d\n      isRolling: true\n";

    #[test]
    fn a_valid_openslo_document_passes() {
        assert!(messages(&[("slo/availability.yaml", OPENSLO)]).is_empty());
    }

    #[test]
    fn each_problem_is_at_its_key() {
        let bad = OPENSLO
            .replace("name: checkout-availability", "name: Checkout_Availability")
            .replace("Occurrences", "Weekly")
            .replace("target: 0.995", "target: 99.5")
            .replace("duration: 28d", "duration: 4 weeks")
            .replace("  service: checkout\n", "");
        let found = messages(&[("slo.yaml", &bad)]);
        let texts: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
        assert_eq!(found.len(), 5, "{found:?}");
        assert!(texts[0].starts_with("SLO name `Checkout_Availability` must be an RFC 1123 label"));
        assert_eq!(texts[1], "spec has no `service`");
        assert_eq!((found[1].0, found[1].1), (5, 1));
        assert!(texts.contains(
            &"budgetingMethod `Weekly` must be Occurrences, Timeslices or RatioTimeslices"
        ));
        assert!(
            found
                .iter()
                .any(|(l, c, m)| *l == 14 && *c == 20 && m.starts_with("budgetingMethod")),
            "{found:?}"
        );
        assert!(texts.contains(&"target 99.5 must be between 0 and 1 (exclusive)"));
        assert!(texts
            .iter()
            .any(|t| t.starts_with("timeWindow duration `4 weeks`")));
    }

    #[test]
    fn indicator_refs_and_missing_documents() {
        let by_ref = OPENSLO.replace(
            "  indicator:\n    metadata:\n      name: good-requests\n    spec:\n      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total{code!~\"5..\"}[1m]))'}}}\n        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total[1m]))'}}}\n",
            "  indicatorRef: good-requests\n",
        );
        let found = messages(&[("slo.yaml", &by_ref)]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].2,
            "indicatorRef `good-requests` names no OpenSLO SLI document in the repository"
        );
        let sli = "apiVersion: openslo/v1\nkind: SLI\nmetadata:\n  name: good-requests\nspec:\n  ratioMetric: {}\n";
        assert!(messages(&[("slo.yaml", &by_ref), ("sli.yaml", sli)]).is_empty());
        let none = messages(&[("README.md", "x")]);
        assert_eq!(none.len(), 1);
        assert!(none[0].2.starts_with("no SLO found"));
    }

    #[test]
    fn sloth_and_pyrra() {
        let sloth = "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata:\n  name: checkout\nspec:\n  service: checkout\n  slos:\n    - name: requests-availability\n      objective: 99.9\n      sli:\n        events:\n          errorQuery: sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))\n          totalQuery: sum(rate(http_requests_total[{{.window}}]))\n";
        let pyrra = "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: checkout\nspec:\n  target: \"99.5\"\n  window: 4w\n  indicator:\n    ratio:\n      errors: {metric: 'http_requests_total{code=~\"5..\"}'}\n      total: {metric: http_requests_total}\n";
        assert!(messages(&[("sloth.yaml", sloth), ("pyrra.yaml", pyrra)]).is_empty());
        let bad_sloth = sloth
            .replace("objective: 99.9", "objective: 120")
            .replace("events:", "metrics:");
        let found = messages(&[("sloth.yaml", &bad_sloth)]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].2.starts_with("objective 120 must be a percentage"));
        let bad_pyrra = pyrra.replace("window: 4w", "window: month");
        let found = messages(&[("pyrra.yaml", &bad_pyrra)]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].0, found[0].2.as_str()),
            (7, "window `month` must be a number and a unit, such as 4w")
        );
    }

    #[test]
    fn timeslices_and_calendar_windows() {
        let timeslices = OPENSLO.replace("Occurrences", "Timeslices");
        let found = messages(&[("slo.yaml", &timeslices)]);
        let texts: Vec<&str> = found.iter().map(|f| f.2.as_str()).collect();
        assert_eq!(
            texts,
            [
                "an objective of a Timeslices SLO has no `timeSliceTarget`",
                "an objective of a Timeslices SLO has no `timeSliceWindow`"
            ]
        );
        let calendar = OPENSLO.replace("isRolling: true", "isRolling: false");
        let found = messages(&[("slo.yaml", &calendar)]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].2,
            "a calendar-aligned timeWindow has no `calendar`"
        );
        let two = OPENSLO.replace(
            "      isRolling: true\n",
            "      isRolling: true\n    - duration: 7d\n      isRolling: true\n",
        );
        let found = messages(&[("slo.yaml", &two)]);
        assert_eq!(
            found[0].2,
            "`timeWindow` must be a list of exactly one window"
        );
    }
}
