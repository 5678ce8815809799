package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/podgraft/podgraft/schema"
)

// newSchemaCommand prints the JSON Schema of the PodGraft config. It is
// embedded, generated from the Go types at development time (make schema),
// so printing it costs nothing at start-up.
func newSchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the PodGraft config",
		Long: `Print the JSON Schema (draft 2020-12) of the PodGraft config. Editors with
the YAML language server (VS Code's YAML extension) use it when a config
starts with the line
  # yaml-language-server: $schema=https://raw.githubusercontent.com/podgraft/podgraft/main/schema/podgraft.schema.json`,
		Example: "  podgraft schema > podgraft.schema.json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := cmd.OutOrStdout().Write(schema.JSON); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "podgraft: error: writing the schema:", err)
				return exit(exitError)
			}
			return nil
		},
	}
}
