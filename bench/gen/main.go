// Command gen writes a deterministic, seeded stream of Kubernetes workloads
// (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, with Services and
// ConfigMaps between them) for the podgraft benchmarks. About 1.4 documents
// and 2 KB per workload.
//
//	gen -n 1000 > input.yaml
//	gen -n 1000 -format resourcelist -fnconfig graft.yaml > resourcelist.yaml
//	gen -n 1000 -kustomize DIR -fnconfig graft.yaml -podgraft bin/podgraft
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("gen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	n := flags.Int("n", 100, "number of workloads")
	seed := flags.Uint64("seed", 1, "random seed; the same seed and -n give the same bytes")
	format := flags.String("format", "stream", "stream (multi-document YAML) or resourcelist (a config.kubernetes.io/v1 ResourceList)")
	fnConfig := flags.String("fnconfig", "", "PodGraft file: the functionConfig of -format resourcelist, and the exec transformer of -kustomize")
	kustomizeDir := flags.String("kustomize", "", "write kustomizations to DIR/patches and DIR/exec instead of writing to stdout")
	podgraft := flags.String("podgraft", "bin/podgraft", "podgraft binary for the -kustomize exec transformer (made absolute)")
	profile := flags.String("profile", "mixed", "mixed (every kind, seven namespaces) or fronted (storefront web and api workloads that examples/web-with-proxy grafts and fronts, a quarter of the documents Services)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 || *n < 0 || (*format != "stream" && *format != "resourcelist") || (*profile != "mixed" && *profile != "fronted") {
		fmt.Fprintln(stderr, "gen: usage: gen [-n N] [-seed S] [-profile mixed|fronted] [-format stream|resourcelist] [-fnconfig FILE] [-kustomize DIR -podgraft PATH]")
		return 2
	}

	g := newGenerator(*seed)
	g.fronted = *profile == "fronted"
	docs := g.generate(*n)
	var config []byte
	if *fnConfig != "" {
		var err error
		if config, err = os.ReadFile(*fnConfig); err != nil {
			fmt.Fprintln(stderr, "gen:", err)
			return 1
		}
	}

	if *kustomizeDir != "" {
		if config == nil {
			fmt.Fprintln(stderr, "gen: -kustomize needs -fnconfig (the PodGraft for the exec variant)")
			return 2
		}
		podgraftPath, err := filepath.Abs(*podgraft)
		if err == nil {
			err = writeKustomizations(*kustomizeDir, stream(docs), config, podgraftPath)
		}
		if err != nil {
			fmt.Fprintln(stderr, "gen:", err)
			return 1
		}
		return 0
	}

	out := stream(docs)
	if *format == "resourcelist" {
		var err error
		if out, err = resourceList(docs, config); err != nil {
			fmt.Fprintln(stderr, "gen:", err)
			return 1
		}
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintln(stderr, "gen:", err)
		return 1
	}
	return 0
}

// stream joins documents the way helm template does: each one opens with "---".
func stream(docs []string) []byte {
	var b bytes.Buffer
	for _, doc := range docs {
		b.WriteString("---\n")
		b.WriteString(doc)
	}
	return b.Bytes()
}

// resourceList wraps the documents as the items of a ResourceList, with
// functionConfig (one YAML document) when given.
func resourceList(docs []string, functionConfig []byte) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for _, doc := range docs {
		first := true
		for _, line := range strings.SplitAfter(strings.TrimSuffix(doc, "\n"), "\n") {
			switch {
			case strings.HasPrefix(line, "#") && first:
				b.WriteString(line) // a leading comment stays above its item
			case first:
				b.WriteString("- " + line)
				first = false
			default:
				b.WriteString("  " + line)
			}
		}
		b.WriteString("\n")
	}
	if functionConfig == nil {
		return b.Bytes(), nil
	}
	config, err := singleDocument(functionConfig)
	if err != nil {
		return nil, err
	}
	b.WriteString("functionConfig:\n")
	for _, line := range strings.SplitAfter(strings.TrimSuffix(config, "\n"), "\n") {
		b.WriteString("  " + line)
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

// singleDocument drops leading "---" lines and refuses a second document:
// a ResourceList has exactly one functionConfig.
func singleDocument(config []byte) (string, error) {
	lines := strings.SplitAfter(string(config), "\n")
	for len(lines) > 0 && isSeparator(lines[0]) {
		lines = lines[1:]
	}
	for _, line := range lines {
		if isSeparator(line) {
			return "", errors.New("functionConfig: want one YAML document, found several")
		}
	}
	return strings.Join(lines, ""), nil
}

func isSeparator(line string) bool {
	line = strings.TrimRight(line, " \r\n")
	return line == "---" || strings.HasPrefix(line, "--- ")
}
