use super::deploy::{self, EnvVar};
use super::service::judged;
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::span::Span;

declare_rule! {
    id: "obs/otel-config",
    summary: "The deployment sets OTEL_SERVICE_NAME and an OTLP exporter endpoint",
    level: Warning,
    tier: Silver,
    scope: Repository { path_list: true },
    build: build,
    options: [{
        name: "require-endpoint",
        kind: "boolean",
        help: "Require an exporter endpoint as well as the service name. Default `true`; \
               `false` when every pod reaches a collector at the SDK's default \
               (`localhost:4317`), such as a sidecar or a node agent behind a host port.",
    }],
    what: "In a repository judged as a service, the variables the OpenTelemetry SDKs read \
           are set where the service is deployed: `OTEL_SERVICE_NAME` (or \
           `service.name=` in `OTEL_RESOURCE_ATTRIBUTES`) and an exporter endpoint, \
           `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, with a \
           non-empty value (or a Kubernetes `valueFrom`). Places read: the final stage of \
           each Dockerfile (`ENV`, including stages it is built from), the `env` of every \
           container of Kubernetes workloads, ConfigMap `data`, Compose `environment`, and \
           the text of Helm chart files. The two may be set in different places.",
    why: "Without a service name every span lands under `unknown_service`, and without \
          an endpoint the SDK exports to localhost, where nothing listens in most \
          clusters: the instrumentation runs and the traces are lost.",
    example: "A Dockerfile with `ENV OTEL_SERVICE_NAME=checkout` and no endpoint anywhere \
              is reported at `OTEL_SERVICE_NAME`: `OTEL_SERVICE_NAME in Dockerfile ENV \
              (Dockerfile:3) sets the service name, but no exporter endpoint (...) is set \
              in any ...`; adding \
              `OTEL_EXPORTER_OTLP_ENDPOINT` to the Deployment's env fixes it.",
    fix: "Set `OTEL_SERVICE_NAME` in the image or the manifest, and \
          `OTEL_EXPORTER_OTLP_ENDPOINT` to the collector (for example \
          `http://otel-collector:4317`) in the deployment's environment.",
}

struct OtelConfig {
    require_endpoint: bool,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(OtelConfig {
        require_endpoint: params.take::<bool>("require-endpoint")?.unwrap_or(true),
    }))
}

const ENDPOINTS: &[&str] = &[
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
];

/// Where a variable was found: (description, path, span).
type Found = (String, String, Span);

impl Rule for OtelConfig {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        let deploy = deploy::deploy(cx);
        let vars: Vec<&EnvVar> = deploy
            .dockerfiles
            .iter()
            .flat_map(|d| &d.env)
            .chain(deploy.containers.iter().flat_map(|c| &c.env))
            .chain(&deploy.configmap_env)
            .chain(deploy.compose.iter().flat_map(|c| &c.env))
            .collect();
        let mut empty = Vec::new();
        let mut find = |names: &[&str]| -> Option<Found> {
            for var in &vars {
                let named = names.contains(&var.name.as_str());
                if !named {
                    continue;
                }
                if var.set {
                    let at = format!(
                        "{} in {} ({}:{})",
                        var.name, var.place, var.path, var.span.line
                    );
                    return Some((at, var.path.clone(), var.span));
                }
                empty.push(format!(
                    "{} empty in {}:{}",
                    var.name, var.path, var.span.line
                ));
            }
            deploy
                .helm_text
                .iter()
                .find(|h| names.contains(&h.marker))
                .map(|h| {
                    (
                        format!("{} in Helm chart ({}:{})", h.marker, h.path, h.span.line),
                        h.path.clone(),
                        h.span,
                    )
                })
        };
        // OTEL_RESOURCE_ATTRIBUTES names the service too when it has `service.name=`.
        let name = find(&["OTEL_SERVICE_NAME"]).or_else(|| {
            vars.iter().find(|v| v.service_name).map(|v| {
                (
                    format!(
                        "service.name in {} of {} ({}:{})",
                        v.name, v.place, v.path, v.span.line
                    ),
                    v.path.clone(),
                    v.span,
                )
            })
        });
        let endpoint = find(ENDPOINTS);
        let missing_endpoint = self.require_endpoint && endpoint.is_none();
        if name.is_some() && !missing_endpoint {
            return;
        }
        let places = "Dockerfile ENV, Kubernetes container env or ConfigMap, Compose \
                      environment or Helm chart";
        let endpoint_text = "exporter endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or \
                             OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)";
        let (message, at) = match (&name, &endpoint) {
            (Some((found, path, span)), _) => (
                format!("{found} sets the service name, but no {endpoint_text} is set in any {places}"),
                Some((path.clone(), *span)),
            ),
            (None, Some((found, path, span))) => (
                format!("{found} sets the exporter endpoint, but OTEL_SERVICE_NAME is set in no {places}"),
                Some((path.clone(), *span)),
            ),
            (None, None) => {
                let needed = if self.require_endpoint {
                    format!("neither OTEL_SERVICE_NAME nor an {endpoint_text} is set")
                } else {
                    "OTEL_SERVICE_NAME is not set".to_owned()
                };
                (format!("no OpenTelemetry configuration found: {needed} in any {places}"), None)
            }
        };
        let message = if empty.is_empty() {
            message
        } else {
            format!("{message} ({})", empty.join("; "))
        };
        let v = match at {
            Some((path, span)) => Violation::file(path, message).span(span),
            None => match deploy.dockerfiles.first() {
                Some(d) => Violation::file(&d.path, message),
                None => Violation::repo(message),
            },
        };
        out.push(
            v.help(service.note(
                "set OTEL_SERVICE_NAME and OTEL_EXPORTER_OTLP_ENDPOINT in the service's \
                 deployment environment",
            ))
            .key("otel-config"),
        );
    }
}

#[cfg(test)]
mod tests {

    const SERVICE: &str = "[settings]\nkind = \"service\"\n[rules.\"obs/otel-config\"]\n";

    fn messages(policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, String)> {
        crate::testing::messages_of("obs/otel-config", policy, files)
    }

    #[test]
    fn both_variables_from_any_place() {
        let dockerfile = "FROM alpine\nENV PORT=8080 \\\n    OTEL_SERVICE_NAME=checkout\n";
        let found = messages(SERVICE, &[("Dockerfile", dockerfile)]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].0.as_str(), found[0].1), ("Dockerfile", 3));
        assert!(
            found[0].2.starts_with("OTEL_SERVICE_NAME in Dockerfile ENV (Dockerfile:3) sets the service name, but no exporter endpoint (OTEL_EXPORTER_OTLP_ENDPOINT"),
            "{}",
            found[0].2
        );
        let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: OTEL_EXPORTER_OTLP_ENDPOINT\n              value: http://collector:4317\n";
        assert!(messages(
            SERVICE,
            &[("Dockerfile", dockerfile), ("k8s/deploy.yaml", deploy)]
        )
        .is_empty());
        let compose = "services:\n  api:\n    environment:\n      - OTEL_SERVICE_NAME=checkout\n      - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://jaeger:4318/v1/traces\n";
        assert!(messages(SERVICE, &[("docker-compose.yml", compose)]).is_empty());
        let policy = format!("{SERVICE}require-endpoint = false\n");
        assert!(messages(&policy, &[("Dockerfile", dockerfile)]).is_empty());
    }

    #[test]
    fn empty_values_and_nothing_at_all() {
        let compose = "services:\n  api:\n    environment:\n      OTEL_SERVICE_NAME: \"\"\n";
        let found = messages(SERVICE, &[("compose.yaml", compose)]);
        assert_eq!(found[0].1, 0);
        assert!(
            found[0]
                .2
                .starts_with("no OpenTelemetry configuration found"),
            "{}",
            found[0].2
        );
        assert!(
            found[0]
                .2
                .contains("OTEL_SERVICE_NAME empty in compose.yaml:4"),
            "{}",
            found[0].2
        );
        let resource = "FROM alpine\nENV OTEL_RESOURCE_ATTRIBUTES=service.name=api,team=x OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317\n";
        assert!(messages(SERVICE, &[("Dockerfile", resource)]).is_empty());
        let no_name = "FROM alpine\nENV OTEL_RESOURCE_ATTRIBUTES=team=x OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317\n";
        let found = messages(SERVICE, &[("Dockerfile", no_name)]);
        assert!(
            found[0]
                .2
                .contains("sets the exporter endpoint, but OTEL_SERVICE_NAME"),
            "{}",
            found[0].2
        );
    }

    #[test]
    fn configmaps_and_helm_charts_count() {
        let configmap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: otel}\ndata:\n  OTEL_SERVICE_NAME: checkout\n  OTEL_EXPORTER_OTLP_ENDPOINT: http://collector:4317\n";
        assert!(messages(SERVICE, &[("k8s/otel.yaml", configmap)]).is_empty());
        let values = "env:\n  OTEL_SERVICE_NAME: checkout\n";
        let template = "{{- if .Values.otel }}\n- name: OTEL_EXPORTER_OTLP_ENDPOINT\n  value: {{ .Values.otel.endpoint | quote }}\n{{- end }}\n";
        let chart = [
            ("chart/Chart.yaml", "name: checkout\n"),
            ("chart/values.yaml", values),
            ("chart/templates/deployment.yaml", template),
        ];
        assert!(messages(SERVICE, &chart).is_empty());
        let found = messages(SERVICE, &chart[..2]);
        assert_eq!((found[0].0.as_str(), found[0].1), ("chart/values.yaml", 2));
        assert!(
            found[0]
                .2
                .starts_with("OTEL_SERVICE_NAME in Helm chart (chart/values.yaml:2)"),
            "{}",
            found[0].2
        );
    }
}
