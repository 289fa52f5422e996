# syntax=docker/dockerfile:1
# taskrender container images. Two targets:
#
#   docker build -t taskrender .                          # distroless/static, non-root (default)
#   docker build --target alpine -t taskrender:alpine .   # alpine with a shell, for GitLab `image:`
#
# Both carry the same statically linked binary (glibc, `+crt-static`; the static build
# scripts/dist-check.sh verifies on every CI run). Not built in this repository's CI (no
# container engine there); hadolint checks this file.

ARG RUST_VERSION=1.89
ARG VERSION=0.1.0
ARG REVISION=unknown

FROM rust:${RUST_VERSION}-bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
COPY . .
# The host triple of the build platform (amd64 or arm64): a static binary for it.
RUN set -eux; \
    target="$(rustc -vV | sed -n 's/^host: //p')"; \
    RUSTFLAGS='-C target-feature=+crt-static' \
        cargo build --release --locked --target "$target"; \
    cp "target/$target/release/taskrender" /taskrender; \
    /taskrender --version

# GitLab CI runs `script:` lines in a shell, which distroless images lack.
FROM alpine:3.22 AS alpine
ARG VERSION
ARG REVISION
LABEL org.opencontainers.image.title="taskrender" \
      org.opencontainers.image.description="Offline, validated renderer of container Tasks into Kubernetes YAML and Dockerfiles (alpine, with a shell)" \
      org.opencontainers.image.url="https://github.com/taskrender/taskrender" \
      org.opencontainers.image.source="https://github.com/taskrender/taskrender" \
      org.opencontainers.image.documentation="https://github.com/taskrender/taskrender#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/alpine:3.22"
# git: for `git diff --exit-code` after `render -o` in CI recipes.
RUN apk add --no-cache git
COPY --from=build /taskrender /usr/local/bin/taskrender
# No ENTRYPOINT and the image's default user: GitLab runs the job's `script:` through the
# image's shell, in a checkout it made as root, which `render -o deploy/` writes into.
WORKDIR /work
CMD ["taskrender", "--help"]

# Default: no shell, no package manager, uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot AS static
ARG VERSION
ARG REVISION
LABEL org.opencontainers.image.title="taskrender" \
      org.opencontainers.image.description="Offline, validated renderer of container Tasks into Kubernetes YAML and Dockerfiles" \
      org.opencontainers.image.url="https://github.com/taskrender/taskrender" \
      org.opencontainers.image.source="https://github.com/taskrender/taskrender" \
      org.opencontainers.image.documentation="https://github.com/taskrender/taskrender#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"
COPY --from=build /taskrender /usr/local/bin/taskrender
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/taskrender"]
CMD ["--help"]
