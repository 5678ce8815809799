# podgraft's container images, goreleaser style: the binary that `make build`
# made on the host (static: CGO off, -trimpath, version stamped) is copied
# onto scratch. Nothing is compiled or pulled here, so the image builds
# without a registry, and the same on every machine.
#
#   make image                                      # podman, or docker where a daemon runs
#   podman build --build-arg VERSION=v0.1.0 -t ghcr.io/podgraft/podgraft:v0.1.0 .
#   podman build --build-arg BINARY=podgraft-webhook -t ghcr.io/podgraft/podgraft-webhook:v0.1.0 .
#
# BINARY names the file under bin/ and the entrypoint's name in the image.
# The KRM function (kustomize `container:`, kpt --image / `image:`) runs
# without network and without host files; kpt runs it as `nobody`, so
# /etc/passwd holds nobody beside nonroot (65532), the user it runs as
# otherwise.
FROM scratch
ARG BINARY=podgraft
ARG VERSION=dev
# The project has no LICENSE file yet: SPDX "NOASSERTION" until it has one.
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="${BINARY}" \
      org.opencontainers.image.description="podgraft grafts sidecars, init containers, probes and volumes onto Kubernetes pod templates" \
      org.opencontainers.image.source="https://github.com/podgraft/podgraft" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="${LICENSES}"
COPY deploy/image/passwd /etc/passwd
COPY deploy/image/group /etc/group
# One fixed path, whatever BINARY is: an exec-form ENTRYPOINT expands no
# build arguments.
COPY bin/${BINARY} /usr/local/bin/entrypoint
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/entrypoint"]
