# syntax=docker/dockerfile:1
# caredesk needs cgo for SQLite; it is linked statically so the final image
# can be distroless, with no shell and no libc.
FROM golang:1.26-bookworm AS build
# 1.26.8 has reachable vulnerabilities in net/http and crypto/tls; the
# module proxy serves the fixed toolchain whatever the base image ships.
ENV GOTOOLCHAIN=go1.26.10
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath \
      -tags 'sqlite_omit_load_extension netgo osusergo' \
      -ldflags '-s -w -linkmode external -extldflags "-static"' \
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
