package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Fuzz targets for hostile input. Each checks, on every input, that podgraft
// does not panic and either fails cleanly or produces output that it reads
// again and leaves as it is. The checked-in seed corpus is under
// testdata/fuzz/<FuzzName>/ (crashers found by fuzzing stay there); the
// golden and bad-input cases are added as seeds at run time. `make fuzz`
// runs each target for FUZZTIME, `make fuzz-smoke` for a few seconds.

// fuzzConfig is the fixed config of the standalone fuzz target: it uses
// every grafting path (native and regular sidecars, an init container with
// imageFrom, placements, a custom pod template kind) so that arbitrary
// input reaches as much code as possible.
const fuzzConfig = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: fuzz
spec:
  podTemplates:
    - {group: example.com, kind: Widget, path: spec/template}
  sidecars:
    - name: proxy
      image: nginx:1.27-alpine
      ports: [{name: proxy, containerPort: 8080}]
      placement: first
    - name: logs
      image: busybox
      native: false
      args: [tail, -f, /var/log/app.log]
  initContainers:
    - name: migrate
      imageFrom: "*"
      command: [bin/migrate]
      placement: after:proxy
`

// seedGoldenInputs adds every golden and bad-input case's input as a seed.
func seedGoldenInputs(f *testing.F, name string) {
	f.Helper()
	for _, pattern := range []string{"../../testdata/*/*/" + name} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// FuzzStandalone is the post-renderer path: a fixed config, arbitrary stdin.
func FuzzStandalone(f *testing.F) {
	seedGoldenInputs(f, "input.yaml")
	seedGoldenInputs(f, "expected.yaml")
	dir := f.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fuzzConfig), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		checkStandalone(t, cfg, input)
	})
}

// checkStandalone runs podgraft on input and checks the properties every
// run must have.
func checkStandalone(t *testing.T, cfg string, input []byte) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run([]string{"-c", cfg, "-"}, bytes.NewReader(input), &out, &errb)
	switch code {
	case exitError:
		if out.Len() != 0 {
			t.Fatalf("exit 1 with output on stdout (partial output):\n%s", out.String())
		}
		if !strings.Contains(errb.String(), "podgraft: error: ") {
			t.Fatalf("exit 1 without an error message; stderr:\n%s", errb.String())
		}
		return
	case exitOK:
	default:
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	if strings.Contains(errb.String(), "podgraft: error: ") {
		t.Fatalf("exit 0 with an error message:\n%s", errb.String())
	}
	// The output parses again, as a YAML stream, and as a stream of
	// resources with kyaml's reader (what kustomize and kpt read with),
	// unless it holds directives, which kyaml's splitter cuts off their
	// document: then so did the input.
	if err := decodeStream(out.Bytes()); err != nil {
		t.Fatalf("the output is not a YAML stream: %v\n%s", err, out.String())
	}
	if !directiveLine.Match(out.Bytes()) {
		if _, err := (&kio.ByteReader{Reader: bytes.NewReader(out.Bytes()), OmitReaderAnnotations: true}).Read(); err != nil {
			t.Fatalf("the output does not parse: %v\n%s", err, out.String())
		}
	}
	// Idempotency: running on the output changes nothing, byte for byte.
	var again, errb2 bytes.Buffer
	if code := Run([]string{"-c", cfg, "-"}, bytes.NewReader(out.Bytes()), &again, &errb2); code != exitOK {
		t.Fatalf("second run exit %d; stderr:\n%s\noutput of the first run:\n%s", code, errb2.String(), out.String())
	}
	if again.String() != out.String() {
		t.Fatalf("second run changed the output\nfirst:\n%s\nsecond:\n%s", out.String(), again.String())
	}
	// Removal on the output succeeds too, and gives back the input byte
	// for byte when the input held nothing of this graft (removing from
	// it changes nothing). Not where it has aliases or merge keys: what a
	// graft edits becomes the template's own copy, which removal does not
	// share again.
	var removed, errb3 bytes.Buffer
	if code := Run([]string{"--remove", "-c", cfg, "-"}, bytes.NewReader(out.Bytes()), &removed, &errb3); code != exitOK {
		t.Fatalf("--remove on the output: exit %d; stderr:\n%s\noutput of the first run:\n%s", code, errb3.String(), out.String())
	}
	if removed.String() == string(input) || hasAliases(input) {
		return
	}
	if bytes.ContainsAny(input, "{[") && sameContent(input, removed.Bytes()) {
		// A flow collection podgraft extended is rewritten on its own
		// line, which the issue allows; its content must come back.
		return
	}
	var clean, errb4 bytes.Buffer
	if code := Run([]string{"--remove", "-c", cfg, "-"}, bytes.NewReader(input), &clean, &errb4); code == exitOK && clean.String() == string(input) {
		t.Fatalf("--remove of the output is not the input\ninput:\n%s\noutput:\n%s\nremoved:\n%s", input, out.String(), removed.String())
	}
}

// sameContent reports whether two streams hold the same documents, read as
// the API server reads them (style aside).
func sameContent(a, b []byte) bool {
	da, db := contentOf(a), contentOf(b)
	return da != nil && db != nil && reflect.DeepEqual(da, db)
}

func contentOf(b []byte) []any {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []any
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if err == io.EOF {
				return append(out, nil)
			}
			return nil
		}
		out = append(out, v)
	}
}

// hasAliases reports whether a document of the stream uses an alias or a
// merge key (<<), which reads a mapping's keys from another place.
func hasAliases(b []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind == yaml.AliasNode || n.Kind == yaml.ScalarNode && n.Tag == "!!merge" {
			return true
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return false
		}
		if walk(&doc) {
			return true
		}
	}
}

// directiveLine finds a %YAML or %TAG directive.
var directiveLine = regexp.MustCompile(`(?m)^%`)

// decodeStream decodes every document of a YAML stream with yaml.v3.
func decodeStream(b []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// FuzzKRM is the KRM function path: arbitrary stdin without -c. The
// functionConfig comes from the input too, so this also fuzzes the config.
func FuzzKRM(f *testing.F) {
	seedKRM(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		checkKRM(t, input)
	})
}

// seedKRM adds ResourceLists built from every golden case, and the KRM
// inputs of the bad-input corpus.
func seedKRM(f *testing.F) {
	f.Helper()
	seedGoldenInputs(f, "krm.yaml")
	cfgs, err := filepath.Glob("../../testdata/*/*/config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, cfgFile := range cfgs {
		dir := filepath.Dir(cfgFile)
		cfg, err := os.ReadFile(cfgFile)
		if err != nil {
			f.Fatal(err)
		}
		input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
		if err != nil {
			continue
		}
		configs, err := (&kio.ByteReader{Reader: bytes.NewReader(cfg), OmitReaderAnnotations: true}).Read()
		if err != nil || len(configs) != 1 {
			continue
		}
		items, err := (&kio.ByteReader{Reader: bytes.NewReader(input), OmitReaderAnnotations: true}).Read()
		if err != nil {
			continue
		}
		var buf bytes.Buffer
		w := kio.ByteWriter{Writer: &buf, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, FunctionConfig: configs[0]}
		if err := w.Write(items); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
}

func checkKRM(t *testing.T, input []byte) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(nil, bytes.NewReader(input), &out, &errb)
	if code != exitOK && code != exitError {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	rl, results := parseKRMOutput(t, out.Bytes())
	hasError := false
	for _, r := range results {
		if r.Severity == framework.Error {
			hasError = true
		}
	}
	if code == exitError {
		if !hasError {
			t.Fatalf("exit 1 but no error result:\n%s\nstderr:\n%s", out.String(), errb.String())
		}
		return
	}
	if hasError {
		t.Fatalf("exit 0 with an error result:\n%s", out.String())
	}
	// Idempotency: a second run on the output succeeds and leaves the
	// items as they are.
	var again, errb2 bytes.Buffer
	if code := Run(nil, bytes.NewReader(out.Bytes()), &again, &errb2); code != exitOK {
		t.Fatalf("second run exit %d; stderr:\n%s\noutput of the first run:\n%s", code, errb2.String(), out.String())
	}
	rl2, _ := parseKRMOutput(t, again.Bytes())
	if a, b := itemsString(t, rl), itemsString(t, rl2); a != b {
		t.Fatalf("second run changed the items\nfirst:\n%s\nsecond:\n%s", a, b)
	}
	// Removal (spec.remove in the functionConfig) of the output gives the
	// input's items back when the input held nothing of the graft. The
	// items are compared without comments: KRM items are encoded from
	// their nodes, and the comments around a value a graft replaces (an
	// overridden probe) go with it.
	in, err := yaml.Parse(string(input))
	if err != nil || hasAliases(input) {
		return
	}
	clean, ok := removeKRM(t, in)
	if !ok || itemsString(t, clean) != itemsString(t, in) {
		return
	}
	removed, ok := removeKRM(t, rl)
	if !ok {
		t.Fatalf("removal failed on the output:\n%s", out.String())
	}
	if a, b := withoutComments(t, in), withoutComments(t, removed); a != b {
		t.Fatalf("removal of the output is not the input\ninput items:\n%s\nremoved:\n%s", a, b)
	}
}

// withoutComments is itemsString without the comments.
func withoutComments(t *testing.T, rl *yaml.RNode) string {
	t.Helper()
	rl = rl.Copy()
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		n.HeadComment, n.LineComment, n.FootComment = "", "", ""
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(rl.YNode())
	return itemsString(t, rl)
}

// removeKRM runs rl again with spec.remove set in its functionConfig, a
// PodGraft; ok is false when it has none or the run fails.
func removeKRM(t *testing.T, rl *yaml.RNode) (*yaml.RNode, bool) {
	t.Helper()
	rl = rl.Copy()
	fc := rl.Field("functionConfig")
	if fc == nil || fc.Value.GetKind() != "PodGraft" {
		return nil, false
	}
	if err := fc.Value.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec"), yaml.SetField("remove", yaml.NewRNode(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}))); err != nil {
		return nil, false
	}
	_ = rl.PipeE(yaml.Clear("results"))
	var out, errb bytes.Buffer
	if code := Run(nil, strings.NewReader(rl.MustString()), &out, &errb); code != exitOK {
		return nil, false
	}
	removed, _ := parseKRMOutput(t, out.Bytes())
	return removed, true
}

// parseKRMOutput checks that out is one valid ResourceList and returns it
// with its results.
func parseKRMOutput(t *testing.T, out []byte) (*yaml.RNode, framework.Results) {
	t.Helper()
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatalf("KRM output is not YAML: %v\n%s", err, out)
	}
	if v := rl.GetApiVersion(); rl.GetKind() != kio.ResourceListKind || (v != kio.ResourceListAPIVersion && v != "config.kubernetes.io/v1alpha1") {
		t.Fatalf("KRM output is not a ResourceList:\n%s", out)
	}
	items := rl.Field("items")
	if items != nil && items.Value.YNode().Kind != yaml.SequenceNode {
		t.Fatalf("KRM output items is not a list:\n%s", out)
	}
	var results framework.Results
	if res := rl.Field("results"); res != nil {
		s, err := res.Value.String()
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(s), &results); err != nil {
			t.Fatalf("KRM results do not parse: %v\n%s", err, out)
		}
	}
	return rl, results
}

func itemsString(t *testing.T, rl *yaml.RNode) string {
	t.Helper()
	items := rl.Field("items")
	if items == nil {
		return ""
	}
	s, err := items.Value.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
