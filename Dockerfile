# goldpath as a container image: one static binary (musl) on distroless, run as a non-root user.
#
#   docker run --rm -v "$PWD:/repo" ghcr.io/goldpath/goldpath:<version> check /repo
#
# Two images come from this file (the release workflow pushes both):
# - the default target (the last stage): the binary and nothing else, no shell;
# - `--target ci`: the same plus a static busybox `sh`, for CI systems that run their scripts
#   inside the job's image (GitLab CI, see docs/gitlab.md).
# Base images are pinned by digest; Dependabot (docker ecosystem) proposes updates.

# The builder: Rust on Alpine, whose native target is x86_64-unknown-linux-musl (aarch64 on
# arm64 hosts); musl binaries are statically linked by default (crt-static).
FROM rust:1.95-alpine@sha256:606fd313a0f49743ee2a7bd49a0914bab7deedb12791f3a846a34a4711db7ed2 AS build
RUN apk add --no-cache musl-dev busybox-static
WORKDIR /src
COPY . .
# The `dist` profile, as the release archives: strip, LTO, one codegen unit.
RUN target="$(uname -m)-unknown-linux-musl" \
 && cargo build --locked --profile dist --bin goldpath --target "$target" \
 && cp "target/$target/dist/goldpath" /goldpath \
 && /goldpath --version

# What both images share: the binary, labels, the non-root user.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639 AS base
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="goldpath" \
      org.opencontainers.image.description="Hold every repository to your organisation's golden path: CI, ownership, dependencies, observability." \
      org.opencontainers.image.source="https://github.com/goldpath/goldpath" \
      org.opencontainers.image.url="https://github.com/goldpath/goldpath" \
      org.opencontainers.image.documentation="https://github.com/goldpath/goldpath#readme" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /goldpath /usr/local/bin/goldpath
# distroless's `nonroot` user: reading a mounted repository is all goldpath needs.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/goldpath"]
CMD ["check", "."]

# For GitLab CI and other runners that run the job's script inside its image: a static
# busybox as /busybox/sh (where GitLab's runner looks for a shell, as in distroless's debug
# images).
FROM base AS ci
COPY --from=build /bin/busybox.static /busybox/sh
ENV PATH=/usr/local/bin:/busybox
USER 65532:65532

# The default image: the binary and nothing else.
FROM base
USER 65532:65532
WORKDIR /repo
