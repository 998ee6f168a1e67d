//! Whole fleet reports pinned byte for byte: a fleet with every section (trend, weaker
//! policies, baseline debt, a repository that could not be checked, a hostile name and owner),
//! and one whose adoption did not change. The expected files are the output of
//! `goldpath fleet report` before Markdown and HTML were written from one table model.

use std::path::Path;

use goldpath_fleet::{parse_lines, FleetReport, Line};

fn lines(name: &str) -> Vec<Line> {
    parse_lines(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_section_in_every_format() {
    let previous = lines("previous.jsonl");
    let report = FleetReport::with_org_rules(&lines("current.jsonl"), Some(&previous), Some(4));
    assert_eq!(report.to_markdown(), fixture("report.md"));
    assert_eq!(report.to_html(), fixture("report.html"));
    assert_eq!(report.to_json(), fixture("report.json"));
}

#[test]
fn unchanged_adoption_in_every_format() {
    let current = lines("unchanged.jsonl");
    let report = FleetReport::new(&current, Some(&current));
    assert_eq!(report.to_markdown(), fixture("unchanged.md"));
    assert_eq!(report.to_html(), fixture("unchanged.html"));
}
