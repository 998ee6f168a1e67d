//! Escaping of text taken from the repository (paths, snippets, messages that quote files,
//! owners) for each output medium, so that a hostile file name cannot drive a terminal or
//! inject structure into a job summary.

use std::borrow::Cow;

/// Text for one line of a terminal: every control character other than tab (ESC, which starts
/// colour and OSC hyperlink sequences, BEL, carriage return, line feed, DEL, the C1 range) is
/// shown as its Unicode control picture (`␛`, `␍`, `␊`) or U+FFFD, one character for one, so
/// columns and carets stay aligned and a file name cannot print a line of its own.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                c if !is_unsafe_control(c) => c,
                '\u{7f}' => '\u{2421}',
                c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
                _ => '\u{fffd}',
            })
            .collect(),
    )
}

/// [`terminal`] for text of several lines: line feeds kept.
pub fn terminal_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe_control(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.split('\n')
            .map(|line| terminal(line))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn is_unsafe_control(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// Text for one Markdown table cell or line of prose: no line breaks (a `\r` or `\n` would end
/// the row and start a heading), HTML special characters as entities, and every character that
/// can start Markdown structure (code spans, emphasis, links and images, headings, table
/// pipes) escaped with a backslash, so the text renders as itself.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' | '\n' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Text as a Markdown code span for a table cell: fenced by more backticks than any run inside
/// it, with `|` escaped (GitHub tables split on it even in code spans), line breaks and other
/// control characters replaced.
pub fn markdown_code(text: &str) -> String {
    let body: String = text
        .chars()
        .map(|c| match c {
            '\r' | '\n' => ' ',
            c if c.is_control() && c != '\t' => '\u{fffd}',
            c => c,
        })
        .collect::<String>()
        .replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A space on each side keeps a leading or trailing backtick out of the fence.
    let pad = if longest > 0 { " " } else { "" };
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file name that tries each medium's injection at once.
    pub(crate) const HOSTILE: &str =
        "a\r\n## Tier reached: gold\u{1b}]8;;x\u{7}`|[x](javascript:alert(1))<b>![i](http://t/p.png).txt";

    #[test]
    fn terminal_shows_control_characters_one_for_one() {
        let shown = terminal(HOSTILE);
        assert!(!shown.contains(['\u{1b}', '\u{7}', '\r']), "{shown}");
        assert!(shown.contains("a\u{240d}\u{240a}## Tier"), "{shown}");
        assert_eq!(terminal_lines("a\u{1b}\nb\r"), "a\u{241b}\nb\u{240d}");
        assert_eq!(shown.chars().count(), HOSTILE.chars().count());
        assert_eq!(terminal("\u{9b}31m\u{7f}"), "\u{fffd}31m\u{2421}");
        assert!(matches!(terminal("plain\ttext"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_keeps_text_inert() {
        let cell = markdown(HOSTILE);
        assert!(!cell.contains(['\r', '\n', '<', '>', '\u{1b}']), "{cell}");
        assert!(!cell.contains("](") && !cell.contains("!["), "{cell}");
        assert!(
            cell.contains("\\`\\|\\[x\\]\\(javascript:alert\\(1\\)\\)&lt;b&gt;"),
            "{cell}"
        );
        assert!(cell.contains("\\#\\# Tier reached: gold"), "{cell}");
    }

    #[test]
    fn markdown_code_spans_cannot_be_closed_early() {
        assert_eq!(markdown_code("src/a.rs"), "`src/a.rs`");
        assert_eq!(markdown_code("a`b|c"), "`` a`b\\|c ``");
        assert_eq!(markdown_code("x\r\ny"), "`x  y`");
    }

    /// A report with one finding whose path, snippet, message and help carry [`HOSTILE`].
    fn hostile_report() -> crate::engine::Report {
        use crate::policy::{FsReader, Policy};
        let policy =
            "[rules.\"files/forbidden\"]\npaths = [{ glob = \"**/*.txt\", reason = \"r\" }]\n";
        let policy = Policy::from_text(
            "goldpath.toml",
            policy,
            std::path::Path::new("."),
            &FsReader,
        )
        .unwrap();
        let registry = crate::registry::Registry::builtin();
        let engine = crate::engine::Engine::new(&registry, &policy).unwrap();
        let snapshot = crate::snapshot::MemorySnapshot::new().with_file(HOSTILE, "x\n");
        let mut report = engine.check(&snapshot);
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        let finding = &mut report.findings[0];
        assert_eq!(finding.path.as_deref(), Some(HOSTILE));
        finding.message = format!("message {HOSTILE}");
        finding.help = Some(format!("help {HOSTILE}"));
        finding.snippet = Some(format!("snippet {HOSTILE}"));
        finding.span = Some(crate::span::Span {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 2,
            start_byte: 0,
            end_byte: 1,
        });
        report
    }

    fn render(format: crate::render::Format) -> String {
        let registry = crate::registry::Registry::builtin();
        let options = crate::render::Options {
            registry: &registry,
            anchor: None,
            color: true,
        };
        crate::render::render(format, &hostile_report(), &options)
    }

    #[test]
    fn human_output_sends_no_control_sequence_from_the_repository() {
        let out = render(crate::render::Format::Human);
        // The renderer's own colours are the only escapes: each starts a CSI `ESC [`.
        let raw: Vec<&str> = out
            .split('\u{1b}')
            .skip(1)
            .filter(|s| !s.starts_with('['))
            .collect();
        assert!(raw.is_empty(), "{out:?}");
        assert!(!out.contains(['\r', '\u{7}']), "{out:?}");
        assert!(!out.lines().any(|l| l.starts_with("## Tier")), "{out}");
    }

    #[test]
    fn markdown_output_injects_no_structure() {
        let out = render(crate::render::Format::Markdown);
        // The location is a code span, where nothing is live; the rest must be inert text.
        let location = markdown_code(&format!("{HOSTILE}:1:1"));
        assert!(out.contains(&format!("| {location} |")), "{out}");
        let out = out.replace(&location, "LOCATION");
        assert!(!out.contains(['\r', '\u{1b}', '\u{7}', '<']), "{out:?}");
        assert!(
            !out.lines()
                .any(|l| l.starts_with('#') && l != "## goldpath"),
            "{out}"
        );
        assert!(!out.contains("](") && !out.contains("!["), "{out}");
        // Every row of the table has its four cells.
        for row in out.lines().filter(|l| l.starts_with("| ")) {
            let cells = row.replace("\\|", "").matches('|').count();
            assert_eq!(cells, 5, "{row}");
        }
    }

    #[test]
    fn github_commands_carry_no_line_break_or_property_separator() {
        let out = render(crate::render::Format::Github);
        assert_eq!(out.lines().count(), 1, "{out:?}");
        assert!(!out.contains(['\r', '\u{1b}']) || !out.contains('\n') || out.ends_with('\n'));
        let (properties, _) = out.trim_start_matches("::error ").split_once("::").unwrap();
        let file = properties.split(',').next().unwrap();
        assert!(
            file.starts_with("file=a%0D%0A## Tier reached%3A gold"),
            "{file}"
        );
        assert!(
            !out.trim_end().contains('\n') && !out.contains('\r'),
            "{out:?}"
        );
    }

    #[test]
    fn junit_xml_is_well_formed_and_keeps_the_name() {
        let out = render(crate::render::Format::Junit);
        assert!(
            !out.contains('\r') && !out.contains('\u{1b}') && !out.contains("<b>"),
            "{out:?}"
        );
        assert!(out.contains("a&#13;&#10;## Tier reached: gold"), "{out}");
    }

    #[test]
    fn json_formats_escape_everything() {
        for format in [
            crate::render::Format::Json,
            crate::render::Format::Sarif,
            crate::render::Format::Gitlab,
        ] {
            let out = render(format);
            let value: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert!(
                !out.contains(['\r', '\u{1b}', '\u{7}']),
                "{format:?}: {out:?}"
            );
            assert!(
                value.to_string().contains("javascript:alert(1)"),
                "{format:?}"
            );
        }
    }
}
