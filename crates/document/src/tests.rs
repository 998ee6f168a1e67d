use super::*;

/// `(line, column, end_line, end_column)` of a span.
fn at(node: &Node) -> (u32, u32, u32, u32) {
    (
        node.span.line,
        node.span.column,
        node.span.end_line,
        node.span.end_column,
    )
}

fn one(format: Format, text: &str) -> Node {
    match parse_single(format, text) {
        Ok(node) => node,
        Err(error) => panic!("{format} did not parse: {error}\n{text}"),
    }
}

fn path(text: &str) -> KeyPath {
    match KeyPath::parse(text) {
        Ok(path) => path,
        Err(error) => panic!("{text:?}: {error}"),
    }
}

fn strings<'a>(nodes: impl IntoIterator<Item = &'a Node>) -> Vec<String> {
    nodes.into_iter().map(Node::to_display).collect()
}

fn key_span(node: &Node, key: &str) -> (u32, u32, u32, u32) {
    let entry = node.get_entry(key).expect("key exists");
    at(&entry.key)
}

// ---------------------------------------------------------------- formats

#[test]
fn format_from_path() {
    assert_eq!(Format::from_path("package.json"), Some(Format::Json));
    assert_eq!(
        Format::from_path("a/b/catalog-info.YAML"),
        Some(Format::Yaml)
    );
    assert_eq!(
        Format::from_path(".github/workflows/ci.yml"),
        Some(Format::Yaml)
    );
    assert_eq!(Format::from_path("pyproject.Toml"), Some(Format::Toml));
    assert_eq!(Format::from_path("dir.json/readme"), None);
    assert_eq!(Format::from_path("config.json5"), None);
    assert_eq!(Format::from_path(".json"), None);
    assert_eq!(Format::from_path("Makefile"), None);
    assert_eq!(Format::Yaml.to_string(), "YAML");
}

// ---------------------------------------------------------------- JSON

const PACKAGE_JSON: &str = r#"{
  "name": "app",
  "engines": {"node": ">=18"},
  "list": [1, 2.5, true, null, -3e2],
  "name": "dup"
}
"#;

#[test]
fn json_positions_of_keys_and_values() {
    let root = one(Format::Json, PACKAGE_JSON);
    assert_eq!(at(&root), (1, 1, 6, 2));
    let first = &root.as_map().unwrap()[0];
    assert_eq!(at(&first.key), (2, 3, 2, 9));
    assert_eq!(at(&first.value), (2, 11, 2, 16));
    assert_eq!(first.value.span.start_byte, 12);
    assert_eq!(first.value.span.end_byte, 17);

    let engines = root.get("engines").unwrap();
    assert_eq!(key_span(&root, "engines"), (3, 3, 3, 12));
    assert_eq!(at(engines), (3, 14, 3, 30));
    assert_eq!(key_span(engines, "node"), (3, 15, 3, 21));
    assert_eq!(at(engines.get("node").unwrap()), (3, 23, 3, 29));

    let list = root.get("list").unwrap();
    assert_eq!(at(list), (4, 11, 4, 37));
    let items = list.as_seq().unwrap();
    assert_eq!(items[0].value, Value::Int(1));
    assert_eq!(items[1].value, Value::Float(2.5));
    assert_eq!(items[2].value, Value::Bool(true));
    assert_eq!(items[3].value, Value::Null);
    assert_eq!(items[4].value, Value::Float(-300.0));
    assert_eq!(at(&items[1]), (4, 15, 4, 18));
    assert_eq!(at(&items[4]), (4, 32, 4, 36));
}

#[test]
fn json_duplicate_keys_are_kept_and_the_last_wins() {
    let root = one(Format::Json, PACKAGE_JSON);
    let names: Vec<_> = root
        .as_map()
        .unwrap()
        .iter()
        .filter(|entry| entry.key_str() == Some("name"))
        .map(|entry| entry.value.to_display())
        .collect();
    assert_eq!(names, ["app", "dup"]);
    assert_eq!(root.get("name").unwrap().as_str(), Some("dup"));
    assert_eq!(key_span(&root, "name"), (5, 3, 5, 9));
}

#[test]
fn json_strings_and_numbers() {
    let root = one(
        Format::Json,
        r#"["a\"b\\\/\n\u00e9\ud83d\ude00", 9223372036854775807, 9223372036854775808, 0, -0.5e-1]"#,
    );
    let items = root.as_seq().unwrap();
    assert_eq!(items[0].as_str(), Some("a\"b\\/\né😀"));
    assert_eq!(items[1].as_i64(), Some(i64::MAX));
    assert_eq!(items[2].value, Value::Float(9_223_372_036_854_775_808.0));
    assert_eq!(items[3].as_i64(), Some(0));
    assert_eq!(items[4].as_f64(), Some(-0.05));
}

#[test]
fn json_tolerates_a_byte_order_mark() {
    let root = one(Format::Json, "\u{feff}{\"a\": 1}");
    // The mark is a character of line 1, as LineIndex counts it.
    assert_eq!(key_span(&root, "a"), (1, 3, 1, 6));
    assert_eq!(root.get("a").unwrap().span.start_byte, 3 + 6);
}

#[test]
fn json_errors_have_exact_positions() {
    let cases: &[(&str, (u32, u32), &str)] = &[
        ("{\"a\": 1,\n \"b\" 2}", (2, 6), "expected `:`, found `2`"),
        ("[1, 2", (1, 6), "unexpected end of input"),
        ("{\"a\": 1,}", (1, 9), "expected a string key"),
        ("[1,]", (1, 4), "expected a value"),
        ("[01]", (1, 2), "leading zero"),
        ("[1.]", (1, 4), "expected a digit after `.`"),
        ("{\"a\": tru}", (1, 7), "expected a value"),
        ("\"abc", (1, 1), "unterminated string"),
        ("\"a\tb\"", (1, 3), "control character"),
        ("\"\\x\"", (1, 2), "invalid escape"),
        ("\"\\ud800\"", (1, 2), "unpaired surrogate"),
        ("{} x", (1, 4), "trailing characters"),
        ("", (1, 1), "unexpected end of input"),
        ("{\n  \"é\": [1 2]\n}", (2, 11), "expected `,` or `]`"),
        ("'a'", (1, 1), "expected a value"),
    ];
    for (text, (line, column), message) in cases {
        let error = parse(Format::Json, text).expect_err(text);
        assert_eq!(
            (error.span.line, error.span.column),
            (*line, *column),
            "{text:?}: {error}"
        );
        assert!(error.message.contains(message), "{text:?}: {error}");
    }
    let error = parse(Format::Json, "[1, 2").unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("line 1, column 6: {}", error.message)
    );
}

#[test]
fn json_accepts_and_rejects_what_serde_json_does() {
    let inputs = [
        "{}",
        "[]",
        " [ 1 , { \"a\" : [ ] } ] ",
        "1",
        "-0",
        "1E+2",
        "1e",
        "-",
        "+1",
        ".5",
        "0x10",
        "\"\\u12\"",
        "\"\\uDC00\"",
        "\"\\ud83d\\ude00\"",
        "[1,,2]",
        "{\"a\":1 \"b\":2}",
        "{\"a\"}",
        "nul",
        "true false",
        "[\"\u{7f}\"]",
        "\"\\/\"",
        "NaN",
        "[1]\n\n",
        "{\"a\":{\"b\":{\"c\":[1,2,{\"d\":null}]}}}",
    ];
    for input in inputs {
        let ours = parse(Format::Json, input).is_ok();
        let theirs = serde_json::from_str::<serde_json::Value>(input).is_ok();
        assert_eq!(ours, theirs, "{input:?}");
    }
}

// ---------------------------------------------------------------- YAML

const CATALOG: &str = "\
apiVersion: backstage.io/v1alpha1
metadata:
  name: my-svc
  links:
    - url: https://a.example
      title: A
    - url: \"https://b.example\"
spec:
  owner: team-a
  tags: [x, 'y']
";

#[test]
fn yaml_positions_of_keys_and_values() {
    let root = one(Format::Yaml, CATALOG);
    assert_eq!(key_span(&root, "apiVersion"), (1, 1, 1, 11));
    let metadata = root.get("metadata").unwrap();
    assert_eq!(key_span(metadata, "name"), (3, 3, 3, 7));
    assert_eq!(at(metadata.get("name").unwrap()), (3, 9, 3, 15));

    let links = metadata.get("links").unwrap();
    // A block sequence starts at its first `-` and ends with its last value.
    assert_eq!(at(links), (5, 5, 7, 31));
    let second = links.get_index(1).unwrap();
    assert_eq!(key_span(second, "url"), (7, 7, 7, 10));
    let url = second.get("url").unwrap();
    assert_eq!(url.as_str(), Some("https://b.example"));
    assert_eq!(at(url), (7, 12, 7, 31));

    let tags = root.get("spec").unwrap().get("tags").unwrap();
    assert_eq!(at(tags), (10, 9, 10, 17));
    assert_eq!(at(tags.get_index(1).unwrap()), (10, 13, 10, 16));
    assert_eq!(tags.get_index(1).unwrap().as_str(), Some("y"));
    // The document ends with its last value, not after the trailing newline.
    assert_eq!(at(&root), (1, 1, 10, 17));
}

#[test]
fn yaml_positions_count_characters_and_bytes() {
    let text = "name: \"héllo\"\nnext: 𝄞x\n";
    let root = one(Format::Yaml, text);
    let next = root.get("next").unwrap();
    assert_eq!(at(next), (2, 7, 2, 9));
    assert_eq!((next.span.start_byte, next.span.end_byte), (21, 26));
    assert_eq!(&text[next.span.start_byte..next.span.end_byte], "𝄞x");
    assert_eq!(root.get("name").unwrap().as_str(), Some("héllo"));

    // A byte-order mark is a character of line 1 (as LineIndex counts it); CRLF ends lines.
    let root = one(Format::Yaml, "\u{feff}a: 1\r\nb: 2\r\n");
    assert_eq!(key_span(&root, "a"), (1, 2, 1, 3));
    assert_eq!(at(root.get("a").unwrap()), (1, 5, 1, 6));
    assert_eq!(key_span(&root, "b"), (2, 1, 2, 2));
    assert_eq!(at(root.get("b").unwrap()), (2, 4, 2, 5));
}

#[test]
fn yaml_multiple_documents() {
    let docs = parse(Format::Yaml, "a: 1\n---\nb: 2\n---\n- x\n").unwrap();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0].get("a").unwrap().as_i64(), Some(1));
    assert_eq!(key_span(&docs[1], "b"), (3, 1, 3, 2));
    assert_eq!(docs[2].get_index(0).unwrap().as_str(), Some("x"));

    assert!(parse(Format::Yaml, "").unwrap().is_empty());
    assert!(parse(Format::Yaml, "# only a comment\n")
        .unwrap()
        .is_empty());
    let empty = parse(Format::Yaml, "---\n---\n").unwrap();
    assert_eq!(empty.len(), 2);
    assert!(empty.iter().all(Node::is_null));

    let error = parse_single(Format::Yaml, "a: 1\n---\nb: 2\n").unwrap_err();
    assert_eq!(error.span.line, 3);
    assert!(parse_single(Format::Yaml, "").unwrap().is_null());
}

#[test]
fn yaml_core_schema_scalars() {
    let root = one(
        Format::Yaml,
        "a: yes\nb: 0x1F\nc: .inf\nd: ~\ne: \"true\"\nf: 1.5\ng: !!str 12\nh:\ni: null\n\
         j: 0o17\nk: !Ref some-id\nl: |\n  line\nm: -7\n",
    );
    let value = |key: &str| root.get(key).unwrap().value.clone();
    assert_eq!(value("a"), Value::String("yes".into()));
    assert_eq!(value("b"), Value::Int(31));
    assert_eq!(value("c"), Value::Float(f64::INFINITY));
    assert_eq!(value("d"), Value::Null);
    assert_eq!(value("e"), Value::String("true".into()));
    assert_eq!(value("f"), Value::Float(1.5));
    assert_eq!(value("g"), Value::String("12".into()));
    assert_eq!(value("h"), Value::Null);
    assert_eq!(value("i"), Value::Null);
    assert_eq!(value("j"), Value::Int(15));
    assert_eq!(value("k"), Value::String("some-id".into()));
    assert_eq!(value("l"), Value::String("line\n".into()));
    assert_eq!(value("m"), Value::Int(-7));
    // An empty value has an empty span right after its key's colon.
    assert_eq!(at(root.get("h").unwrap()), (8, 3, 8, 3));

    let error = parse(Format::Yaml, "a: 1\nb: !!int abc\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (2, 4));
    assert!(error.message.contains("not a valid !!int"), "{error}");
}

#[test]
fn yaml_scalar_keys_become_their_text() {
    let root = one(Format::Yaml, "1: a\ntrue: b\n~: c\n1.50: d\n'q': e\n");
    let keys: Vec<_> = root
        .as_map()
        .unwrap()
        .iter()
        .map(|entry| entry.key_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["1", "true", "~", "1.50", "q"]);
    assert_eq!(root.get("1.50").unwrap().as_str(), Some("d"));
    assert_eq!(key_span(&root, "q"), (5, 1, 5, 4));

    let complex = one(Format::Yaml, "? [a, b]\n: c\n");
    let entry = &complex.as_map().unwrap()[0];
    assert_eq!(entry.key.kind_name(), "sequence");
    assert_eq!(entry.key_str(), None);
    assert_eq!(entry.key.to_display(), "[\"a\",\"b\"]");
}

#[test]
fn yaml_duplicate_keys_are_kept_and_the_last_wins() {
    let root = one(Format::Yaml, "a: 1\nb: 2\na: 3\n");
    let entries = root.as_map().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(root.get("a").unwrap().as_i64(), Some(3));
    assert_eq!(key_span(&root, "a"), (3, 1, 3, 2));
    assert_eq!(at(&entries[0].key), (1, 1, 1, 2));
}

#[test]
fn yaml_aliases_are_expanded() {
    let root = one(
        Format::Yaml,
        "base: &b {x: 1}\nuse: *b\nkey: &k name\n*k : v\n",
    );
    let used = root.get("use").unwrap();
    assert_eq!(used.get("x").unwrap().as_i64(), Some(1));
    // The alias itself points at `*b`; what it copied keeps the anchor's positions.
    assert_eq!(at(used), (2, 6, 2, 8));
    assert_eq!(at(used.get("x").unwrap()), (1, 14, 1, 15));
    assert_eq!(root.get("name").unwrap().as_str(), Some("v"));

    let error = parse(Format::Yaml, "a: &a [1, *a]\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (1, 11));
}

#[test]
fn yaml_aliases_of_a_large_scalar_are_bounded_in_bytes() {
    // Few nodes, many bytes: 100 KB copied 2,000 times is 200 MB.
    let mut text = format!("big: &big \"{}\"\nall:\n", "x".repeat(100_000));
    for _ in 0..2_000 {
        text.push_str("  - *big\n");
    }
    let started = std::time::Instant::now();
    let error = parse(Format::Yaml, &text).unwrap_err();
    assert!(
        error.message.contains(
            "too many bytes (alias expansion): anchors and aliases may copy at most 16777216 bytes"
        ),
        "{error}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // Under the budget, the same shape is read.
    let mut text = format!("big: &big \"{}\"\nall:\n", "x".repeat(1_000));
    for _ in 0..100 {
        text.push_str("  - *big\n");
    }
    let root = one(Format::Yaml, &text);
    assert_eq!(root.get("all").unwrap().as_seq().unwrap().len(), 100);
}

fn billion_laughs() -> String {
    let mut text = String::from("l0: &l0 lol\n");
    for level in 1..=9 {
        let aliases = vec![format!("*l{}", level - 1); 9].join(", ");
        text.push_str(&format!("l{level}: &l{level} [{aliases}]\n"));
    }
    text
}

#[test]
fn yaml_alias_bomb_is_bounded() {
    let started = std::time::Instant::now();
    let error = parse(Format::Yaml, &billion_laughs()).unwrap_err();
    assert!(
        error.message.contains("too many nodes (alias expansion)"),
        "{error}"
    );
    assert!(error.span.line >= 7, "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    // The same through complex keys, which a count of values alone would miss.
    let mut text = String::from("k0: &k0 [lol, lol]\n");
    for level in 1..=12 {
        text.push_str(&format!("k{level}: &k{level}\n"));
        for i in 0..9 {
            text.push_str(&format!("  ? [*k{}, {i}]\n  : {i}\n", level - 1));
        }
    }
    let error = parse(Format::Yaml, &text).unwrap_err();
    assert!(error.message.contains("too many nodes"), "{error}");
}

#[test]
fn yaml_errors_have_exact_positions() {
    let error = parse(Format::Yaml, "a: [1, 2\nb: 3\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (2, 2));
    assert!(!error.message.is_empty());

    let error = parse(Format::Yaml, "a: 1\n  b: 2\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (2, 4), "{error}");

    // The parser reports an unterminated quote where the quoted scalar starts.
    let error = parse(Format::Yaml, "x: \"unterminated\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (1, 4), "{error}");

    let error = parse(Format::Yaml, "é: *nope\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (1, 4), "{error}");
}

// ---------------------------------------------------------------- TOML

const PYPROJECT: &str = r#"[tool.poetry]
name = "demo"
version = "1.0"
"quoted.key" = 0x1f

[tool.poetry.dependencies]
python = "^3.11"

[[bin]]
name = "a"
[[bin]]
name = "b"
when = 1979-05-27T07:32:00Z
inline = { z = 1, a = [1.5, inf] }
"#;

#[test]
fn toml_positions_of_keys_and_values() {
    let root = one(Format::Toml, PYPROJECT);
    assert_eq!(root.span.start_byte, 0);
    assert_eq!(root.span.end_byte, PYPROJECT.len());
    let poetry = root.get("tool").unwrap().get("poetry").unwrap();
    // A table's span is its header.
    assert_eq!(at(poetry), (1, 1, 1, 14));
    assert_eq!(key_span(poetry, "name"), (2, 1, 2, 5));
    assert_eq!(at(poetry.get("name").unwrap()), (2, 8, 2, 14));
    assert_eq!(key_span(poetry, "quoted.key"), (4, 1, 4, 13));
    assert_eq!(poetry.get("quoted.key").unwrap().as_i64(), Some(31));
    let python = poetry.get("dependencies").unwrap().get("python").unwrap();
    assert_eq!(at(python), (7, 10, 7, 17));

    let bins = root.get("bin").unwrap().as_seq().unwrap();
    assert_eq!(bins.len(), 2);
    assert_eq!(at(&bins[1]), (11, 1, 11, 8));
    assert_eq!(
        bins[1].get("when").unwrap().as_str(),
        Some("1979-05-27T07:32:00Z")
    );
    let inline = bins[1].get("inline").unwrap();
    assert_eq!(at(inline), (14, 10, 14, 35));
    assert_eq!(inline.to_display(), "{\"z\":1,\"a\":[1.5,inf]}");
}

#[test]
fn toml_entries_keep_document_order() {
    let root = one(Format::Toml, "zeta = 1\nalpha = 2\n[m]\ny = 1\nb = 2\n");
    let keys: Vec<_> = root
        .as_map()
        .unwrap()
        .iter()
        .map(|entry| entry.key_str().unwrap())
        .collect();
    assert_eq!(keys, ["zeta", "alpha", "m"]);
    let m: Vec<_> = root
        .get("m")
        .unwrap()
        .as_map()
        .unwrap()
        .iter()
        .map(|e| e.key_str().unwrap())
        .collect();
    assert_eq!(m, ["y", "b"]);
    let dotted = one(Format::Toml, "a.b.c = true\n");
    assert_eq!(dotted.select(&path("a.b.c"))[0].as_bool(), Some(true));
    assert_eq!(key_span(dotted.get("a").unwrap(), "b"), (1, 3, 1, 4));
}

#[test]
fn toml_errors_have_exact_positions() {
    let error = parse(Format::Toml, "a = 1\na = 2\n").unwrap_err();
    assert_eq!(at_error(&error), (2, 1, 2, 2));
    assert!(error.message.contains("duplicate key"), "{error}");
    let error = parse(Format::Toml, "x = [1,\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (1, 8), "{error}");
    let error = parse(Format::Toml, "ok = 1\nname = bare\n").unwrap_err();
    assert_eq!(error.span.line, 2, "{error}");
    assert_eq!(error.span.column, 8, "{error}");
    let error = parse(Format::Toml, "big = 9223372036854775808\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (1, 7), "{error}");
}

fn at_error(error: &ParseError) -> (u32, u32, u32, u32) {
    (
        error.span.line,
        error.span.column,
        error.span.end_line,
        error.span.end_column,
    )
}

// ---------------------------------------------------------------- limits

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let open = "[".repeat(100_000);
    let closed = format!("{open}1{}", "]".repeat(100_000));
    let objects = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    for text in [&open, &closed, &objects] {
        let error = parse(Format::Json, text).unwrap_err();
        assert!(error.message.contains("nesting deeper than 256"), "{error}");
    }
    assert_eq!(parse(Format::Json, &open).unwrap_err().span.column, 257);
    for text in [
        open.clone(),
        closed.clone(),
        "- ".repeat(100_000),
        format!("{}x", "- ".repeat(100_000)),
        "{a: ".repeat(100_000),
        (0..300).map(|i| format!("{}a:\n", " ".repeat(i))).collect(),
    ] {
        assert!(parse(Format::Yaml, &text).is_err());
    }
    for text in [
        format!("a = {open}"),
        format!("a = {closed}"),
        format!("a = {}1{}", "{b=".repeat(100_000), "}".repeat(100_000)),
        format!("[{}]\n", vec!["a"; 100_000].join(".")),
    ] {
        assert!(parse(Format::Toml, &text).is_err());
    }
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    let json = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(Format::Json, &json).is_ok());
    let json = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert!(parse(Format::Json, &json).is_err());

    let yaml = format!("{}x\n", "- ".repeat(MAX_DEPTH));
    assert!(parse(Format::Yaml, &yaml).is_ok());
    let yaml = format!("{}x\n", "- ".repeat(MAX_DEPTH + 1));
    let error = parse(Format::Yaml, &yaml).unwrap_err();
    assert!(error.message.contains("nesting deeper"), "{error}");
    assert_eq!(
        (error.span.line, error.span.column),
        (1, 2 * MAX_DEPTH as u32 + 1)
    );

    // An alias may not push its copy past the limit either.
    let yaml = format!(
        "a: &a {}x{}\nb:\n  {}*a\n",
        "[".repeat(200),
        "]".repeat(200),
        "- ".repeat(100)
    );
    let error = parse(Format::Yaml, &yaml).unwrap_err();
    assert!(error.message.contains("nesting deeper"), "{error}");
}

// ---------------------------------------------------------------- values

#[test]
fn to_display_and_kind_names() {
    let root = one(
        Format::Json,
        r#"{"s": "x", "i": 3, "f": 1.0, "b": false, "n": null, "l": [1, "a\"b"], "m": {"k": []}}"#,
    );
    let shown = |key: &str| root.get(key).unwrap().to_display();
    assert_eq!(shown("s"), "x");
    assert_eq!(shown("i"), "3");
    assert_eq!(shown("f"), "1.0");
    assert_eq!(shown("b"), "false");
    assert_eq!(shown("n"), "null");
    assert_eq!(shown("l"), "[1,\"a\\\"b\"]");
    assert_eq!(shown("m"), "{\"k\":[]}");
    let kinds: Vec<_> = root
        .as_map()
        .unwrap()
        .iter()
        .map(|entry| entry.value.kind_name())
        .collect();
    assert_eq!(
        kinds,
        ["string", "integer", "float", "boolean", "null", "sequence", "mapping"]
    );
    assert_eq!(root.get("i").unwrap().as_f64(), Some(3.0));
    assert!(root.get("s").unwrap().is_scalar());
    assert!(root.get("missing").is_none());
    assert!(root.get("l").unwrap().get("x").is_none());
}

// ---------------------------------------------------------------- key paths

#[test]
fn key_paths_parse() {
    assert_eq!(
        path("metadata.links[*].url").segments(),
        [
            Segment::Key("metadata".into()),
            Segment::Key("links".into()),
            Segment::Wildcard,
            Segment::Key("url".into()),
        ]
    );
    assert_eq!(
        path("jobs.*.steps[2]").segments(),
        [
            Segment::Key("jobs".into()),
            Segment::Wildcard,
            Segment::Key("steps".into()),
            Segment::Index(2),
        ]
    );
    assert_eq!(
        path(r#"labels."app.kubernetes.io/name""#).segments(),
        path(r#"labels["app.kubernetes.io/name"]"#).segments()
    );
    assert_eq!(
        path(r#""a\"b\\c""#).segments(),
        [Segment::Key("a\"b\\c".into())]
    );
    assert_eq!(path(r#""""#).segments(), [Segment::Key(String::new())]);
    assert_eq!(
        path("dependencies.@types/node").segments(),
        [
            Segment::Key("dependencies".into()),
            Segment::Key("@types/node".into())
        ]
    );
    assert_eq!(
        path("[0][1].x").segments()[..2],
        [Segment::Index(0), Segment::Index(1)]
    );
    assert_eq!(path("*").segments(), [Segment::Wildcard]);
    assert!(path("a.b").is_definite());
    assert!(!path("a[*]").is_definite());

    for text in [
        "metadata.links[*].url",
        "a[0][\"b.c\"].d",
        "[\"\"][3]",
        "x.é",
    ] {
        assert_eq!(path(text).to_string(), text);
    }
    assert_eq!(path("jobs.*.x").to_string(), "jobs[*].x");
    assert_eq!(path("a.\"b c\"").to_string(), "a[\"b c\"]");
    let round_trip = path(r#"a["q\"\\"]"#);
    assert_eq!(path(&round_trip.to_string()), round_trip);
    assert_eq!("a.b".parse::<KeyPath>(), Ok(path("a.b")));
}

#[test]
fn malformed_key_paths_point_at_the_offending_byte() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 0, "empty key path"),
        ("a..b", 2, "empty segment"),
        ("a.", 1, "trailing `.`"),
        (".a", 0, "starts with `.`"),
        ("a[", 1, "unclosed `[`"),
        ("a[1", 1, "unclosed `[`"),
        ("a[x]", 2, "expected a number"),
        ("a[-1]", 2, "expected a number"),
        ("a[]", 2, "empty `[]`"),
        ("a[1x]", 3, "expected `]`"),
        ("a[99999999999999999999999]", 2, "index too large"),
        ("a b", 1, "whitespace"),
        (" a", 0, "whitespace"),
        ("a.\"b", 2, "unclosed `\"`"),
        ("a.\"b\\n\"", 4, "unknown escape"),
        ("a*", 1, "whole segment"),
        ("*a", 0, "whole segment"),
        ("a.[0]", 2, "expected a key after `.`"),
        ("a]", 1, "expected `.` or `[`"),
        ("\"a\"b", 3, "expected `.` or `[`"),
        ("é..x", 3, "empty segment"),
        ("a.]", 2, "expected a key"),
    ];
    for (text, offset, message) in cases {
        let error = KeyPath::parse(text).expect_err(text);
        assert_eq!(error.offset, *offset, "{text:?}: {error}");
        assert!(error.message.contains(message), "{text:?}: {error}");
    }
    assert_eq!(
        KeyPath::parse("a..b").unwrap_err().to_string(),
        "empty segment between dots (at byte 2 of the key path)"
    );
}

#[test]
fn select_values() {
    let root = one(Format::Yaml, CATALOG);
    assert_eq!(
        strings(select(&root, &path("metadata.links[*].url"))),
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(
        strings(select(&root, &path("metadata.links[0].url"))),
        ["https://a.example"]
    );
    assert_eq!(
        strings(select(&root, &path("metadata.links.*.title"))),
        ["A"]
    );
    assert_eq!(
        strings(select(&root, &path("spec.*"))),
        ["team-a", "[\"x\",\"y\"]"]
    );
    assert_eq!(strings(select(&root, &path("spec[\"owner\"]"))), ["team-a"]);
    assert!(select(&root, &path("spec.tags[5]")).is_empty());
    assert!(select(&root, &path("missing.key")).is_empty());
    assert!(select(&root, &path("metadata.name.more")).is_empty());
    assert!(select(&root, &path("metadata[0]")).is_empty());
    assert!(select(&root, &path("spec.owner[*]")).is_empty());

    let selected = select(&root, &path("spec.owner"));
    assert_eq!(at(selected[0]), (9, 10, 9, 16));

    let labels = one(
        Format::Json,
        r#"{"labels": {"app.kubernetes.io/name": "x", "a": {"b": 1}}}"#,
    );
    assert_eq!(
        strings(labels.select(&path(r#"labels."app.kubernetes.io/name""#))),
        ["x"]
    );
    assert!(labels
        .select(&path("labels.app.kubernetes.io/name"))
        .is_empty());

    let workflow = one(
        Format::Yaml,
        "jobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4\n      - run: make\n  \
         lint:\n    steps:\n      - uses: actions/setup-node@v4\n",
    );
    assert_eq!(
        strings(select(&workflow, &path("jobs.*.steps[*].uses"))),
        ["actions/checkout@v4", "actions/setup-node@v4"]
    );
    let located = select_with_paths(&workflow, &path("jobs.*.steps[*].uses"));
    let paths: Vec<_> = located.iter().map(|(path, _)| path.to_string()).collect();
    assert_eq!(
        paths,
        ["jobs.build.steps[0].uses", "jobs.lint.steps[0].uses"]
    );
    assert_eq!(located[1].1.span.line, 8);

    let sequence = one(Format::Json, r#"[{"name": "a"}, {"name": "b"}]"#);
    assert_eq!(strings(select(&sequence, &path("[1].name"))), ["b"]);
    assert_eq!(strings(select(&sequence, &path("[*].name"))), ["a", "b"]);
}

#[test]
fn select_with_duplicate_keys() {
    let root = one(Format::Yaml, "a: 1\nb: 2\na: 3\n");
    assert_eq!(strings(select(&root, &path("a"))), ["3"]);
    // A wildcard visits every entry, the overridden one included.
    assert_eq!(strings(select(&root, &path("*"))), ["1", "2", "3"]);
}

#[test]
fn long_single_line_documents_parse_in_linear_time() {
    // Positions on a long line must not cost the length of the line each (no quadratic time).
    let items: Vec<String> = (0..20_000).map(|i| format!("{{\"k\":\"é{i}\"}}")).collect();
    let json = format!("[{}]", items.join(","));
    let started = std::time::Instant::now();
    let root = one(Format::Json, &json);
    let last = root.get_index(19_999).unwrap().get("k").unwrap();
    assert_eq!(last.as_str(), Some("é19999"));
    assert_eq!(last.span.line, 1);
    assert_eq!(
        last.span.column as usize,
        json[..last.span.start_byte].chars().count() + 1
    );
    let yaml = one(Format::Yaml, &json);
    assert_eq!(
        yaml.get_index(19_999).unwrap().get("k").unwrap().span,
        last.span
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn parse_first_reads_only_the_first_yaml_document() {
    let text = "a: 1\n---\nb: [unclosed\n";
    assert!(parse(Format::Yaml, text).is_err());
    let first = parse_first(Format::Yaml, text, Aliases::Expand).expect("the first is valid");
    assert_eq!(first.get("a").and_then(Node::as_i64), Some(1));
    let empty = parse_first(Format::Yaml, "# only a comment\n", Aliases::Null).expect("empty");
    assert!(empty.is_null());
    assert_eq!(empty.span.start_byte, 0);
}

#[test]
fn aliases_can_read_as_null_without_spending_the_budget() {
    // Nine levels of ten aliases: 10^9 nodes when expanded.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 10].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    text.push_str("*a1 : key\n");
    let error = parse(Format::Yaml, &text).expect_err("expansion is bounded");
    assert!(error.message.contains("alias expansion"), "{error}");
    let root = parse_first(Format::Yaml, &text, Aliases::Null).expect("no expansion");
    let a1 = root.get("a1").and_then(Node::as_seq).expect("a sequence");
    assert!(a1.iter().all(Node::is_null));
    assert_eq!(a1[0].span.column, 10);
    assert_eq!(root.get("*a1").and_then(Node::as_str), Some("key"));
}
