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
build: ## Build bin/podgraft with the version stamped in.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/podgraft ./cmd/podgraft

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: unit
unit: ## Run the unit and golden tests (no external tools).
	$(GO) test ./...

.PHONY: test
test: build vet unit ## Run every test: vet, lint, unit, golden, fuzz smoke, end to end.
