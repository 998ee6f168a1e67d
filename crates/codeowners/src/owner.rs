//! Owners: who a rule names.

use std::fmt;

use crate::Dialect;

/// A GitLab role that can own files (`@@developer`, `@@maintainer`, `@@owner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// `@@developer` (or `@@developers`): direct project members with the Developer role.
    Developer,
    /// `@@maintainer` (or `@@maintainers`): direct project members with the Maintainer role.
    Maintainer,
    /// `@@owner` (or `@@owners`): direct project members with the Owner role.
    Owner,
}

impl Role {
    /// The role's name in lower case: `"developer"`, `"maintainer"` or `"owner"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Developer => "developer",
            Role::Maintainer => "maintainer",
            Role::Owner => "owner",
        }
    }
}

/// What an [`Owner`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnerKind {
    /// `@name`. On GitHub a user; on GitLab a user or a top-level group (the syntax is the same).
    User,
    /// `@org/team` on GitHub; `@group/subgroup[/...]` on GitLab.
    Team,
    /// An email address, `someone@example.com`.
    Email,
    /// A GitLab role, `@@developer`, `@@maintainer` or `@@owner`.
    Role(Role),
}

/// One owner named by a rule (or by a GitLab section heading, as a default owner).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner {
    /// The owner as written, for example `@org/team` or `docs@example.com`.
    pub text: String,
    /// What it refers to.
    pub kind: OwnerKind,
    /// Its line in the file, from 1.
    pub line: usize,
    /// Its first column, from 1, in characters.
    pub column: usize,
    /// The column just past it.
    pub end_column: usize,
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a token is not an owner, as a sentence fragment.
pub(crate) fn classify(token: &str, dialect: Dialect) -> Result<OwnerKind, String> {
    if let Some(rest) = token.strip_prefix("@@") {
        return match dialect {
            Dialect::GitHub => Err(format!(
                "`{token}` is not a GitHub owner: `@@role` owners are GitLab syntax; use `@user`, \
                 `@org/team` or an email address"
            )),
            Dialect::GitLab => gitlab_role(rest).map(OwnerKind::Role).ok_or_else(|| {
                format!(
                    "`{token}` is not a GitLab role: use `@@developer`, `@@maintainer` or `@@owner`"
                )
            }),
        };
    }
    if let Some(rest) = token.strip_prefix('@') {
        let ok = match dialect {
            Dialect::GitHub => github_handle(rest),
            Dialect::GitLab => gitlab_path(rest),
        };
        return match ok {
            Some(kind) => Ok(kind),
            None => Err(match dialect {
                Dialect::GitHub => format!(
                    "`{token}` is not a valid owner: use `@user`, `@org/team` or an email address"
                ),
                Dialect::GitLab => format!(
                    "`{token}` is not a valid owner: use `@user`, `@group`, `@group/subgroup`, \
                     `@@role` or an email address"
                ),
            }),
        };
    }
    let is_email = match dialect {
        Dialect::GitHub => github_email(token),
        Dialect::GitLab => gitlab_email(token),
    };
    if is_email {
        return Ok(OwnerKind::Email);
    }
    Err(match dialect {
        Dialect::GitHub => format!(
            "`{token}` is not a valid owner: use `@user`, `@org/team` or an email address (an owner \
             needs a leading `@`)"
        ),
        Dialect::GitLab => format!(
            "`{token}` is not a valid owner and GitLab ignores it: use `@user`, `@group/subgroup`, \
             `@@role` or an email address"
        ),
    })
}

fn gitlab_role(rest: &str) -> Option<Role> {
    let lower = rest.to_ascii_lowercase();
    let base = lower.strip_suffix('s').unwrap_or(&lower);
    match (lower.as_str(), base) {
        ("developer", _) | (_, "developer") => Some(Role::Developer),
        ("maintainer", _) | (_, "maintainer") => Some(Role::Maintainer),
        ("owner", _) | (_, "owner") => Some(Role::Owner),
        _ => None,
    }
}

fn is_github_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// `user` or `org/team`, after the `@`.
fn github_handle(rest: &str) -> Option<OwnerKind> {
    match rest.split_once('/') {
        None => {
            (!rest.is_empty() && rest.chars().all(is_github_name_char)).then_some(OwnerKind::User)
        }
        Some((org, team)) => (!org.is_empty()
            && !team.is_empty()
            && org.chars().all(is_github_name_char)
            && team.chars().all(is_github_name_char))
        .then_some(OwnerKind::Team),
    }
}

/// `name` or `group/subgroup/...`, after the `@` (GitLab namespace paths).
fn gitlab_path(rest: &str) -> Option<OwnerKind> {
    let mut parts = 0;
    for part in rest.split('/') {
        let mut chars = part.chars();
        let first = chars.next()?;
        if !(first.is_ascii_alphanumeric() || first == '_' || first == '.') {
            return None;
        }
        if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            return None;
        }
        parts += 1;
    }
    Some(if parts == 1 {
        OwnerKind::User
    } else {
        OwnerKind::Team
    })
}

/// A conventional address: `local@domain.tld`.
fn github_email(token: &str) -> bool {
    let Some((local, domain)) = token.split_once('@') else {
        return false;
    };
    if local.is_empty()
        || !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-'))
    {
        return false;
    }
    let Some((host, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
}

/// GitLab's looser reading: something without `@`, an `@`, something without `@` that ends with
/// a word character.
fn gitlab_email(token: &str) -> bool {
    let Some((local, domain)) = token.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_owner_syntax() {
        let ok = |t: &str| classify(t, Dialect::GitHub).ok();
        assert_eq!(ok("@octocat"), Some(OwnerKind::User));
        assert_eq!(ok("@my_user-1"), Some(OwnerKind::User));
        assert_eq!(ok("@org/team-name"), Some(OwnerKind::Team));
        assert_eq!(ok("docs@example.com"), Some(OwnerKind::Email));
        for bad in [
            "team",
            "@",
            "@org/",
            "@/team",
            "@@x",
            "@@developer",
            "@a/b/c",
            "x@y",
            "@a.b",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }

    #[test]
    fn gitlab_owner_syntax() {
        let ok = |t: &str| classify(t, Dialect::GitLab).ok();
        assert_eq!(ok("@group"), Some(OwnerKind::User));
        assert_eq!(ok("@group/with-nested/subgroup"), Some(OwnerKind::Team));
        assert_eq!(ok("janedoe@gitlab.com"), Some(OwnerKind::Email));
        assert_eq!(ok("@@developer"), Some(OwnerKind::Role(Role::Developer)));
        assert_eq!(ok("@@Maintainers"), Some(OwnerKind::Role(Role::Maintainer)));
        assert_eq!(ok("@@owner"), Some(OwnerKind::Role(Role::Owner)));
        for bad in [
            "user_without_at_symbol",
            "@",
            "@org/",
            "@@x",
            "@@",
            "#",
            "@@reporter",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }
}
