# syntax=docker/dockerfile:1
# caredesk needs cgo for SQLite; it is linked statically so the final image
# can be distroless, with no shell and no libc.
FROM golang:1.26-bookworm AS build
# 1.26.8 has reachable vulnerabilities in net/http and crypto/tls; the
# module proxy serves the fixed toolchain whatever the base image ships.
ENV GOTOOLCHAIN=go1.26.10
WORKDIR /src
# The module and build caches live in BuildKit cache mounts, kept between
# builds: a change to caredesk's code recompiles caredesk, not SQLite (cgo,
# about a minute and a half) and every dependency. They are not in the
# image's layers, so each RUN that needs them mounts them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# The commit, for `caredesk version` and caredesk_build_info: .git is not
# in the build context, so pass it: --build-arg CAREDESK_REVISION=$(git rev-parse HEAD)
ARG CAREDESK_REVISION=
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath \
      -tags 'sqlite_omit_load_extension netgo osusergo' \
      -ldflags "-s -w -X main.revision=${CAREDESK_REVISION} -linkmode external -extldflags \"-static\"" \
      -o /out/caredesk . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/caredesk /caredesk
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV CAREDESK_DB=/data/caredesk.db \
    CAREDESK_ADDR=:8080
USER nonroot:nonroot
EXPOSE 8080
VOLUME ["/data"]
# No shell or curl here: caredesk asks its own /readyz on CAREDESK_ADDR's
# port, exit 0 when ready (README.md, Commands).
HEALTHCHECK CMD ["/caredesk", "healthcheck"]
ENTRYPOINT ["/caredesk"]
