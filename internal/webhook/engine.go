package webhook

// engine.go is the webhook's only door into podgraft's engine (package fn):
// loading the configs and grafting one workload document. The rest of the
// package works on JSON bytes and knows nothing of fn, so that a change of
// the engine's API is a change of this file alone.

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/transformers"
)

// engine is one loaded, checked set of PodGraft configs. It is immutable:
// a reload builds a new one.
type engine struct {
	configs []*fn.Config
	// compiled is the configs' engine, compiled once: each review runs
	// a Fresh copy of it.
	compiled *transformers.Engine
	// templatePaths maps "group/Kind" of the custom kinds the configs
	// declare under spec.podTemplates to their pod template's path.
	templatePaths map[string][]string
}

// graftResult is what grafting one workload gave.
type graftResult struct {
	// doc is the grafted workload (engine.graft) or Pod (the slow path of
	// engine.graftPod) as JSON; nil when nothing changed.
	doc []byte
	// patch is the JSONPatch from the request's Pod to the grafted one
	// (engine.graftPod's node path); nil when nothing changed.
	patch []byte
	// generated names the ConfigMaps, Secrets and PersistentVolumeClaims
	// the graft needs in the workload's namespace ("ConfigMap ns/name"),
	// which admission cannot create (podgraft generate prints them).
	generated []string
	warnings  []string
}

// loadEngine reads the PodGraft documents of files and refuses what
// admission cannot do. Its errors name the file, document and field.
func loadEngine(files []string) (*engine, error) {
	configs, err := fn.LoadConfigFiles(files, guard.Limits{})
	if err != nil {
		return nil, err
	}
	e := &engine{configs: configs, templatePaths: map[string][]string{}}
	for _, c := range configs {
		if err := admissible(c); err != nil {
			return nil, err
		}
		for _, pt := range c.Spec.PodTemplates {
			e.templatePaths[pt.Group+"/"+pt.Kind] = strings.Split(pt.Path, "/")
		}
	}
	// Compiling once finds what only the whole set can tell (two
	// PodGrafts of one name) at load time rather than on every request.
	if e.compiled, err = fn.NewEngine(configs, fn.Options{}); err != nil {
		return nil, err
	}
	return e, nil
}

// admissible refuses the parts of a PodGraft that a webhook, which sees
// one Pod at a time, cannot carry out.
func admissible(c *fn.Config) error {
	where := fmt.Sprintf("PodGraft %s (%s)", c.Metadata.Name, c.Source)
	for i, sc := range c.Spec.Sidecars {
		if sc.Fronts != nil {
			return fmt.Errorf("%s: spec.sidecars[%d].fronts: the webhook sees Pods, not Services, so it cannot re-point a Service to the sidecar; "+
				"graft the Services at render time (podgraft -c, kustomize, Helm) and leave fronts out of the webhook's configs", where, i)
		}
	}
	for i, v := range c.Spec.Volumes {
		if v.Claim != nil && v.Claim.PerReplica {
			return fmt.Errorf("%s: spec.volumes[%d].claim.perReplica: a StatefulSet's volumeClaimTemplates cannot be added to its Pods at admission; "+
				"graft the StatefulSet at render time, or use a shared claim (perReplica: false)", where, i)
		}
	}
	return nil
}

// graft runs every config over one workload document (JSON), the way the
// stream mode grafts a one-document stream.
func (e *engine) graft(doc []byte) (graftResult, error) {
	out, results, err := fn.RunStream(fn.Options{}, e.compiled.Fresh(), []fn.Input{{Name: "admission", Reader: bytes.NewReader(doc)}})
	var res graftResult
	for _, r := range results {
		if r.Severity == framework.Warning {
			res.warnings = append(res.warnings, message(r))
		}
	}
	if err != nil || results.ExitCode() != 0 {
		return res, graftError(results, err)
	}
	// The workload comes first, the generated resources after it. The
	// stream is split here rather than with a second document reader,
	// whose 64 KiB buffer would be most of a review's garbage.
	first, rest := splitFirst(out)
	for len(rest) > 0 {
		var raw []byte
		raw, rest = splitFirst(rest)
		res.generated = append(res.generated, describeDoc(raw))
	}
	if bytes.Equal(bytes.TrimSpace(first), bytes.TrimSpace(doc)) {
		return res, nil // the engine copies a document it does not change
	}
	if res.doc, err = sigsyaml.YAMLToJSON(first); err != nil {
		return res, fmt.Errorf("converting the grafted document to JSON: %w", err)
	}
	return res, nil
}

// splitFirst cuts a stream the engine wrote at its first document
// separator. The workload, written from JSON, holds no line of its own
// that starts with "---".
func splitFirst(stream []byte) (first, rest []byte) {
	for _, sep := range [][]byte{[]byte("\n---\n"), []byte("\n---\r\n")} {
		if i := bytes.Index(stream, sep); i >= 0 {
			return stream[:i+1], stream[i+len(sep):]
		}
	}
	return stream, nil
}

// graftError turns a failed run into one error that lists every problem.
func graftError(results framework.Results, err error) error {
	var msgs []string
	for _, r := range results {
		if r.Severity == framework.Error {
			msgs = append(msgs, message(r))
		}
	}
	if err != nil {
		msgs = append(msgs, err.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}

// message is a result as the standalone mode prints it, without the
// severity (the admission response says that) and the document location
// (there is one document).
func message(r *framework.Result) string {
	c := *r
	c.File = nil
	s := fn.FormatResult(&c)
	return "podgraft: " + strings.TrimPrefix(s, "podgraft: "+string(r.Severity)+": ")
}

// describeDoc names a generated resource: "ConfigMap shop/web-conf-0123456789".
// It reads the lines the engine writes (kind at the top, name and
// namespace under metadata) rather than parsing the document, whose data
// (a whole nginx.conf, say) costs more to parse than the graft itself.
func describeDoc(raw []byte) string {
	var kind, name, namespace string
	inMeta := false
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "kind: "):
			kind = strings.TrimPrefix(line, "kind: ")
		case line == "metadata:":
			inMeta = true
		case inMeta && strings.HasPrefix(line, "  name: "):
			name = strings.TrimPrefix(line, "  name: ")
		case inMeta && strings.HasPrefix(line, "  namespace: "):
			namespace = strings.TrimPrefix(line, "  namespace: ")
		case inMeta && line != "" && line[0] != ' ':
			inMeta = false
		}
	}
	if kind == "" || name == "" {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := sigsyaml.Unmarshal(raw, &obj); err != nil {
			return "(unreadable generated resource)"
		}
		kind, name, namespace = obj.Kind, obj.Metadata.Name, obj.Metadata.Namespace
	}
	return kind + " " + namespace + "/" + name
}

// identity says which configs these are: each one's source, name and spec
// hash (which covers its fromFiles), so that a change to any shows.
func (e *engine) identity() string {
	var id []string
	for _, c := range e.configs {
		id = append(id, c.Source+"\x00"+c.Metadata.Name+"\x00"+c.Hash)
	}
	slices.Sort(id)
	return strings.Join(id, "\n")
}

// names lists the PodGrafts, for logs.
func (e *engine) names() []string {
	var out []string
	for _, c := range e.configs {
		out = append(out, c.Metadata.Name)
	}
	return out
}
