//! Reading CODEOWNERS text into rules, sections and diagnostics.

use std::collections::HashMap;

use crate::codeowners::{CodeOwners, Rule, Section, SectionHeader};
use crate::diagnostic::{Diagnostic, DiagnosticCode as Code, Severity};
use crate::index::{CRule, Index};
use crate::owner::{classify, Owner};
use crate::pattern::{compile_github, compile_gitlab, is_ruby_space, Compiled, PatternError};
use crate::{Dialect, MAX_GITHUB_BYTES};

/// Walks a line by characters, keeping the byte offset and the 1-based character column.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
    col: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Cursor<'a> {
        Cursor { s, pos: 0, col: 1 }
    }
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        self.col += 1;
        Some(c)
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ruby_space) {
            self.bump();
        }
    }
    /// Reads a run of non-whitespace characters: `(text, column, end column)`.
    fn word(&mut self) -> (&'a str, usize, usize) {
        let (start, col) = (self.pos, self.col);
        while self.peek().is_some_and(|c| !is_ruby_space(c)) {
            self.bump();
        }
        (&self.s[start..self.pos], col, self.col)
    }
    fn rest_col(&self) -> usize {
        self.col + self.s[self.pos..].chars().count()
    }
}

struct Builder {
    dialect: Dialect,
    rules: Vec<Rule>,
    compiled: Vec<Option<Compiled>>,
    prec: Vec<u32>,
    sections: Vec<Section>,
    diagnostics: Vec<Diagnostic>,
    /// GitLab: the heading whose default owners apply now, as (section, header) indexes.
    current: Option<(usize, usize)>,
    /// Last active rule with a given pattern, per group.
    seen: HashMap<(u32, String), usize>,
}

fn group_of(section: Option<usize>) -> u32 {
    section.map_or(0, |s| s as u32 + 1)
}

impl Builder {
    fn diag(
        &mut self,
        line: usize,
        col: usize,
        end: usize,
        code: Code,
        severity: Severity,
        msg: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::new(line, col, end, code, severity, msg));
    }

    fn owner(token: &str, line: usize, col: usize, end: usize, kind: crate::OwnerKind) -> Owner {
        Owner {
            text: token.to_owned(),
            kind,
            line,
            column: col,
            end_column: end,
        }
    }

    fn push_rule(&mut self, rule: Rule, compiled: Option<Compiled>, prec: u32) {
        self.rules.push(rule);
        self.compiled.push(compiled);
        self.prec.push(prec);
    }

    fn github_line(&mut self, ln: usize, line: &str) {
        let mut cur = Cursor::new(line);
        cur.skip_ws();
        match cur.peek() {
            None | Some('#') => return,
            Some(_) => {}
        }
        let (pstart, pcol) = (cur.pos, cur.col);
        while let Some(c) = cur.peek() {
            if is_ruby_space(c) {
                break;
            }
            cur.bump();
            if c == '\\' {
                // `\ ` keeps a space in the pattern.
                cur.bump();
            }
        }
        let pattern = &line[pstart..cur.pos];
        let pend = cur.col;
        let mut active = true;
        let mut owners = Vec::new();
        loop {
            cur.skip_ws();
            match cur.peek() {
                None | Some('#') => break, // `#` after whitespace: a comment
                Some(_) => {}
            }
            let (tok, col, end) = cur.word();
            match classify(tok, Dialect::GitHub) {
                Ok(kind) => owners.push(Self::owner(tok, ln, col, end, kind)),
                Err(msg) => {
                    active = false;
                    self.diag(
                        ln,
                        col,
                        end,
                        Code::InvalidOwner,
                        Severity::Error,
                        format!("{msg}; GitHub skips this line"),
                    );
                }
            }
        }
        let compiled = match compile_github(pattern) {
            Ok(c) => {
                if c.nothing {
                    self.diag(
                        ln,
                        pcol,
                        pend,
                        Code::PatternMatchesNothing,
                        Severity::Warning,
                        format!("`{pattern}` matches no file"),
                    );
                }
                Some(c)
            }
            Err(e) => {
                active = false;
                let (code, col, end) = match e {
                    PatternError::Negation => (Code::NegationUnsupported, pcol, pcol + 1),
                    PatternError::EscapedHash => (Code::EscapedHashUnsupported, pcol, pcol + 2),
                    PatternError::TripleStar => {
                        let at = pattern.find("***").unwrap_or(0);
                        let c = pcol + pattern[..at].chars().count();
                        (Code::InvalidPattern, c, c + 3)
                    }
                    PatternError::Empty | PatternError::Exclusion | PatternError::TooLong => {
                        (Code::InvalidPattern, pcol, pend)
                    }
                };
                self.diag(
                    ln,
                    col,
                    end,
                    code,
                    Severity::Error,
                    format!("{e}; GitHub skips this line"),
                );
                None
            }
        };
        if let Some(at) = pattern.find(['[', ']']) {
            let c = pcol + pattern[..at].chars().count();
            let hint = if pattern.starts_with('[') && pattern.ends_with(']') {
                " (GitHub has no sections: this is a pattern)"
            } else {
                ""
            };
            self.diag(
                ln,
                c,
                c + 1,
                Code::CharacterRangeUnsupported,
                Severity::Warning,
                format!(
                    "GitHub does not support `[ ]` character ranges: brackets match themselves{hint}"
                ),
            );
        }
        let index = self.rules.len();
        if active {
            if let Some(&prev) = self.seen.get(&(0, pattern.to_owned())) {
                let prev_line = self.rules[prev].line;
                self.diag(
                    ln,
                    pcol,
                    pend,
                    Code::DuplicatePattern,
                    Severity::Warning,
                    format!(
                        "`{pattern}` also appears on line {prev_line}, which never applies: the \
                         last matching line wins"
                    ),
                );
            }
            self.seen.insert((0, pattern.to_owned()), index);
        }
        self.push_rule(
            Rule {
                line: ln,
                pattern: pattern.to_owned(),
                column: pcol,
                end_column: pend,
                owners,
                owners_from_section: false,
                section: None,
                exclusion: false,
                active: active && compiled.is_some(),
            },
            compiled,
            index as u32,
        );
    }

    fn gitlab_line(&mut self, ln: usize, line: &str) {
        // GitLab strips the line.
        let line = line.trim_end_matches(is_ruby_space);
        let mut cur = Cursor::new(line);
        cur.skip_ws();
        match cur.peek() {
            None | Some('#') => return,
            Some(_) => {}
        }
        let rest = &line[cur.pos..];
        if rest.starts_with('[') || rest.starts_with("^[") {
            let (col, end) = (cur.col, cur.rest_col());
            if self.gitlab_header(ln, &mut cur.clone()) {
                return;
            }
            self.diag(
                ln,
                col,
                end,
                Code::InvalidSectionHeader,
                Severity::Error,
                "a section heading needs a closing `]`; GitLab reads this line as an entry of the \
                 current section",
            );
        }
        self.gitlab_entry(ln, line, cur);
    }

    /// Reads a section heading. Returns false when the line is not one (no closing `]`).
    fn gitlab_header(&mut self, ln: usize, cur: &mut Cursor<'_>) -> bool {
        let line = cur.s;
        let start_col = cur.col;
        let optional = cur.peek() == Some('^');
        if optional {
            cur.bump();
        }
        cur.bump(); // `[`
        let name_start = cur.pos;
        let Some(close) = line[name_start..].find(']') else {
            return false;
        };
        let name = &line[name_start..name_start + close];
        while cur.pos < name_start + close {
            cur.bump();
        }
        cur.bump(); // `]`
        let name_end_col = cur.col;
        let mut approvals = None;
        let mut stop = false;
        if cur.peek() == Some('[') {
            let (acol, astart) = (cur.col, cur.pos);
            let inner = &line[astart + 1..];
            match inner.find(']') {
                Some(end) if inner[..end].chars().all(|c| c.is_ascii_digit()) => {
                    let digits = &inner[..end];
                    let n = if digits.is_empty() {
                        0
                    } else {
                        digits.parse::<u32>().unwrap_or(u32::MAX)
                    };
                    approvals = Some(n);
                    while cur.pos < astart + 1 + end {
                        cur.bump();
                    }
                    cur.bump();
                    if n == 0 {
                        self.diag(
                            ln,
                            acol,
                            cur.col,
                            Code::InvalidApprovals,
                            Severity::Warning,
                            "a section needs at least 1 approval; GitLab requires 1",
                        );
                    }
                }
                _ => {
                    stop = true;
                    self.diag(
                        ln,
                        acol,
                        cur.rest_col(),
                        Code::InvalidApprovals,
                        Severity::Warning,
                        "the number of approvals must be digits in brackets, like `[2]`; GitLab \
                         ignores this and the rest of the line (the section requires 1 approval)",
                    );
                }
            }
        }
        let mut default_owners = Vec::new();
        if !stop && cur.peek().is_some() {
            if cur.peek().is_some_and(is_ruby_space) {
                // GitLab takes default owners from a run of `[@\w.\-/+\s]` characters.
                let allowed = |c: char| {
                    c.is_ascii_alphanumeric()
                        || matches!(c, '@' | '_' | '.' | '-' | '/' | '+')
                        || is_ruby_space(c)
                };
                let rest = &line[cur.pos..];
                let cut = rest.find(|c: char| !allowed(c)).unwrap_or(rest.len());
                let stop_at = cur.pos + cut;
                let mut any_text = false;
                loop {
                    while cur.pos < stop_at && cur.peek().is_some_and(is_ruby_space) {
                        cur.bump();
                    }
                    if cur.pos >= stop_at {
                        break;
                    }
                    let (s, col) = (cur.pos, cur.col);
                    while cur.pos < stop_at && cur.peek().is_some_and(|c| !is_ruby_space(c)) {
                        cur.bump();
                    }
                    let tok = &line[s..cur.pos];
                    any_text = true;
                    match classify(tok, Dialect::GitLab) {
                        Ok(kind) => default_owners.push(Self::owner(tok, ln, col, cur.col, kind)),
                        Err(msg) => {
                            self.diag(ln, col, cur.col, Code::InvalidOwner, Severity::Warning, msg)
                        }
                    }
                }
                if any_text && default_owners.is_empty() {
                    self.diag(
                        ln,
                        name_end_col,
                        cur.col,
                        Code::InvalidOwner,
                        Severity::Error,
                        "the section's default owners hold no valid owner",
                    );
                }
                if cur.pos < line.len() {
                    let what = if line[cur.pos..].starts_with('#') {
                        "GitLab has no inline comments: it ignores the rest of a section heading \
                         from `#`"
                    } else {
                        "GitLab ignores the rest of the section heading from this character"
                    };
                    self.diag(
                        ln,
                        cur.col,
                        cur.rest_col(),
                        Code::IgnoredText,
                        Severity::Warning,
                        what,
                    );
                }
            } else {
                self.diag(
                    ln,
                    cur.col,
                    cur.rest_col(),
                    Code::IgnoredText,
                    Severity::Warning,
                    "GitLab ignores text that follows a section heading without a space",
                );
            }
        }
        if name.is_empty() {
            self.diag(
                ln,
                start_col,
                name_end_col,
                Code::EmptySectionName,
                Severity::Error,
                "a section heading needs a name",
            );
        }
        if optional && approvals.unwrap_or(0) > 0 {
            self.diag(
                ln,
                start_col,
                name_end_col,
                Code::OptionalSectionApprovals,
                Severity::Error,
                "an optional section (`^[...]`) cannot require approvals",
            );
        }
        let header = SectionHeader {
            line: ln,
            name: name.to_owned(),
            optional,
            approvals,
            default_owners,
        };
        let effective = approvals.unwrap_or(1).max(1);
        let lower = name.to_lowercase();
        let si = match self
            .sections
            .iter()
            .position(|s| s.name.to_lowercase() == lower)
        {
            Some(si) => {
                let s = &mut self.sections[si];
                s.optional &= optional;
                s.approvals = s.approvals.max(effective);
                s.headers.push(header);
                si
            }
            None => {
                self.sections.push(Section {
                    name: name.to_owned(),
                    optional,
                    approvals: effective,
                    headers: vec![header],
                });
                self.sections.len() - 1
            }
        };
        let hi = self.sections[si].headers.len() - 1;
        self.current = Some((si, hi));
        true
    }

    fn gitlab_entry(&mut self, ln: usize, line: &str, mut cur: Cursor<'_>) {
        // The pattern ends at the first whitespace not preceded by a backslash.
        let (pstart, pcol) = (cur.pos, cur.col);
        let mut prev = '\0';
        while let Some(c) = cur.peek() {
            if is_ruby_space(c) && prev != '\\' {
                break;
            }
            prev = c;
            cur.bump();
        }
        let raw = &line[pstart..cur.pos];
        let pend = cur.col;
        let exclusion = raw.starts_with('!');
        let pattern = if exclusion { &raw[1..] } else { raw };
        let section = self.current.map(|(s, _)| s);
        let mut owners = Vec::new();
        let mut tokens = 0;
        let mut comment = false;
        loop {
            cur.skip_ws();
            if cur.peek().is_none() {
                break;
            }
            let (tok, col, end) = cur.word();
            tokens += 1;
            if exclusion {
                if tokens == 1 && !tok.starts_with('#') {
                    self.diag(
                        ln,
                        col,
                        cur.rest_col(),
                        Code::IgnoredText,
                        Severity::Warning,
                        "an exclusion has no owners: GitLab ignores the text after its pattern",
                    );
                }
                continue;
            }
            if tok.starts_with('#') && !comment {
                comment = true;
                self.diag(
                    ln,
                    col,
                    cur.rest_col(),
                    Code::InlineComment,
                    Severity::Error,
                    "GitLab does not support inline comments: it reads these words as owners \
                     (reporting a malformed owner), and any @mention or email among them becomes \
                     an owner",
                );
            }
            match classify(tok, Dialect::GitLab) {
                Ok(kind) => owners.push(Self::owner(tok, ln, col, end, kind)),
                Err(msg) => {
                    if !comment {
                        self.diag(ln, col, end, Code::InvalidOwner, Severity::Error, msg);
                    }
                }
            }
        }
        let mut owners_from_section = false;
        if !exclusion && tokens == 0 {
            let defaults = self
                .current
                .map(|(s, h)| self.sections[s].headers[h].default_owners.clone())
                .unwrap_or_default();
            if defaults.is_empty() {
                self.diag(
                    ln,
                    pcol,
                    pend,
                    Code::MissingOwners,
                    Severity::Error,
                    "the entry has no owners and its section no default owners; GitLab treats \
                     it as approved",
                );
            } else {
                owners = defaults;
                owners_from_section = true;
            }
        }
        let group = group_of(section);
        let index = self.rules.len();
        let mut prec = index as u32;
        let (compiled, active) = match compile_gitlab(pattern) {
            Ok((c, normalized)) => {
                if c.nothing {
                    self.diag(
                        ln,
                        pcol,
                        pend,
                        Code::PatternMatchesNothing,
                        Severity::Warning,
                        format!(
                            "`{pattern}` matches no file (an unclosed `[` or an empty path segment)"
                        ),
                    );
                }
                if let Some(prev) = self.seen.insert((group, normalized), index) {
                    let prev_line = self.rules[prev].line;
                    self.rules[prev].active = false;
                    prec = self.prec[prev];
                    self.diag(
                        ln,
                        pcol,
                        pend,
                        Code::DuplicatePattern,
                        Severity::Warning,
                        format!(
                            "the same pattern is on line {prev_line} of this section: GitLab \
                             keeps this line and drops that one, but ranks this line where that \
                             one was (an entry in between that matches wins over it)"
                        ),
                    );
                }
                (Some(c), true)
            }
            Err(e) => {
                let msg = match e {
                    PatternError::Empty => "`!` needs a pattern after it".to_owned(),
                    e => format!("{e}; it is not used"),
                };
                self.diag(ln, pcol, pend, Code::InvalidPattern, Severity::Error, msg);
                (None, false)
            }
        };
        self.push_rule(
            Rule {
                line: ln,
                pattern: pattern.to_owned(),
                column: pcol,
                end_column: pend,
                owners,
                owners_from_section,
                section,
                exclusion,
                active,
            },
            compiled,
            prec,
        );
    }

    fn finish(self) -> CodeOwners {
        let mut crules: Vec<CRule> = Vec::new();
        {
            // Lines with the same pattern in the same group match the same paths: one compiled
            // rule stands for all of them (the one of highest precedence, which is the only one
            // that can decide), so that a pattern written 3,000 times is matched once per path.
            let mut seen: HashMap<(u32, bool, &str), usize> = HashMap::new();
            for (i, (rule, compiled)) in self.rules.iter().zip(self.compiled).enumerate() {
                let (true, Some(compiled)) = (rule.active, compiled) else {
                    continue;
                };
                let group = group_of(rule.section);
                let prec = self.prec[i];
                let key = (group, rule.exclusion, rule.pattern.as_str());
                if let Some(&at) = seen.get(&key) {
                    let c = &mut crules[at];
                    if prec > c.prec {
                        c.dups.push(c.rule);
                        c.rule = i as u32;
                        c.prec = prec;
                        c.compiled = compiled;
                    } else {
                        c.dups.push(i as u32);
                    }
                    continue;
                }
                seen.insert(key, crules.len());
                crules.push(CRule {
                    rule: i as u32,
                    group,
                    prec,
                    exclusion: rule.exclusion,
                    compiled,
                    dups: Vec::new(),
                });
            }
        }
        for c in &mut crules {
            c.dups.sort_unstable();
        }
        crules.shrink_to_fit();
        let index = Index::new(self.sections.len() + 1, crules);
        let mut rules = self.rules;
        rules.shrink_to_fit();
        CodeOwners {
            dialect: self.dialect,
            rules,
            sections: self.sections,
            diagnostics: self.diagnostics,
            index,
        }
    }
}

/// Line and column (1-based, in characters) of byte `pos` of `text`.
fn position(text: &str, pos: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..pos];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

pub(crate) fn parse_text(
    text: &str,
    dialect: Dialect,
    mut diagnostics: Vec<Diagnostic>,
    size: usize,
) -> CodeOwners {
    if dialect == Dialect::GitHub && size > MAX_GITHUB_BYTES {
        diagnostics.insert(0, Diagnostic::file_too_large(size as u64));
    }
    let mut b = Builder {
        dialect,
        rules: Vec::new(),
        compiled: Vec::new(),
        prec: Vec::new(),
        sections: Vec::new(),
        diagnostics,
        current: None,
        seen: HashMap::new(),
    };
    if let Some(pos) = memchr::memchr(0, text.as_bytes()) {
        let (line, col) = position(text, pos);
        b.diag(
            line,
            col,
            col + 1,
            Code::BinaryContent,
            Severity::Error,
            "the file holds a NUL byte: it is binary, and no rule is read from it (GitLab ignores \
             binary CODEOWNERS files)",
        );
        return b.finish();
    }
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            b.diag(
                1,
                1,
                1,
                Code::ByteOrderMark,
                Severity::Warning,
                "the file starts with a byte order mark, which the hosting service may read as part \
                 of the first line; save it as UTF-8 without BOM",
            );
            rest
        }
        None => text,
    };
    // Reserved up front: growing by doubling would hold two copies of a large file's rules at
    // the peak.
    let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
    b.rules.reserve_exact(lines);
    b.compiled.reserve_exact(lines);
    b.prec.reserve_exact(lines);
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match dialect {
            Dialect::GitHub => b.github_line(i + 1, line),
            Dialect::GitLab => b.gitlab_line(i + 1, line),
        }
    }
    b.finish()
}

pub(crate) fn parse_bytes(bytes: &[u8], dialect: Dialect) -> CodeOwners {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return parse_text(text, dialect, Vec::new(), bytes.len());
    }
    let mut text = String::with_capacity(bytes.len() + 16);
    let mut diagnostics = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            text.push('\n');
        }
        match std::str::from_utf8(line) {
            Ok(s) => text.push_str(s),
            Err(e) => {
                let valid = e.valid_up_to();
                let col = String::from_utf8_lossy(&line[..valid]).chars().count() + 1;
                text.push_str(&String::from_utf8_lossy(line));
                diagnostics.push(Diagnostic::new(
                    i + 1,
                    col,
                    col + 1,
                    Code::InvalidUtf8,
                    Severity::Warning,
                    "the line is not valid UTF-8; invalid bytes were replaced by U+FFFD",
                ));
            }
        }
    }
    parse_text(&text, dialect, diagnostics, bytes.len())
}
