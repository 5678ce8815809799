package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/internal/guard"
)

const generateUsage = `Usage:
  podgraft generate -c graft.yaml --namespace NS [--namespace NS ...]

Prints the ConfigMaps, Secrets and PersistentVolumeClaims that the configs'
files:, fromFiles: and claim: volumes generate in each namespace, with the
names the grafted Pods mount, as the stream mode would append them. The
admission webhook mounts them but cannot create them: apply this output
(kubectl apply -f -) in every namespace whose Pods it grafts.

Flags:
`

// runGenerate is `podgraft generate`.
func runGenerate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("podgraft generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var configs, namespaces multiFlag
	fs.Var(&configs, "c", "PodGraft config file (repeatable)")
	fs.Var(&configs, "config", "same as -c")
	fs.Var(&namespaces, "namespace", "namespace to generate the resources in (repeatable)")
	fs.Var(&namespaces, "n", "same as --namespace")
	fs.Usage = func() {
		fmt.Fprint(stderr, generateUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(configs) == 0 {
		configs = filepath.SplitList(os.Getenv("PODGRAFT_CONFIG"))
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "podgraft: usage: generate takes no files (%q): it prints what the configs generate\n", fs.Args())
		return exitUsage
	case len(configs) == 0:
		fmt.Fprintln(stderr, "podgraft: usage: generate needs a config (-c graft.yaml)")
		return exitUsage
	case len(namespaces) == 0:
		fmt.Fprintln(stderr, "podgraft: usage: generate needs a namespace (--namespace NS)")
		return exitUsage
	}
	cs, err := fn.LoadConfigFiles(configs, guard.Limits{})
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return exitError
	}
	out, results, err := fn.Generate(cs, namespaces)
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return exitError
	}
	report(results, false, stderr)
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintln(stderr, "podgraft: error: writing the output:", err)
		return exitError
	}
	return exitOK
}
