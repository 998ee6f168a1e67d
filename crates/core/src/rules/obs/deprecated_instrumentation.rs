use std::collections::BTreeSet;

use serde::Deserialize;

use super::service::judged;
use super::{deps, judged_ecosystems, take_ecosystems, Eco, Pattern, ECOSYSTEMS_OPTION};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::options::take_entries;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "obs/deprecated-instrumentation",
    summary: "No deprecated instrumentation (OpenTracing, OpenCensus, Jaeger clients)",
    level: Warning,
    tier: Bronze,
    scope: Repository { path_list: true },
    build: build,
    options: [
        ECOSYSTEMS_OPTION,
        {
            name: "packages",
            kind: "array of tables",
            help: "More deprecated packages: `[{ ecosystem = \"npm\", package = \
                   \"@acme/old-tracer\", use-instead = \"@opentelemetry/api\", reason = \
                   \"...\" }]` (`package` accepts `prefix*`; `reason` is optional).",
        },
    ],
    what: "In a repository judged as a service, no manifest declares a package that \
           `ecosystems.toml` lists as deprecated instrumentation: OpenTracing APIs and \
           contrib libraries, OpenCensus, the retired Jaeger clients, the removed or \
           deprecated OpenTelemetry Jaeger exporters, Spring Cloud Sleuth. Each \
           declaration is reported at its line, with what to use instead and why. \
           Development dependencies are not judged.",
    why: "OpenTracing and OpenCensus are archived and their bridges are in maintenance at \
          best; the Jaeger clients stopped receiving fixes, and Jaeger ingests OTLP \
          natively. Staying on them means missed security fixes and instrumentation that \
          new libraries no longer support.",
    example: "package.json with `\"jaeger-client\": \"^3.19.0\"` is reported at that line: \
              `` `jaeger-client` is deprecated instrumentation: use `@opentelemetry/sdk-node \
              with @opentelemetry/exporter-trace-otlp-http` instead ``.",
    fix: "Migrate to OpenTelemetry: replace the API calls with the OpenTelemetry API (the \
          OpenTracing and OpenCensus shims help during the move) and export over OTLP.",
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    ecosystem: String,
    package: String,
    use_instead: String,
    reason: Option<String>,
}

struct Deprecated {
    only: Option<BTreeSet<Eco>>,
    /// (pattern, as written, use instead, reason).
    packages: Vec<(Pattern, String, String, Option<String>)>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let only = take_ecosystems(params)?;
    let mut packages = Vec::new();
    for eco in Eco::ALL {
        for entry in &eco.data().deprecated {
            if let Ok(p) = Pattern::parse(eco, &entry.package) {
                packages.push((
                    p,
                    entry.package.clone(),
                    entry.use_instead.clone(),
                    entry.reason.clone(),
                ));
            }
        }
    }
    for (entry, origin) in take_entries::<Entry>(params, "packages")? {
        let Some(eco) = Eco::from_name(&entry.ecosystem) else {
            return Err(origin.narrow_to(&entry.ecosystem).error(format!(
                "unknown ecosystem `{}` (expected cargo, npm, go, pypi or jvm)",
                entry.ecosystem
            )));
        };
        let pattern = Pattern::parse(eco, &entry.package)
            .map_err(|e| origin.narrow_to(&entry.package).error(e))?;
        packages.push((pattern, entry.package, entry.use_instead, entry.reason));
    }
    Ok(Box::new(Deprecated { only, packages }))
}

impl Rule for Deprecated {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        let deps = deps(cx);
        let ecos = judged_ecosystems(&deps, self.only.as_ref());
        for dep in deps.deps.iter().filter(|d| ecos.contains(&d.eco)) {
            let Some((_, _, instead, reason)) = self.packages.iter().find(|(p, ..)| p.matches(dep))
            else {
                continue;
            };
            let mut v = Violation::file(
                &dep.path,
                format!(
                    "`{}` is deprecated instrumentation: use `{instead}` instead",
                    dep.name
                ),
            )
            .key(format!("{}:{}", dep.eco.key(), dep.name));
            if let Some(span) = dep.span {
                v = v.span(span);
            }
            let help = match reason {
                Some(reason) => format!("{reason}; migrate to `{instead}`"),
                None => format!("migrate to `{instead}`"),
            };
            out.push(v.help(service.note(&help)));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::policy_error;

    const SERVICE: &str =
        "[settings]\nkind = \"service\"\n[rules.\"obs/deprecated-instrumentation\"]\n";

    fn messages(policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, String)> {
        crate::testing::messages_of("obs/deprecated-instrumentation", policy, files)
    }

    #[test]
    fn each_declaration_is_reported_with_its_replacement() {
        let npm = "{\n  \"dependencies\": {\n    \"express\": \"^4\",\n    \"jaeger-client\": \"^3.19.0\",\n    \"opentracing\": \"^0.14\"\n  },\n  \"devDependencies\": {\"@opencensus/core\": \"*\"}\n}\n";
        let found = messages(SERVICE, &[("package.json", npm)]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].1, 4);
        assert_eq!(
            found[0].2,
            "`jaeger-client` is deprecated instrumentation: use `@opentelemetry/sdk-node with @opentelemetry/exporter-trace-otlp-http` instead"
        );
        assert_eq!(
            found[1].2,
            "`opentracing` is deprecated instrumentation: use `@opentelemetry/api` instead"
        );
        let gradle =
            "dependencies {\n  implementation 'io.opentracing:opentracing-api:0.33.0'\n}\n";
        let found = messages(SERVICE, &[("build.gradle", gradle)]);
        assert_eq!((found[0].1, found[0].2.as_str()), (2, "`io.opentracing:opentracing-api` is deprecated instrumentation: use `io.opentelemetry:opentelemetry-api` instead"));
        let go = "module m\nrequire github.com/opentracing/opentracing-go v1.2.0\n";
        assert_eq!(messages(SERVICE, &[("go.mod", go)]).len(), 1);
    }

    #[test]
    fn policy_packages() {
        let policy = format!("{SERVICE}packages = [{{ ecosystem = \"npm\", package = \"@acme/tracer*\", use-instead = \"@opentelemetry/api\" }}]\n");
        let npm = "{\"dependencies\": {\"@acme/tracer-node\": \"1\"}}";
        assert_eq!(messages(&policy, &[("package.json", npm)]).len(), 1);
        let bad = format!("{SERVICE}packages = [{{ ecosystem = \"cobol\", package = \"x\", use-instead = \"y\" }}]\n");
        let e = policy_error(&bad);
        assert!(e.to_string().contains("unknown ecosystem `cobol`"), "{e}");
    }
}
