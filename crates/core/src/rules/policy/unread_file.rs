use crate::rule::declare_rule;

declare_rule! {
    id: "policy/unread-file",
    summary: "A file a rule needed could not be read, so it was not checked",
    level: Note,
    tier: Bronze,
    scope: Repository { path_list: true },
    build: super::build,
    what: "Files that an enabled rule wants to read but that goldpath did not read: larger \
           than `settings.max-read-bytes` (10 MiB by default), or failing to read.",
    why: "A check that silently skips a file is a check that can be bypassed. This note says \
          exactly which files were not judged.",
    example: "A 40 MiB `package-lock.json` with the default limit is reported: \
              `not checked: 41943040 bytes, over the 10485760-byte read limit`.",
    fix: "Raise `max-read-bytes` in `[settings]`, exclude the file with `settings.exclude`, \
          or make the file readable.",
}
