//! A light, text-level reading of JVM build files for the obs rules: which
//! `groupId:artifactId` coordinates a project depends on, and where they are written.
//!
//! `goldpath-manifests` has no Maven or Gradle parser, and the obs rules only need to know
//! whether a package is declared, so this reads:
//!
//! - `pom.xml`: every `<dependency>` outside `<dependencyManagement>` (comments removed), its
//!   `groupId`, `artifactId` and `scope` (`test` is a test dependency); properties such as
//!   `${otel.group}` are not resolved;
//! - `build.gradle` and `build.gradle.kts`: quoted `"group:artifact[:version]"` strings and
//!   `group: "g", name: "a"` / `group = "g", name = "a"` maps on lines that start with a
//!   dependency configuration (`implementation`, `api`, `runtimeOnly`, ...; configurations
//!   starting with `test` or `androidTest` are test dependencies);
//! - `libs.versions.toml` (Gradle version catalogs): `[libraries]` entries as
//!   `"g:a:v"`, `{ module = "g:a" }` or `{ group = "g", name = "a" }`.
//!
//! Nothing is resolved or executed: a coordinate built by code is not seen.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

/// The coordinate under which the OpenTelemetry Java agent is known (also when a Dockerfile
/// attaches it with `-javaagent`).
pub(crate) const JAVAAGENT: &str = "io.opentelemetry.javaagent:opentelemetry-javaagent";

/// One declared coordinate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JvmDep {
    /// `groupId:artifactId`.
    pub(crate) coordinate: String,
    /// Where the artifact is written.
    pub(crate) range: Range<usize>,
    /// A test-scoped dependency.
    pub(crate) test: bool,
}

/// Whether a path is a JVM build file this module reads.
pub(crate) fn is_build_file(path: &str) -> bool {
    matches!(
        super::file_name(path),
        "pom.xml" | "build.gradle" | "build.gradle.kts" | "libs.versions.toml"
    )
}

/// The dependencies declared in a build file (by its name).
pub(crate) fn dependencies(path: &str, text: &str) -> Vec<JvmDep> {
    match super::file_name(path) {
        "pom.xml" => pom(text),
        "libs.versions.toml" => catalog(text),
        _ => gradle(text),
    }
}

/// `text` with every `<!-- ... -->` replaced by spaces (line breaks kept), so byte offsets
/// stay the same.
fn without_xml_comments(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut at = 0;
    while let Some(start) = text[at..].find("<!--").map(|s| at + s) {
        let end = text[start..]
            .find("-->")
            .map_or(text.len(), |e| start + e + 3);
        for b in &mut bytes[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        at = end;
    }
    // Whole characters were replaced by ASCII spaces: still UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// The byte ranges of every `<tag>...</tag>` element's content in `text[range]`.
fn elements(text: &str, range: Range<usize>, tag: &str) -> Vec<Range<usize>> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let Some(start) = text[at..range.end].find(&open) else {
            break;
        };
        let content = at + start + open.len();
        let Some(end) = text[content..range.end].find(&close) else {
            break;
        };
        out.push(content..content + end);
        at = content + end + close.len();
    }
    out
}

fn pom(text: &str) -> Vec<JvmDep> {
    let text = without_xml_comments(text);
    let managed = elements(&text, 0..text.len(), "dependencyManagement");
    let mut out = Vec::new();
    for dep in elements(&text, 0..text.len(), "dependency") {
        if managed.iter().any(|m| m.contains(&dep.start)) {
            continue;
        }
        let child = |tag: &str| {
            elements(&text, dep.clone(), tag)
                .into_iter()
                .next()
                .map(|r| {
                    let raw = &text[r.clone()];
                    let lead = raw.len() - raw.trim_start().len();
                    let start = r.start + lead;
                    (raw.trim().to_owned(), start..start + raw.trim().len())
                })
        };
        let (Some((group, _)), Some((artifact, range))) = (child("groupId"), child("artifactId"))
        else {
            continue;
        };
        let test = child("scope").is_some_and(|(scope, _)| scope == "test");
        out.push(JvmDep {
            coordinate: format!("{group}:{artifact}"),
            range,
            test,
        });
    }
    out
}

/// The Gradle patterns (constant, so they compile; `None` would only mean no Gradle reading).
fn gradle_regexes() -> Option<&'static (Regex, Regex, Regex)> {
    static RE: OnceLock<Option<(Regex, Regex, Regex)>> = OnceLock::new();
    RE.get_or_init(|| {
        Some((
            Regex::new(r"^\s*([A-Za-z][A-Za-z0-9]*)\b").ok()?,
            Regex::new(r#"["']([A-Za-z0-9_.\-]+):([A-Za-z0-9_.\-]+)(?::[^"'\s]*)?["']"#).ok()?,
            Regex::new(
                r#"group\s*[:=]\s*["']([A-Za-z0-9_.\-]+)["']\s*,\s*name\s*[:=]\s*["']([A-Za-z0-9_.\-]+)["']"#,
            )
            .ok()?,
        ))
    })
    .as_ref()
}

/// Whether a Gradle configuration name declares dependencies, and whether for tests.
fn configuration(name: &str) -> Option<bool> {
    const PLAIN: &[&str] = &[
        "implementation",
        "api",
        "compile",
        "runtime",
        "runtimeOnly",
        "compileOnly",
        "annotationProcessor",
        "kapt",
        "ksp",
        "developmentOnly",
        "agent",
        "javaagent",
    ];
    let test = name.starts_with("test") || name.starts_with("androidTest");
    let suffixed = ["Implementation", "Api", "RuntimeOnly", "CompileOnly"]
        .iter()
        .any(|s| name.ends_with(s));
    (PLAIN.contains(&name) || suffixed).then_some(test)
}

fn gradle(text: &str) -> Vec<JvmDep> {
    let Some((config, quoted, map)) = gradle_regexes() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        // A `//` comment, but not the `//` of a URL (`https://`).
        let comment = line
            .match_indices("//")
            .map(|(i, _)| i)
            .find(|&i| !line[..i].ends_with(':'));
        let code = comment.map_or(line, |c| &line[..c]);
        let Some(name) = config.captures(code).and_then(|c| c.get(1)) else {
            continue;
        };
        let Some(test) = configuration(name.as_str()) else {
            continue;
        };
        for caps in quoted.captures_iter(code).chain(map.captures_iter(code)) {
            let (Some(group), Some(artifact)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            out.push(JvmDep {
                coordinate: format!("{}:{}", group.as_str(), artifact.as_str()),
                range: start + artifact.start()..start + artifact.end(),
                test,
            });
        }
    }
    out
}

fn catalog(text: &str) -> Vec<JvmDep> {
    use crate::doc::{Format, Node};
    let Ok(docs) = crate::doc::parse(Format::Toml, text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for root in &docs {
        for entry in root
            .get("libraries")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            let value = &entry.value;
            let (coordinate, span) = if let Some(s) = value.as_str() {
                let mut parts = s.split(':');
                match (parts.next(), parts.next()) {
                    (Some(g), Some(a)) => (format!("{g}:{a}"), value.span),
                    _ => continue,
                }
            } else if let Some(module) = value.get("module") {
                match module.as_str() {
                    Some(m) if m.contains(':') => (m.to_owned(), module.span),
                    _ => continue,
                }
            } else {
                match (value.get("group").and_then(Node::as_str), value.get("name")) {
                    (Some(g), Some(name)) => match name.as_str() {
                        Some(a) => (format!("{g}:{a}"), name.span),
                        None => continue,
                    },
                    _ => continue,
                }
            };
            out.push(JvmDep {
                coordinate,
                range: span.start_byte..span.end_byte,
                test: false,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coordinates(deps: &[JvmDep]) -> Vec<(&str, bool)> {
        deps.iter()
            .map(|d| (d.coordinate.as_str(), d.test))
            .collect()
    }

    #[test]
    fn reads_pom_dependencies_outside_management_and_comments() {
        let pom_text = "<project>\n<dependencyManagement><dependencies>\n<dependency><groupId>io.opentelemetry</groupId><artifactId>opentelemetry-bom</artifactId></dependency>\n</dependencies></dependencyManagement>\n<dependencies>\n<!-- <dependency><groupId>io.opentracing</groupId><artifactId>opentracing-api</artifactId></dependency> -->\n<dependency>\n  <groupId>io.micrometer</groupId>\n  <artifactId> micrometer-core </artifactId>\n</dependency>\n<dependency><groupId>org.junit</groupId><artifactId>junit</artifactId><scope>test</scope></dependency>\n</dependencies>\n</project>\n";
        let deps = pom(pom_text);
        assert_eq!(
            coordinates(&deps),
            [
                ("io.micrometer:micrometer-core", false),
                ("org.junit:junit", true)
            ]
        );
        assert_eq!(&pom_text[deps[0].range.clone()], "micrometer-core");
    }

    #[test]
    fn reads_gradle_strings_and_maps() {
        let text = "plugins { id 'java' }\ndependencies {\n  implementation(\"io.opentelemetry:opentelemetry-sdk:1.40.0\")\n  runtimeOnly group: 'net.logstash.logback', name: 'logstash-logback-encoder', version: '7.4'\n  testImplementation 'org.junit.jupiter:junit-jupiter:5.10.0'\n  // implementation 'io.opentracing:opentracing-api:0.33.0'\n  implementation files(\"https://example.com/a.jar\") // 'io.opencensus:x:1'\n  implementation platform('io.opentelemetry:opentelemetry-bom:1.40.0')\n}\n";
        let deps = gradle(text);
        assert_eq!(
            coordinates(&deps),
            [
                ("io.opentelemetry:opentelemetry-sdk", false),
                ("net.logstash.logback:logstash-logback-encoder", false),
                ("org.junit.jupiter:junit-jupiter", true),
                ("io.opentelemetry:opentelemetry-bom", false),
            ]
        );
        assert_eq!(&text[deps[1].range.clone()], "logstash-logback-encoder");
    }

    #[test]
    fn reads_version_catalogs() {
        let text = "[versions]\notel = \"1.40.0\"\n[libraries]\na = \"io.micrometer:micrometer-core:1.13.0\"\nb = { module = \"io.opentelemetry:opentelemetry-sdk\", version.ref = \"otel\" }\nc = { group = \"io.prometheus\", name = \"simpleclient\", version = \"0.16.0\" }\nd = { bad = 1 }\n";
        assert_eq!(
            coordinates(&catalog(text)),
            [
                ("io.micrometer:micrometer-core", false),
                ("io.opentelemetry:opentelemetry-sdk", false),
                ("io.prometheus:simpleclient", false),
            ]
        );
        assert!(catalog("[libraries\n").is_empty());
    }

    #[test]
    fn comments_keep_offsets() {
        let text = "a<!-- é -->b";
        let out = without_xml_comments(text);
        assert_eq!(out.len(), text.len());
        assert!(out.starts_with('a') && out.ends_with('b'));
    }

    #[test]
    fn malformed_input_never_panics() {
        for text in [
            "<dependency><groupId>é</groupId>",
            "<!-- unterminated <dependency>",
            "<dependencyManagement><dependency><groupId>a</groupId><artifactId>b</artifactId>",
            "<dependency><artifactId>only</artifactId></dependency>",
            "\u{feff}<dependency><groupId> </groupId><artifactId>ü</artifactId></dependency>",
        ] {
            let _ = pom(text);
        }
        assert!(pom("<dependency><artifactId>only</artifactId></dependency>").is_empty());
        for text in [
            "implementation",
            "implementation '",
            "api \"a:\"",
            "é implementation 'a:b'",
            "//",
        ] {
            let _ = gradle(text);
        }
        assert!(gradle("api \"a:\"").is_empty());
    }
}
