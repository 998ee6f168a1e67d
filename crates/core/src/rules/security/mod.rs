//! `security/*`: a security policy with a contact, a recognised licence that agrees with the
//! manifests, container images pinned by digest and run as a non-root user, and no committed
//! private keys or cloud credentials.

pub mod dockerfile;
mod license_text;

super::rule_modules! {
    dockerfile_pinned,
    dockerfile_user,
    license,
    secrets,
    security_policy,
}

/// The globs of Dockerfiles and Containerfiles, shared by the `dockerfile-*` rules.
pub(crate) const DOCKERFILE_GLOBS: &[&str] = &[
    "**/Dockerfile",
    "**/Dockerfile.*",
    "**/*.Dockerfile",
    "**/*.dockerfile",
    "**/Containerfile",
    "**/Containerfile.*",
];

/// Whether a path matched by [`DOCKERFILE_GLOBS`] is a Dockerfile rather than a file beside
/// it: `Dockerfile.dockerignore` is BuildKit's per-Dockerfile ignore file.
pub(crate) fn is_dockerfile(path: &str) -> bool {
    !path.ends_with(".dockerignore")
}

/// The Dockerfile globs as owned strings, for [`crate::rule::Rule::wants`].
pub(crate) fn dockerfile_wants() -> Vec<String> {
    DOCKERFILE_GLOBS.iter().map(|g| (*g).to_owned()).collect()
}
