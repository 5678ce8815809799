// Package schema embeds the JSON Schema of the PodGraft config,
// podgraft.schema.json, which `podgraft schema` prints. The file is
// generated from the Go types in package fn by internal/schemagen
// (`make schema`), and a test there fails when it drifts from them.
//
// Editors that use the YAML language server (VS Code's YAML extension and
// others) validate and complete a PodGraft file that starts with:
//
//	# yaml-language-server: $schema=https://raw.githubusercontent.com/podgraft/podgraft/main/schema/podgraft.schema.json
package schema

import _ "embed"

// JSON is the schema, JSON Schema draft 2020-12.
//
//go:embed podgraft.schema.json
var JSON []byte
