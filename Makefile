# podgraft Makefile. `make help` lists the targets.
SHELL       := /bin/bash
GO          ?= go
BIN         := $(CURDIR)/bin
TOOLS_BIN   := $(BIN)/tools
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
export PATH := $(BIN):$(TOOLS_BIN):$(PATH)

.DEFAULT_GOAL := help

.PHONY: help
help: ## List every target with a one-line description.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: build-webhook ## Build bin/podgraft (and bin/podgraft-webhook) with the version stamped in.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/podgraft ./cmd/podgraft

.PHONY: build-webhook
build-webhook: ## Build bin/podgraft-webhook, the admission webhook, with the version stamped in.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/podgraft-webhook ./cmd/podgraft-webhook

.PHONY: schema
schema: ## Regenerate schema/podgraft.schema.json from the Go types in fn/ (a unit test fails when it is stale).
	$(GO) test ./internal/schemagen -run TestCheckedInSchemaIsCurrent -count=1 -update

.PHONY: helm-plugin
helm-plugin: ## Build podgraft into plugin/helm4/bin; then `helm plugin install ./plugin/helm4` (Helm 4 post-renderer plugin).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o plugin/helm4/bin/podgraft ./cmd/podgraft

# Container images, goreleaser style: the Dockerfile copies the binary that
# `make build` made onto scratch, so building pulls nothing. The engine is
# podman, or docker where a daemon answers (a docker client alone cannot
# build); CONTAINER_ENGINE=... picks one.
IMAGE            ?= ghcr.io/podgraft/podgraft
IMAGE_TAG        ?= $(VERSION)
LICENSES         ?= NOASSERTION
CONTAINER_ENGINE ?= $(shell if command -v podman >/dev/null 2>&1; then echo podman; elif docker info >/dev/null 2>&1; then echo docker; fi)

# $(call image-build,BINARY,NAME:TAG)
define image-build
	@test -n "$(CONTAINER_ENGINE)" || { echo "make: building an image needs podman, or docker with a running daemon" >&2; exit 1; }
	$(CONTAINER_ENGINE) build --build-arg BINARY=$(1) --build-arg VERSION=$(VERSION) --build-arg LICENSES=$(LICENSES) -t $(2) .
	@echo "built $(2): $$($(CONTAINER_ENGINE) image inspect --format '{{.Size}}' $(2)) bytes"
endef

.PHONY: image
image: build ## Build the KRM function image IMAGE:IMAGE_TAG (default ghcr.io/podgraft/podgraft:VERSION) from bin/podgraft, with podman or docker.
	$(call image-build,podgraft,$(IMAGE):$(IMAGE_TAG))

.PHONY: image-webhook
image-webhook: ## Build IMAGE-webhook:IMAGE_TAG from cmd/podgraft-webhook, the same way.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/podgraft-webhook ./cmd/podgraft-webhook
	$(call image-build,podgraft-webhook,$(IMAGE)-webhook:$(IMAGE_TAG))

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: unit
unit: ## Run the unit and golden tests (no external tools), and the stream runner's tests and the goldens again under the race detector (documents are parsed ahead on every core; needs cgo, a C compiler).
	$(GO) test ./...
	@if [ "$$($(GO) env CGO_ENABLED)" = 1 ]; then \
		echo "$(GO) test -race -count=1 -run 'Prepared|Golden' ./fn ./cmd/podgraft"; \
		$(GO) test -race -count=1 -run 'Prepared|Golden' ./fn ./cmd/podgraft; \
	elif [ -n "$$PODGRAFT_REQUIRE_RACE" ]; then \
		echo "make: the race detector needs cgo: install a C compiler (Debian: gcc libc6-dev)" >&2; exit 1; \
	else \
		echo "make: skipping the race detector run: no C compiler, so no cgo (Debian: apt-get install gcc libc6-dev)"; \
	fi

.PHONY: test
test: tools lint build vet unit fuzz-smoke e2e ## Run every test: vet, lint, unit, golden, fuzz smoke, end to end.

FUZZTIME       ?= 60s
FUZZ_SMOKETIME ?= 10s
FUZZ_PKGS      := ./cmd/... ./fn/... ./transformers/... ./internal/webhook/... ./internal/splice/...

.PHONY: fuzz
fuzz: ## Run every fuzz target (go test -fuzz) for FUZZTIME each (default 60s); crashers are written to <package>/testdata/fuzz/.
	@$(MAKE) --no-print-directory fuzz-each FUZZ_EACH=$(FUZZTIME)

.PHONY: fuzz-smoke
fuzz-smoke: ## Run every fuzz target for FUZZ_SMOKETIME each (default 10s), as make test does.
	@$(MAKE) --no-print-directory fuzz-each FUZZ_EACH=$(FUZZ_SMOKETIME)

# go test -fuzz takes one target and one package per run: list them, run each.
.PHONY: fuzz-each
fuzz-each: ## Run every fuzz target for FUZZ_EACH each (used by fuzz and fuzz-smoke).
	@set -eo pipefail; for pkg in $$($(GO) list $(FUZZ_PKGS)); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz: $$target ($$pkg) for $(FUZZ_EACH)"; \
			./tools/fuzz-one.sh $(GO) $$pkg $$target $(FUZZ_EACH); \
		done; \
	done

.PHONY: tools
tools: ## Build the pinned helm3, helm4, kustomize, etcd, kube-apiserver, golangci-lint into bin/tools (cold ~8 min on 2 cores).
	TOOLS_BIN=$(TOOLS_BIN) GO=$(GO) ./tools/build.sh

.PHONY: lint
lint: ## Run golangci-lint (pinned in tools/golangci-lint, config in .golangci.yml).
	@TOOLS_BIN=$(TOOLS_BIN) GO=$(GO) ./tools/build.sh golangci-lint
	$(TOOLS_BIN)/golangci-lint run ./...

.PHONY: e2e
e2e: export PODGRAFT_TOOLS_BIN := $(TOOLS_BIN)
e2e: export PODGRAFT_BIN := $(BIN)/podgraft
e2e: export PODGRAFT_WEBHOOK_BIN := $(BIN)/podgraft-webhook
e2e: build tools ## Run the end-to-end tests (tag e2e) against real helm, kustomize, etcd and kube-apiserver.
	$(GO) test -tags e2e -count=1 ./e2e/...

.PHONY: cluster
cluster: export PODGRAFT_TOOLS_BIN := $(TOOLS_BIN)
cluster: export PODGRAFT_BIN := $(BIN)/podgraft
cluster: ## Run etcd + kube-apiserver for manual testing with bin/tools/helm3; prints the kubeconfig, Ctrl-C stops.
	@TOOLS_BIN=$(TOOLS_BIN) GO=$(GO) ./tools/build.sh etcd kube-apiserver helm3 helm4
	@$(GO) build -o $(BIN)/testcluster ./internal/testcluster/cmd/cluster
	@$(BIN)/testcluster -dir $(BIN)/cluster

.PHONY: bench
bench: build ## Benchmark podgraft against yaml.v3, kyaml and kustomize; Markdown to stdout and bench/results/latest.md (BENCH_FLAGS=-h lists knobs).
	@TOOLS_BIN=$(TOOLS_BIN) GO=$(GO) ./tools/build.sh kustomize
	$(GO) run ./bench/driver -go $(GO) $(BENCH_FLAGS)
	@$(MAKE) --no-print-directory bench-webhook

.PHONY: bench-webhook
bench-webhook: export PODGRAFT_TOOLS_BIN := $(TOOLS_BIN)
bench-webhook: build-webhook ## Load-test podgraft-webhook on loopback and through a kube-apiserver; Markdown to stdout and bench/results/webhook.md (WEBHOOK_BENCH_FLAGS=-h lists knobs).
	@TOOLS_BIN=$(TOOLS_BIN) GO=$(GO) ./tools/build.sh etcd kube-apiserver
	$(GO) run ./bench/webhookload -webhook $(BIN)/podgraft-webhook $(WEBHOOK_BENCH_FLAGS)
