use crate::rule::declare_rule;

declare_rule! {
    id: "policy/waiver-expired",
    summary: "A waiver's `expires` date has passed",
    level: Error,
    tier: Bronze,
    scope: Repository { path_list: true },
    build: super::build,
    what: "Every `[[waivers]]` entry whose `expires` date is before today (UTC). An expired \
           waiver waives nothing: the findings it covered are reported again, and the waiver \
           itself is reported at its line in the policy file.",
    why: "Waivers are how a team accepts a finding for a while, with a reason and an owner. \
          Without an expiry they become permanent exceptions nobody remembers; with one that \
          passes silently they would hide findings forever.",
    example: "```toml\n[[waivers]]\nrule = \"files/forbidden\"\npaths = [\"legacy/.env\"]\n\
              reason = \"removed with the legacy deploy\"\nowner = \"@acme/platform\"\n\
              expires = 2020-01-31   # reported: the date has passed\n```",
    fix: "Fix the findings and delete the waiver, or agree a new date with the waiver's \
          owner and change `expires`.",
}
