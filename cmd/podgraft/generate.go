package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/internal/guard"
)

// newGenerateCommand is podgraft generate: the ConfigMaps, Secrets and
// claims that the admission webhook's Pods mount but that it cannot create.
func newGenerateCommand() *cobra.Command {
	var configs, namespaces []string
	cmd := &cobra.Command{
		Use:   "generate -c graft.yaml --namespace NS [--namespace NS ...]",
		Short: "Print the ConfigMaps, Secrets and claims the webhook's Pods mount",
		Long: `Prints the ConfigMaps, Secrets and PersistentVolumeClaims that the configs'
files:, fromFiles: and claim: volumes generate in each namespace, with the
names the grafted Pods mount, as the stream mode would append them. The
admission webhook mounts them but cannot create them: apply this output
(kubectl apply -f -) in every namespace whose Pods it grafts.`,
		Example: "  podgraft generate -c graft.yaml --namespace shop | kubectl apply -f -",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if len(configs) == 0 {
				configs = filepath.SplitList(os.Getenv("PODGRAFT_CONFIG"))
			}
			switch {
			case len(configs) == 0:
				return fmt.Errorf("generate needs a config (-c graft.yaml)")
			case len(namespaces) == 0:
				return fmt.Errorf("generate needs a namespace (--namespace NS)")
			}
			cs, err := fn.LoadConfigFiles(configs, guard.Limits{})
			if err != nil {
				fmt.Fprintln(stderr, "podgraft: error:", err)
				return exit(exitError)
			}
			out, results, err := fn.Generate(cs, namespaces)
			if err != nil {
				fmt.Fprintln(stderr, "podgraft: error:", err)
				return exit(exitError)
			}
			report(results, false, stderr)
			if _, err := stdout.Write(out); err != nil {
				fmt.Fprintln(stderr, "podgraft: error: writing the output:", err)
				return exit(exitError)
			}
			return nil
		},
	}
	configFlag(cmd, &configs)
	cmd.Flags().StringArrayVarP(&namespaces, "namespace", "n", nil, "`NAMESPACE` to generate the resources in (repeatable)")
	return cmd
}
