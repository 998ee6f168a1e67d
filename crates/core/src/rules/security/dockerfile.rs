//! A small Dockerfile reader for the `dockerfile-*` rules: instructions with the byte offset
//! of every character, so findings point at the exact column.
//!
//! It follows the Dockerfile reference closely enough for `FROM`, `ARG` and `USER`: parser
//! directives (`# escape=`` ` ``), line continuations with the escape character (trailing
//! whitespace allowed), comment and empty lines inside a continuation, and heredocs
//! (`RUN <<EOF` … `EOF`, `<<-`, quoted delimiters), whose bodies are skipped. It never fails:
//! what it cannot read is left out.

use std::collections::HashMap;

/// One instruction, continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The keyword, upper-cased (`FROM`).
    pub keyword: String,
    /// The arguments, continuations joined (the escape character and line break removed).
    pub args: String,
    /// The file byte offset of each byte of `args`, plus one past the end.
    pub offsets: Vec<usize>,
    /// The byte offset where the keyword starts.
    pub start: usize,
}

impl Instruction {
    /// The file byte range of `args[range]`.
    pub fn file_range(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let at = |i: usize| {
            self.offsets
                .get(i)
                .copied()
                .unwrap_or_else(|| self.offsets.last().copied().unwrap_or(self.start))
        };
        let start = at(range.start);
        let end = if range.end > range.start {
            at(range.end - 1) + 1
        } else {
            start
        };
        start..end.max(start)
    }

    /// The whitespace-separated words of `args` with their ranges in `args`.
    pub fn words(&self) -> Vec<(&str, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in self.args.char_indices() {
            if c.is_whitespace() {
                if let Some(s) = start.take() {
                    out.push((&self.args[s..i], s..i));
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(s) = start {
            out.push((&self.args[s..], s..self.args.len()));
        }
        out
    }
}

/// Splits a Dockerfile into instructions.
pub fn parse(text: &str) -> Vec<Instruction> {
    let mut escape = '\\';
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = physical_lines(&text[bom..])
        .map(|(at, line)| (at + bom, line))
        .peekable();
    // Parser directives: `# key=value` comment lines at the very top.
    let mut directives = true;
    let mut out = Vec::new();
    while let Some((start, line)) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            if directives {
                if let Some((key, value)) = comment.split_once('=') {
                    let key = key.trim().to_ascii_lowercase();
                    if key == "escape" {
                        if let Some(c) = value.trim().chars().next() {
                            if c == '`' || c == '\\' {
                                escape = c;
                            }
                        }
                        continue;
                    }
                    if key == "syntax" || key == "check" {
                        continue;
                    }
                }
            }
            directives = false;
            continue;
        }
        directives = false;
        if trimmed.is_empty() {
            continue;
        }
        let lead = line.len() - trimmed.len();
        let mut joined = String::new();
        let mut offsets = Vec::new();
        let mut piece = (start + lead, trimmed);
        loop {
            let (at, text) = piece;
            let body = text.trim_end_matches(['\r', ' ', '\t']);
            let continued = body.ends_with(escape);
            let body = if continued {
                &body[..body.len() - escape.len_utf8()]
            } else {
                body
            };
            for (i, c) in body.char_indices() {
                for k in 0..c.len_utf8() {
                    offsets.push(at + i + k);
                }
            }
            joined.push_str(body);
            if !continued {
                break;
            }
            // Comment and empty lines inside a continuation are dropped.
            let next = loop {
                match lines.next() {
                    Some((_, l)) if l.trim_start().starts_with('#') || l.trim().is_empty() => {}
                    other => break other,
                }
            };
            match next {
                Some((s, l)) => piece = (s, l),
                None => break,
            }
        }
        let end = offsets.last().map_or(start + lead, |o| o + 1);
        offsets.push(end);
        let keyword_len = joined.find(char::is_whitespace).unwrap_or(joined.len());
        let keyword = joined[..keyword_len].to_ascii_uppercase();
        let rest_start = joined[keyword_len..]
            .find(|c: char| !c.is_whitespace())
            .map_or(joined.len(), |i| keyword_len + i);
        let args = joined[rest_start..].to_owned();
        let instruction = Instruction {
            keyword,
            args,
            offsets: offsets[rest_start..].to_vec(),
            start: start + lead,
        };
        // Heredoc bodies follow the instruction's last line: skip them.
        for delimiter in heredoc_delimiters(&instruction.args) {
            for (_, l) in lines.by_ref() {
                let l = l.trim_end_matches(['\r', '\n']);
                if l == delimiter.word || (delimiter.strip_tabs && l.trim_start() == delimiter.word)
                {
                    break;
                }
            }
        }
        out.push(instruction);
    }
    out
}

struct Heredoc {
    word: String,
    strip_tabs: bool,
}

/// The heredoc delimiters an instruction's arguments open, in order (`<<EOF`, `<<-EOF`,
/// `<<"EOF"`). `<<` followed by anything else is not a heredoc.
fn heredoc_delimiters(args: &str) -> Vec<Heredoc> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        let mut after = &rest[at + 2..];
        let strip_tabs = after.starts_with('-');
        if strip_tabs {
            after = &after[1..];
        }
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        if let Some(q) = quote {
            after = &after[1..];
            let end = after.find(q).unwrap_or(after.len());
            if end > 0 {
                out.push(Heredoc {
                    word: after[..end].to_owned(),
                    strip_tabs,
                });
            }
            rest = &after[end.min(after.len())..];
            continue;
        }
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if end > 0 {
            out.push(Heredoc {
                word: after[..end].to_owned(),
                strip_tabs,
            });
        }
        rest = &after[end..];
    }
    out
}

/// Lines with the byte offset where each starts; the line ending is kept.
fn physical_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = at;
        at += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

/// One build stage: its `FROM` and what follows until the next `FROM`.
#[derive(Debug)]
pub struct Stage<'a> {
    /// The `FROM` instruction.
    pub from: &'a Instruction,
    /// The image reference (after flags), with its range in `from.args`.
    pub image: Option<(&'a str, std::ops::Range<usize>)>,
    /// The stage's name (`AS name`), lower-cased.
    pub alias: Option<String>,
    /// The instructions of the stage, after `FROM`.
    pub body: Vec<&'a Instruction>,
}

/// A Dockerfile split into global `ARG`s (before the first `FROM`) and stages.
#[derive(Debug)]
pub struct Dockerfile<'a> {
    /// `ARG` defaults declared before the first `FROM` (usable in `FROM` lines); a declared
    /// argument without a default maps to `None`.
    pub global_args: HashMap<String, Option<String>>,
    /// The stages in order.
    pub stages: Vec<Stage<'a>>,
}

impl<'a> Dockerfile<'a> {
    /// Groups instructions into stages.
    pub fn new(instructions: &'a [Instruction]) -> Self {
        let mut global_args = HashMap::new();
        let mut stages: Vec<Stage<'a>> = Vec::new();
        for instruction in instructions {
            if instruction.keyword == "FROM" {
                let words = instruction.words();
                let mut rest = words.iter().skip_while(|(w, _)| w.starts_with("--"));
                let image = rest.next().map(|(w, r)| (*w, r.clone()));
                let alias = match (rest.next(), rest.next()) {
                    (Some((as_kw, _)), Some((name, _))) if as_kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                stages.push(Stage {
                    from: instruction,
                    image,
                    alias,
                    body: Vec::new(),
                });
            } else if let Some(stage) = stages.last_mut() {
                stage.body.push(instruction);
            } else if instruction.keyword == "ARG" {
                for (word, _) in instruction.words() {
                    let (name, value) = match word.split_once('=') {
                        Some((n, v)) => (n, Some(unquote(v).to_owned())),
                        None => (word, None),
                    };
                    global_args.insert(name.to_owned(), value);
                }
            }
        }
        Self {
            global_args,
            stages,
        }
    }
}

fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// Substitutes `$NAME`, `${NAME}` and `${NAME:-default}` with `args`; `Err(name)` names the
/// first variable with no value.
pub fn substitute(text: &str, args: &HashMap<String, Option<String>>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, default, consumed) = if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                return Err(after.to_owned());
            };
            let body = &inner[..end];
            let (name, default) = match body.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => match body.split_once('-') {
                    Some((n, d)) => (n, Some(d)),
                    None => (body, None),
                },
            };
            (name, default, end + 2)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], None, end)
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        match args.get(name).cloned().flatten().filter(|v| !v.is_empty()) {
            Some(value) => out.push_str(&value),
            None => match default {
                Some(d) => out.push_str(d),
                None => return Err(name.to_owned()),
            },
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_continuations_and_keeps_offsets() {
        let text = "FROM alpine \\\n  # a comment\n\n  AS base\nRUN echo hi\n";
        let parsed = parse(text);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].keyword, "FROM");
        assert_eq!(parsed[0].args, "alpine   AS base");
        let words = parsed[0].words();
        let (_, range) = &words[2];
        let file = parsed[0].file_range(range.clone());
        assert_eq!(&text[file], "base");
    }

    #[test]
    fn escape_directive_and_heredocs() {
        let text = "# escape=`\nFROM a `\n AS b\nRUN <<EOF\nFROM evil\nEOF\nRUN <<-'X' cat\n\tUSER root\n\tX\nUSER app\n";
        let parsed = parse(text);
        let keywords: Vec<_> = parsed.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(keywords, ["FROM", "RUN", "RUN", "USER"]);
        assert_eq!(parsed[0].args, "a  AS b");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "\\",
            "FROM \\",
            "RUN <<",
            "RUN <<'",
            "FROM ${",
            "\u{feff}FROM é\\\n",
            "#",
        ] {
            let parsed = parse(text);
            let file = Dockerfile::new(&parsed);
            for stage in &file.stages {
                let _ = stage.from.file_range(0..stage.from.args.len() + 3);
            }
        }
    }

    #[test]
    fn substitutes_build_arguments() {
        let args: HashMap<String, Option<String>> = [
            ("V".to_owned(), Some("1.2".to_owned())),
            ("E".to_owned(), None),
        ]
        .into_iter()
        .collect();
        assert_eq!(substitute("a:$V", &args).unwrap(), "a:1.2");
        assert_eq!(substitute("a:${V}-x", &args).unwrap(), "a:1.2-x");
        assert_eq!(substitute("a:${E:-3}", &args).unwrap(), "a:3");
        assert_eq!(substitute("a:${E}", &args), Err("E".to_owned()));
        assert_eq!(substitute("a:$MISSING", &args), Err("MISSING".to_owned()));
    }
}
