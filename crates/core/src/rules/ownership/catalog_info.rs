use std::collections::HashMap;

use goldpath_codeowners::{Owner, OwnerKind};

use super::codeowners;
use crate::context::Context;
use crate::doc::{Node, Value};
use crate::edit::{text, Edit, Fix};
use crate::finding::{Level, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::span::Span;

declare_rule! {
    id: "ownership/catalog-info",
    summary: "Backstage catalog-info.yaml files are valid: envelope, name, and each kind's owner, type and lifecycle",
    level: Error,
    tier: Gold,
    scope: PerFile,
    fixable: true,
    build: build,
    options: [
        {
            name: "required",
            kind: "boolean",
            help: "Also report a repository without `catalog-info.yaml` (or `.yml`) at its \
                   root. Default `false`: not every organisation runs Backstage, so the rule \
                   only judges the catalog files that exist.",
        },
        {
            name: "owner-in-codeowners",
            kind: "boolean",
            help: "Also require each entity's `spec.owner` to be among the owners CODEOWNERS \
                   gives the catalog file itself (for a catalog file at the root: the \
                   repository's default owners). The names compare without letter case: the \
                   catalog owner without its kind and namespace (`group:default/payments` → \
                   `payments`) against the last part of each CODEOWNERS owner (`@acme/payments` \
                   → `payments`, `@jane` → `jane`) or the part of an email address before the \
                   `@`. Default `false`.",
        },
    ],
    what: "Every `catalog-info.yaml` and `catalog-info.yml` (anywhere in the repository) \
           parses as YAML without a key written twice in one mapping (Backstage's YAML \
           parser rejects the document; reported at the second occurrence), and each of \
           its documents (several may be separated by `---`; \
           empty ones are skipped) is a Backstage entity: a mapping with `apiVersion`, \
           `kind` and `metadata.name`. `metadata.name` has at most 63 characters of \
           `[a-zA-Z0-9-_.]`, starting and ending with a letter or digit; \
           `metadata.namespace`, when set, is lower-case letters, digits and single `-`. \
           Backstage's own kinds (Component, API, Resource, System, Domain, Group, User, \
           Location) use `apiVersion: backstage.io/v1alpha1` (or `v1beta1`); a kind \
           written in the wrong letter case, or an unknown kind with a `backstage.io` \
           apiVersion, is reported (a warning: a plugin may define it); other \
           apiVersions (a plugin's kinds, `scaffolder.backstage.io` templates) are \
           accepted. Required `spec` fields: Component `type`, `lifecycle`, `owner`; API \
           also `definition`; Resource `type`, `owner`; System and Domain `owner`; Group \
           `type`, `children`; Location `target` or `targets`. `spec.owner` is an entity \
           reference `[kind:][namespace/]name` to a group or a user. Two entities with the \
           same kind, namespace and name in one file are reported. Each problem is \
           reported at the key or value concerned (a missing key at the key of the \
           mapping that lacks it).",
    why: "The catalog is how a portal, an on-call tool or a scorecard finds out what a \
          repository is and who owns it. Backstage rejects an entity that does not \
          validate, so a broken file silently takes the component out of the catalog.",
    example: "```yaml\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  \
              name: payments_api-\nspec:\n  type: service\n  owner: group:payments\n```\nis \
              reported twice: the name ends with `-` (line 4), and `spec` has no \
              `lifecycle` (line 5).",
    fix: "Fix the field at the reported position. The Backstage descriptor format \
          reference lists each kind's fields; `lifecycle` is usually `experimental`, \
          `production` or `deprecated`. `goldpath fix` adds each missing required `spec` \
          field as a `TODO` marker (`lifecycle: TODO`; `children: []`) at the top of \
          `spec`, and a `spec:` with them at the end of an entity that has none, for a \
          person to fill in; other problems are left to a person.",
}

/// The files this rule reads, anywhere in the repository.
const FILES: &str = "**/catalog-info.{yaml,yml}";
/// The files `required` looks for, at the root.
const ROOT_FILES: [&str; 2] = ["catalog-info.yaml", "catalog-info.yml"];
/// The `apiVersion`s of Backstage's own kinds.
const CORE_API_VERSIONS: [&str; 2] = ["backstage.io/v1alpha1", "backstage.io/v1beta1"];

/// Backstage's own kinds and the `spec` fields each requires.
const KINDS: &[(&str, &[&str])] = &[
    ("Component", &["type", "lifecycle", "owner"]),
    ("API", &["type", "lifecycle", "owner", "definition"]),
    ("Resource", &["type", "owner"]),
    ("System", &["owner"]),
    ("Domain", &["owner"]),
    ("Group", &["type", "children"]),
    ("User", &[]),
    ("Location", &[]),
    ("Template", &[]),
];

struct CatalogInfo {
    required: bool,
    owner_in_codeowners: bool,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(CatalogInfo {
        required: params.take::<bool>("required")?.unwrap_or(false),
        owner_in_codeowners: params.take::<bool>("owner-in-codeowners")?.unwrap_or(false),
    }))
}

/// Backstage's `isValidObjectName`: 1 to 63 characters of `[a-zA-Z0-9-_.]`, starting and
/// ending with a letter or digit.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && alnum(name.chars().next())
        && alnum(name.chars().next_back())
}

/// Backstage's `isValidNamespace`: a DNS label, lower case.
fn is_valid_namespace(ns: &str) -> bool {
    (1..=63).contains(&ns.len())
        && ns.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Backstage's `isValidKind`: a letter, then letters and digits.
fn is_valid_kind(kind: &str) -> bool {
    let mut chars = kind.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric())
        && kind.len() <= 63
}

/// An entity reference `[kind:][namespace/]name`, split; `None` when malformed.
fn parse_ref(reference: &str) -> Option<(Option<&str>, Option<&str>, &str)> {
    let (kind, rest) = match reference.split_once(':') {
        Some((kind, rest)) => (Some(kind), rest),
        None => (None, reference),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, rest),
    };
    let ok = kind.is_none_or(is_valid_kind)
        && namespace.is_none_or(is_valid_namespace)
        && is_valid_name(name);
    ok.then_some((kind, namespace, name))
}

/// Whether a catalog owner's name is a CODEOWNERS owner (see the `owner-in-codeowners` option).
pub(crate) fn same_owner(catalog_name: &str, owner: &Owner) -> bool {
    let candidate = match owner.kind {
        OwnerKind::Role(_) => return false,
        OwnerKind::Email => owner.text.split('@').next().unwrap_or_default(),
        OwnerKind::User | OwnerKind::Team => owner.text.rsplit('/').next().unwrap_or_default(),
    };
    candidate
        .trim_start_matches('@')
        .eq_ignore_ascii_case(catalog_name)
}

/// Collects the problems of one file.
struct Checker<'a> {
    path: &'a str,
    out: Vec<Violation>,
    /// The file's text, when the engine asks for fixes.
    fixing: Option<&'a str>,
}

impl Checker<'_> {
    fn push(&mut self, span: Span, key: &str, message: String) {
        self.push_fix(span, key, message, None);
    }

    fn push_fix(&mut self, span: Span, key: &str, message: String, fix: Option<Fix>) {
        self.out.push(
            Violation::file(self.path, message)
                .span(span)
                .key(key.to_owned())
                .fix(fix),
        );
    }

    /// A fix that adds `field: TODO` to the mapping `spec`, among the `missing` fields (see
    /// [`missing_field_fix`]).
    fn field_fix(&self, spec: &Node, field: &str, missing: &[&str]) -> Option<Fix> {
        missing_field_fix(self.fixing?, self.path, spec, field, missing)
    }

    /// A required string value: present, a string, not empty. Returns it.
    fn string<'n>(
        &mut self,
        parent: &'n Node,
        parent_span: Span,
        key: &str,
        label: &str,
        what: &str,
    ) -> Option<(&'n str, Span)> {
        let Some(entry) = parent.get_entry(key) else {
            self.push(parent_span, label, format!("{what} needs `{label}`"));
            return None;
        };
        match entry.value.as_str() {
            Some("") => {
                self.push(entry.value.span, label, format!("`{label}` is empty"));
                None
            }
            Some(s) => Some((s, entry.value.span)),
            None => {
                self.push(
                    entry.value.span,
                    label,
                    format!(
                        "`{label}` must be a string, found a {}",
                        entry.value.kind_name()
                    ),
                );
                None
            }
        }
    }
}

/// The placeholder value `goldpath fix` gives a missing `spec` field.
fn placeholder(field: &str) -> &'static str {
    if field == "children" {
        "[]"
    } else {
        crate::edit::TODO
    }
}

/// Inserts `field: TODO` as the first entry of the mapping `spec`: a line at its keys'
/// indentation, or the first entry of a flow mapping. An empty flow mapping (`spec: {}`) is
/// replaced with all the `missing` fields at once: every missing field's fix is then the same
/// edit, which the plan applies once.
fn missing_field_fix(
    source: &str,
    path: &str,
    spec: &Node,
    field: &str,
    missing: &[&str],
) -> Option<Fix> {
    let entries = spec.as_map()?;
    // A `spec` written through an alias has its keys elsewhere: leave it to a person.
    if entries.first().is_some_and(|e| {
        e.key.span.start_byte < spec.span.start_byte || e.key.span.start_byte > spec.span.end_byte
    }) {
        return None;
    }
    let entry = format!("{field}: {}", placeholder(field));
    if source.get(spec.span.start_byte..)?.starts_with('{') {
        return Some(Fix::new(match entries.first() {
            Some(first) => Edit::insert(path, first.key.span.start_byte, format!("{entry}, ")),
            None => {
                let all: Vec<String> = missing
                    .iter()
                    .map(|f| format!("{f}: {}", placeholder(f)))
                    .collect();
                Edit::replace(
                    path,
                    spec.span.start_byte..spec.span.end_byte,
                    format!("{{{}}}", all.join(", ")),
                )
            }
        }));
    }
    let first = entries.first()?;
    let indent = text::key_indent(source, first.key.span.start_byte)?;
    let at = text::above_comments(source, first.key.span.start_byte);
    let eol = text::eol(source);
    Some(Fix::new(Edit::insert(
        path,
        at,
        format!("{}{entry}{eol}", " ".repeat(indent)),
    )))
}

/// Appends `spec:` with `fields` as `TODO` markers after the last line of a block-mapping
/// document that has no `spec`.
fn missing_spec_fix(source: &str, path: &str, doc: &Node, fields: &[&str]) -> Option<Fix> {
    let entries = doc.as_map()?;
    let first = entries.first()?;
    if source.get(doc.span.start_byte..)?.starts_with('{') {
        return None;
    }
    let indent = text::key_indent(source, first.key.span.start_byte)?;
    // The indentation of the document's nested mappings (metadata's keys), else two spaces.
    let unit = entries
        .iter()
        .find_map(|e| e.value.as_map()?.first().map(|n| n.key.span.start_byte))
        .and_then(|at| text::key_indent(source, at))
        .filter(|n| *n > indent)
        .map_or(2, |n| n - indent);
    let eol = text::eol(source);
    let end = doc.span.end_byte.min(source.len());
    let at = if end > 0 && source.as_bytes()[end - 1] == b'\n' {
        end
    } else {
        text::line_end(source, end)
    };
    let pad = " ".repeat(indent);
    let mut lines = format!("{pad}spec:{eol}");
    for field in fields {
        lines.push_str(&format!(
            "{pad}{}{field}: {}{eol}",
            " ".repeat(unit),
            placeholder(field)
        ));
    }
    Some(Fix::new(Edit::insert(
        path,
        at,
        text::lines_at(source, at, lines, eol),
    )))
}

/// Where a key that is missing from `node` is reported: the key naming `node`, or, for a
/// document, its first key.
fn anchor_of(node: &Node, key_span: Option<Span>) -> Span {
    key_span
        .or_else(|| node.as_map().and_then(|m| m.first()).map(|e| e.key.span))
        .unwrap_or(node.span)
}

/// A validated entity's identity and owner, for the checks across documents.
struct Entity<'n> {
    id: String,
    name_span: Span,
    owner: Option<(&'n str, Span)>,
}

fn check_entity<'n>(c: &mut Checker<'_>, doc: &'n Node) -> Option<Entity<'n>> {
    if doc.as_map().is_none() {
        c.push(
            doc.span,
            "document",
            format!(
                "a catalog entity must be a mapping, found a {}",
                doc.kind_name()
            ),
        );
        return None;
    }
    let top = anchor_of(doc, None);
    let api_version = c.string(doc, top, "apiVersion", "apiVersion", "an entity");
    let kind = c.string(doc, top, "kind", "kind", "an entity");
    let mut core = None;
    if let Some((kind, span)) = kind {
        if !is_valid_kind(kind) {
            c.push(
                span,
                "kind",
                format!("`{kind}` is not a kind: a letter, then letters and digits"),
            );
        } else if let Some(&(exact, required)) =
            KINDS.iter().find(|(k, _)| k.eq_ignore_ascii_case(kind))
        {
            if exact != kind {
                c.push(
                    span,
                    "kind",
                    format!("kinds are case-sensitive: write `{exact}`, not `{kind}`"),
                );
            }
            core = Some((exact, required, span));
        }
    }
    if let Some((version, span)) = api_version {
        match (&core, kind) {
            (Some((exact, _, _)), _)
                if *exact != "Template" && !CORE_API_VERSIONS.contains(&version) =>
            {
                c.push(
                    span,
                    "apiVersion",
                    format!(
                        "`{version}` is not an apiVersion of a {exact}: use \
                         `backstage.io/v1alpha1`"
                    ),
                );
            }
            (None, Some((kind, kind_span))) if version.starts_with("backstage.io/") => {
                let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
                c.out.push(
                    Violation::file(
                        c.path,
                        format!(
                            "`{kind}` is not one of Backstage's kinds ({}); a plugin that \
                             defines it would use its own apiVersion",
                            known.join(", ")
                        ),
                    )
                    .span(kind_span)
                    .key("kind")
                    .level(Level::Warning),
                );
            }
            _ if !version.contains('/') => c.push(
                span,
                "apiVersion",
                format!("`{version}` is not an apiVersion: expected `group/version`, such as `backstage.io/v1alpha1`"),
            ),
            _ => {}
        }
    }

    let mut identity = None;
    match doc.get_entry("metadata") {
        None => c.push(
            top,
            "metadata",
            "an entity needs `metadata` with a `name`".to_owned(),
        ),
        Some(meta) if meta.value.as_map().is_none() => c.push(
            meta.value.span,
            "metadata",
            format!(
                "`metadata` must be a mapping, found a {}",
                meta.value.kind_name()
            ),
        ),
        Some(meta) => {
            let name = c.string(
                &meta.value,
                meta.key.span,
                "name",
                "metadata.name",
                "`metadata`",
            );
            if let Some((name, span)) = name {
                if is_valid_name(name) {
                    identity = Some((name, span));
                } else {
                    c.push(
                        span,
                        "metadata.name",
                        format!(
                            "`{name}` is not a valid entity name: at most 63 characters of \
                             letters, digits, `-`, `_` and `.`, starting and ending with a \
                             letter or digit"
                        ),
                    );
                }
            }
            if let Some(ns) = meta.value.get("namespace") {
                match ns.as_str() {
                    Some(text) if is_valid_namespace(text) => {}
                    _ => c.push(
                        ns.span,
                        "metadata.namespace",
                        format!(
                            "`{}` is not a valid namespace: lower-case letters, digits and \
                             single `-`, at most 63 characters",
                            ns.to_display()
                        ),
                    ),
                }
            }
        }
    }

    let mut owner = None;
    if let Some((exact, required, kind_span)) = core {
        let spec = doc.get_entry("spec");
        let needs_target = exact == "Location";
        if required.is_empty() && !needs_target {
            // Nothing required (User, Template).
        } else if let Some(spec) = spec.filter(|s| s.value.as_map().is_some()) {
            let missing: Vec<&str> = required
                .iter()
                .copied()
                .filter(|f| spec.value.get_entry(f).is_none())
                .collect();
            for field in required {
                let label = format!("spec.{field}");
                let what = format!("a {exact}");
                if spec.value.get_entry(field).is_none() {
                    let fix = c.field_fix(&spec.value, field, &missing);
                    c.push_fix(
                        spec.key.span,
                        &label,
                        format!("{what} needs `{label}`"),
                        fix,
                    );
                    continue;
                }
                match *field {
                    "children" => match spec.value.get_entry("children") {
                        None => c.push(spec.key.span, &label, format!("{what} needs `{label}`")),
                        Some(e) if e.value.as_seq().is_none() => c.push(
                            e.value.span,
                            &label,
                            format!(
                                "`{label}` must be a list of group references, found a {}",
                                e.value.kind_name()
                            ),
                        ),
                        Some(_) => {}
                    },
                    "owner" => {
                        owner = c.string(&spec.value, spec.key.span, field, &label, &what);
                    }
                    _ => {
                        c.string(&spec.value, spec.key.span, field, &label, &what);
                    }
                }
            }
            if needs_target
                && spec.value.get("target").is_none()
                && spec.value.get("targets").is_none()
            {
                let fix = c.field_fix(&spec.value, "target", &["target"]);
                c.push_fix(
                    spec.key.span,
                    "spec.target",
                    "a Location needs `spec.target` or `spec.targets`".to_owned(),
                    fix,
                );
            }
        } else {
            let fields: Vec<String> = if needs_target {
                vec!["`target`".to_owned()]
            } else {
                required.iter().map(|f| format!("`{f}`")).collect()
            };
            let at = spec.map_or(kind_span, |s| s.value.span);
            let names: Vec<&str> = if needs_target {
                vec!["target"]
            } else {
                required.to_vec()
            };
            let fix = match (spec, c.fixing) {
                (None, Some(source)) => missing_spec_fix(source, c.path, doc, &names),
                _ => None,
            };
            c.push_fix(
                at,
                "spec",
                format!("a {exact} needs `spec` with {}", fields.join(", ")),
                fix,
            );
        }
        if let Some((reference, span)) = owner {
            match parse_ref(reference) {
                None => {
                    c.push(
                        span,
                        "spec.owner",
                        format!(
                            "`{reference}` is not an entity reference: `[kind:][namespace/]name`, \
                             such as `group:payments`"
                        ),
                    );
                    owner = None;
                }
                Some((Some(kind), _, _))
                    if !kind.eq_ignore_ascii_case("group")
                        && !kind.eq_ignore_ascii_case("user") =>
                {
                    c.push(
                        span,
                        "spec.owner",
                        format!("an owner is a group or a user, not a `{kind}`"),
                    );
                    owner = None;
                }
                Some(_) => {}
            }
        }
    }

    let (name, name_span) = identity?;
    let namespace = doc
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(Node::as_str)
        .unwrap_or("default");
    let kind = kind.map_or("", |(k, _)| k);
    Some(Entity {
        id: format!(
            "{}:{}/{}",
            kind.to_ascii_lowercase(),
            namespace.to_ascii_lowercase(),
            name.to_ascii_lowercase()
        ),
        name_span,
        owner,
    })
}

impl Rule for CatalogInfo {
    fn wants(&self) -> Vec<String> {
        vec![FILES.to_owned()]
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        if self.required
            && !cx
                .all_files()
                .iter()
                .any(|f| ROOT_FILES.contains(&f.path.as_str()))
        {
            out.push(
                Violation::repo("no Backstage catalog file: `catalog-info.yaml` at the root")
                    .help(
                        "add catalog-info.yaml describing the component: apiVersion, kind, \
                         metadata.name, spec.type, spec.lifecycle and spec.owner",
                    )
                    .key("missing"),
            );
        }
        for file in cx.wanted() {
            let Some(parsed) = cx.documents(file) else {
                continue;
            };
            let documents = match parsed.as_ref() {
                Ok(documents) => documents,
                Err(error) => {
                    out.push(
                        Violation::file(&file.path, format!("invalid YAML: {}", error.message))
                            .span(error.span)
                            .key("syntax"),
                    );
                    continue;
                }
            };
            let source = match cx.fix_options() {
                Some(_) => cx.text(file).ok(),
                None => None,
            };
            let mut checker = Checker {
                path: &file.path,
                out: Vec::new(),
                fixing: source.as_deref(),
            };
            let mut seen: HashMap<String, u32> = HashMap::new();
            let mut owners = Vec::new();
            for doc in documents {
                if matches!(doc.value, Value::Null) {
                    continue;
                }
                for duplicate in crate::ci::duplicate_keys(doc) {
                    checker.push(
                        duplicate.span,
                        &format!("duplicate-key {} {}", duplicate.key, duplicate.span.line),
                        format!(
                            "{}: Backstage rejects a mapping with a key written twice",
                            duplicate.message()
                        ),
                    );
                }
                let Some(entity) = check_entity(&mut checker, doc) else {
                    continue;
                };
                if let Some(line) = seen.get(&entity.id) {
                    checker.push(
                        entity.name_span,
                        "duplicate",
                        format!(
                            "`{}` is defined twice in this file (first on line {line})",
                            entity.id
                        ),
                    );
                } else {
                    seen.insert(entity.id.clone(), entity.name_span.line);
                }
                if let Some(owner) = entity.owner {
                    owners.push(owner);
                }
            }
            if self.owner_in_codeowners {
                self.compare_owners(cx, &file.path, &owners, &mut checker);
            }
            out.append(&mut checker.out);
        }
    }
}

impl CatalogInfo {
    fn compare_owners(
        &self,
        cx: &Context<'_>,
        path: &str,
        owners: &[(&str, Span)],
        c: &mut Checker<'_>,
    ) {
        if owners.is_empty() {
            return;
        }
        let codeowners = codeowners(cx);
        for &(reference, span) in owners {
            let name = parse_ref(reference).map_or(reference, |(_, _, name)| name);
            let (ok, context) = match (&codeowners.file, codeowners.rules()) {
                (Some(file), Some(rules)) => {
                    let who = rules.owners_of(path);
                    let listed: Vec<&str> = who.owners().map(|o| o.text.as_str()).collect();
                    let ok = who.owners().any(|o| same_owner(name, o));
                    let context = match who.decisions().first() {
                        None => format!("no rule of `{}` matches it", file.path),
                        Some(_) if listed.is_empty() => format!(
                            "`{}` gives it no owner",
                            file.at(who.decisions()[0].rule.line)
                        ),
                        Some(d) => {
                            format!("`{}` gives it {}", file.at(d.rule.line), listed.join(" "))
                        }
                    };
                    (ok, context)
                }
                (Some(file), None) => {
                    (false, format!("`{}` gives no owner to any file", file.path))
                }
                (None, _) => (false, "there is no CODEOWNERS file".to_owned()),
            };
            if !ok {
                c.push(
                    span,
                    "owner-in-codeowners",
                    format!(
                        "the catalog owner `{reference}` is not among the CODEOWNERS owners of \
                         `{path}`: {context}"
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check, check_snapshot};

    const POLICY: &str = "[rules.\"ownership/catalog-info\"]\n";

    const VALID: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  \
                         name: payments-api\nspec:\n  type: service\n  lifecycle: production\n  \
                         owner: group:default/payments\n";

    fn positions(findings: &[crate::Finding]) -> Vec<(u32, u32, String)> {
        findings
            .iter()
            .map(|f| {
                let (l, c) = f.span.map_or((0, 0), |s| (s.line, s.column));
                (l, c, f.message.clone())
            })
            .collect()
    }

    #[test]
    fn names_follow_backstage_rules() {
        for ok in [
            "a",
            "A1",
            "payments-api",
            "a_b.c-d",
            "a--b",
            &"x".repeat(63),
        ] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a b", "a/b", "é", ".a", &"x".repeat(64)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        assert!(is_valid_namespace("team-a1"));
        assert!(!is_valid_namespace("Team") && !is_valid_namespace("a--b"));
        assert_eq!(
            parse_ref("group:default/payments"),
            Some((Some("group"), Some("default"), "payments"))
        );
        assert_eq!(parse_ref("payments"), Some((None, None, "payments")));
        assert_eq!(parse_ref("group:"), None);
    }

    #[test]
    fn a_valid_component_passes() {
        assert!(check(POLICY, &[("catalog-info.yaml", VALID)]).is_empty());
        let two = format!("{VALID}---\n{}", VALID.replace("payments-api", "worker"));
        assert!(check(POLICY, &[("svc/catalog-info.yml", two.as_str())]).is_empty());
    }

    #[test]
    fn each_problem_is_at_its_key_or_value() {
        let text = "apiVersion: backstage.io/v2\nkind: Component\nmetadata:\n  \
                    name: payments_api-\n  namespace: Prod\nspec:\n  type: service\n  \
                    owner: team:x\n";
        let findings = check(POLICY, &[("catalog-info.yaml", text)]);
        let got: Vec<(u32, u32)> = positions(&findings).iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            got,
            [(1, 13), (4, 9), (5, 14), (6, 1), (8, 10)],
            "{findings:#?}"
        );
        let messages: Vec<String> = positions(&findings).into_iter().map(|p| p.2).collect();
        assert!(messages[0].contains("not an apiVersion of a Component"));
        assert!(messages[1].contains("not a valid entity name"));
        assert_eq!(messages[3], "a Component needs `spec.lifecycle`");
        assert!(messages[4].contains("a group or a user"));
    }

    #[test]
    fn missing_envelope_and_spec_are_reported() {
        let text = "---\n---\nkind: component\nmetadata: {}\n---\n- a list\n---\napiVersion: \
                    backstage.io/v1alpha1\nkind: Servce\nmetadata: {name: x}\n";
        let findings = check(POLICY, &[("catalog-info.yaml", text)]);
        let got: Vec<(u32, u32, String)> = positions(&findings);
        let short: Vec<(u32, u32)> = got.iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            short,
            [(3, 1), (3, 7), (3, 7), (4, 1), (6, 1), (9, 7)],
            "{findings:#?}"
        );
        assert_eq!(got[0].2, "an entity needs `apiVersion`");
        assert!(got[1]
            .2
            .contains("needs `spec` with `type`, `lifecycle`, `owner`"));
        assert!(got[2].2.contains("write `Component`"));
        assert_eq!(got[3].2, "`metadata` needs `metadata.name`");
        assert!(got[4].2.contains("must be a mapping, found a sequence"));
        assert_eq!(findings[5].level, Level::Warning);
    }

    #[test]
    fn duplicates_and_invalid_yaml() {
        let two = format!("{VALID}---\n{VALID}");
        let findings = check(POLICY, &[("catalog-info.yaml", two.as_str())]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "`component:default/payments-api` is defined twice in this file (first on line 4)"
        );
        assert_eq!(findings[0].span.map(|s| s.line), Some(13));
        let findings = check(POLICY, &[("catalog-info.yaml", "a: [b\n")]);
        assert!(findings[0].message.starts_with("invalid YAML"));
    }

    #[test]
    fn required_reports_a_missing_root_catalog() {
        let policy = format!("{POLICY}required = true\n");
        let findings = check(&policy, &[("svc/catalog-info.yaml", VALID)]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.starts_with("no Backstage catalog file"));
        assert!(check(POLICY, &[("README.md", "")]).is_empty());
        assert!(check(&policy, &[("catalog-info.yml", VALID)]).is_empty());
    }

    #[test]
    fn owner_in_codeowners_compares_names() {
        let policy = format!("{POLICY}owner-in-codeowners = true\n");
        let ok = [
            ("catalog-info.yaml", VALID),
            (".github/CODEOWNERS", "* @acme/Payments\n"),
        ];
        assert!(check(&policy, &ok).is_empty());
        let bad = [
            ("catalog-info.yaml", VALID),
            (".github/CODEOWNERS", "* @acme/platform @jane\n"),
        ];
        let findings = check(&policy, &bad);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "the catalog owner `group:default/payments` is not among the CODEOWNERS owners of \
             `catalog-info.yaml`: `.github/CODEOWNERS:1` gives it @acme/platform @jane"
        );
        assert_eq!(findings[0].span.map(|s| (s.line, s.column)), Some((8, 10)));
        let none = [("catalog-info.yaml", VALID)];
        assert!(check(&policy, &none)[0]
            .message
            .ends_with("there is no CODEOWNERS file"));
        let by_email = VALID.replace("group:default/payments", "user:jane");
        let mail = [
            ("catalog-info.yaml", by_email.as_str()),
            (".github/CODEOWNERS", "* jane@acme.com\n"),
        ];
        assert!(check(&policy, &mail).is_empty());
    }

    #[test]
    fn fix_adds_missing_spec_fields_as_todo_markers() {
        use crate::fix::testing::assert_fix;
        let before = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n    \
                      name: payments\nspec:\n    # what it is\n    type: service\n---\n\
                      apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team}\n\
                      spec: {type: team}\n---\napiVersion: backstage.io/v1alpha1\nkind: System\n\
                      metadata:\n    name: pay\n---\napiVersion: backstage.io/v1alpha1\n\
                      kind: Location\nmetadata:\n  name: l\nspec: {}\n";
        let after = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n    \
                     name: payments\nspec:\n    lifecycle: TODO\n    owner: TODO\n    \
                     # what it is\n    type: service\n---\napiVersion: backstage.io/v1alpha1\n\
                     kind: Group\nmetadata: {name: team}\nspec: {children: [], type: team}\n---\n\
                     apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n    name: pay\n\
                     spec:\n    owner: TODO\n---\napiVersion: backstage.io/v1alpha1\n\
                     kind: Location\nmetadata:\n  name: l\nspec: {target: TODO}\n";
        assert_fix(
            POLICY,
            &[("svc/catalog-info.yaml", before)],
            &[("svc/catalog-info.yaml", after)],
        );
    }

    #[test]
    fn only_changed_catalogs_are_judged_in_change_mode() {
        let snapshot = crate::snapshot::MemorySnapshot::new()
            .with_file("catalog-info.yaml", "kind: 1\n")
            .with_file("a/catalog-info.yaml", "kind: 2\n")
            .with_changed(["a/catalog-info.yaml"]);
        let findings = check_snapshot(POLICY, &snapshot);
        assert!(findings
            .iter()
            .all(|f| f.path.as_deref() == Some("a/catalog-info.yaml")));
        assert!(!findings.is_empty());
    }
}
