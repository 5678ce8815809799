# syntax=docker/dockerfile:1
#
# podgraft as a container image, for KRM functions in container form:
# kustomize (`config.kubernetes.io/function: {container: {image: ...}}`,
# built with --enable-alpha-plugins) and kpt (`kpt fn render`, `kpt fn eval
# --image`). The function needs no network and no writable filesystem.
#
#   make image                    # docker build --build-arg VERSION=$(git describe ...)
#   docker build --build-arg VERSION=v0.1.0 -t ghcr.io/podgraft/podgraft:v0.1.0 .
#
# Multi-platform: docker buildx build --platform linux/amd64,linux/arm64 .
# (the build stage runs natively and cross-compiles; CGO is off).

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so that source edits reuse the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/podgraft ./cmd/podgraft

# distroless static: CA certificates, tzdata and /etc/passwd, no shell; the
# nonroot tag runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/podgraft /podgraft
USER 65532:65532
ENTRYPOINT ["/podgraft"]
