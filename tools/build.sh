#!/usr/bin/env bash
# Builds the pinned external tools (helm3, helm4, kustomize, etcd,
# kube-apiserver, golangci-lint) into bin/tools/ from the Go modules under
# tools/<name>/. Each tool has its own go.mod and go.sum, so their dependency
# graphs never touch the root module and builds are reproducible from the Go
# module proxy alone.
#
# Usage: tools/build.sh [name ...]   (no names: every tool)
#   FORCE=1 tools/build.sh            rebuild even if the binary looks current
#   TOOLS_BIN=/some/dir tools/build.sh
#
# A binary is rebuilt when it is missing or older than any file in its module
# directory (go.mod, go.sum, main.go) or than this script (which holds the
# ldflags). Otherwise it is skipped, so a second run takes well under a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$ROOT/tools"
TOOLS_BIN="${TOOLS_BIN:-$ROOT/bin/tools}"
GO="${GO:-go}"

# A go.work in the tree or in GOWORK must not pull these modules into a workspace.
export GOWORK=off
# Static binaries: no C toolchain needed, same build on every machine.
export CGO_ENABLED=0

ALL=(golangci-lint etcd kube-apiserver helm3 helm4 kustomize)

# pkg <name>: the package to build, relative to tools/<name>.
pkg() {
	case "$1" in
	helm3) echo helm.sh/helm/v3/cmd/helm ;;
	helm4) echo helm.sh/helm/v4/cmd/helm ;;
	kustomize) echo sigs.k8s.io/kustomize/kustomize/v5 ;;
	golangci-lint) echo github.com/golangci/golangci-lint/v2/cmd/golangci-lint ;;
	etcd | kube-apiserver) echo . ;;
	*) return 1 ;;
	esac
}

# modver <name> <module>: the version of <module> pinned in tools/<name>/go.mod.
modver() {
	(cd "$TOOLS_DIR/$1" && "$GO" list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$2")
}

# ldflags <name>: the version stamps upstream's own release builds set.
ldflags() {
	local v kv
	case "$1" in
	helm3)
		v=$(modver helm3 helm.sh/helm/v3)
		# Like helm's Makefile: the default (no cluster) Kubernetes version for
		# `helm template` / `helm lint` is derived from the client-go it links;
		# without this it would be v1.20.0.
		kv=$(modver helm3 k8s.io/client-go) # v0.MINOR.PATCH
		kv=${kv#v0.}
		kv=${kv%%.*}
		echo "-X helm.sh/helm/v3/internal/version.version=$v" \
			"-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$kv" \
			"-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$kv"
		;;
	helm4)
		# Helm 4 reads the Kubernetes version from the build info itself.
		echo "-X helm.sh/helm/v4/internal/version.version=$(modver helm4 helm.sh/helm/v4)"
		;;
	kustomize)
		echo "-X sigs.k8s.io/kustomize/api/provenance.version=$(modver kustomize sigs.k8s.io/kustomize/kustomize/v5)"
		;;
	golangci-lint)
		v=$(modver golangci-lint github.com/golangci/golangci-lint/v2)
		echo "-X main.version=${v#v} -X main.date=unknown"
		;;
	kube-apiserver)
		# Without these the server reports v0.0.0 and Helm's kubeVersion checks
		# (`kubeVersion: ">=1.x"` in Chart.yaml) fail.
		v=$(modver kube-apiserver k8s.io/kubernetes) # v1.MINOR.PATCH
		kv=${v#v1.}
		kv=${kv%%.*}
		echo "-X k8s.io/component-base/version.gitVersion=$v" \
			"-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kv" \
			"-X k8s.io/component-base/version.gitTreeState=clean"
		;;
	etcd) echo "" ;;
	esac
}

# stale <name>: true when bin/tools/<name> must be (re)built.
stale() {
	local out="$TOOLS_BIN/$1"
	[[ "${FORCE:-}" == 1 || ! -x "$out" ]] && return 0
	[[ -n "$(find "$TOOLS_DIR/$1" "${BASH_SOURCE[0]}" -newer "$out" -print -quit)" ]]
}

build() {
	local name=$1 p note=""
	p=$(pkg "$name") || {
		echo "tools/build.sh: unknown tool '$name' (known: ${ALL[*]})" >&2
		exit 2
	}
	if ! stale "$name"; then
		echo "$name: up to date"
		return
	fi
	case "$name" in
	kube-apiserver) note=" (first build takes ~5 min on 2 cores)" ;;
	golangci-lint | etcd | helm3 | helm4) note=" (first build takes ~1-2 min)" ;;
	esac
	echo "building $name$note ..."
	local start=$SECONDS
	# -mod=readonly: the committed go.sum decides; a missing entry is an error,
	# not a silent re-resolution. -buildvcs=false: the podgraft checkout's git
	# state is not the tool's (and git may refuse to report it in CI).
	(cd "$TOOLS_DIR/$name" && "$GO" build -mod=readonly -buildvcs=false -trimpath \
		-ldflags "-s -w $(ldflags "$name")" -o "$TOOLS_BIN/$name.tmp.$$" "$p")
	mv -f "$TOOLS_BIN/$name.tmp.$$" "$TOOLS_BIN/$name"
	echo "built $TOOLS_BIN/$name in $((SECONDS - start))s"
}

mkdir -p "$TOOLS_BIN"
if (($# == 0)); then set -- "${ALL[@]}"; fi
for t in "$@"; do build "$t"; done
