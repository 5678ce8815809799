package transformers

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// RecordAnnotation on a grafted pod template records, per PodGraft, the
// hash of its spec and exactly what it added. It is what makes re-runs
// safe: a current entry means "nothing to do", a stale one is taken out
// before the new version goes in, and --remove takes it all out.
const RecordAnnotation = "podgraft.dev/grafts"

// Entry is what one PodGraft added to one pod template.
type Entry struct {
	Hash           string            `json:"hash"`
	InitContainers []string          `json:"initContainers,omitempty"` // run to completion
	Sidecars       []string          `json:"sidecars,omitempty"`       // native: in initContainers, restartPolicy Always
	Containers     []string          `json:"containers,omitempty"`     // regular sidecars
	ImageFrom      map[string]string `json:"imageFrom,omitempty"`      // init container -> app container it copies its image from
	Volumes        []string          `json:"volumes,omitempty"`
	Mounts         []string          `json:"mounts,omitempty"` // "<container>:<mountPath>"
	Probes         []string          `json:"probes,omitempty"` // "<container>:<readiness|liveness|startup>"
	// Replaced holds the probes an override replaced, keyed like Probes,
	// so that removal puts the user's probe back.
	Replaced       map[string]json.RawMessage `json:"replaced,omitempty"`
	ClaimTemplates []string                   `json:"claimTemplates,omitempty"`
	Generated      []string                   `json:"generated,omitempty"` // "<Kind>/<name>"
	// Placement holds the placement of each grafted container not placed
	// last, so that a later graft can lay the pod out canonically.
	Placement map[string]string `json:"placement,omitempty"`
}

// Record maps PodGraft names to their entries.
type Record map[string]*Entry

// LoadRecord reads the record of a pod template. A record that is not valid
// JSON is an error: guessing would risk removing the user's containers.
func LoadRecord(t Template) (Record, error) {
	v := lookup(lookup(lookup(t.Node.YNode(), "metadata"), "annotations"), RecordAnnotation)
	if v == nil || v.Value == "" {
		return Record{}, nil
	}
	rec := Record{}
	if err := json.Unmarshal([]byte(v.Value), &rec); err != nil {
		return nil, fmt.Errorf("%s: %s: annotation %s is not a valid graft record: %v",
			Describe(t.Resource), t.Field("metadata", "annotations"), RecordAnnotation, err)
	}
	return rec, nil
}

// Save writes the record back, and takes the annotation (and the
// annotations map and metadata, when they end up empty) out when no graft
// is left, so that removal restores the document.
func (rec Record) Save(t Template) {
	tmpl := t.Node.YNode()
	if len(rec) == 0 {
		meta := lookup(tmpl, "metadata")
		annos := lookup(meta, "annotations")
		if annos == nil {
			return
		}
		remove(annos, RecordAnnotation)
		removeIfEmpty(meta, "annotations")
		if t.Node != t.Resource {
			removeIfEmpty(tmpl, "metadata")
		}
		return
	}
	b, _ := json.Marshal(rec) // maps and string slices always marshal
	if m := lookup(tmpl, "metadata"); m != nil && m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
		*m = *newNode(yaml.MappingNode) // "metadata:" with no value
	} else if m == nil {
		// metadata reads best above spec, where Kubernetes prints it.
		tmpl.Content = append([]*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "metadata"}, newNode(yaml.MappingNode)}, tmpl.Content...)
	}
	meta := lookup(tmpl, "metadata")
	annos := ensure(meta, "annotations", yaml.MappingNode)
	setRecord(annos, string(b))
}

// Entry returns the entry for graft, creating it.
func (rec Record) Entry(graft string) *Entry {
	e := rec[graft]
	if e == nil {
		e = &Entry{}
		rec[graft] = e
	}
	return e
}

// stale says why e was not written by this very version of the graft
// against this template, or "" when it was: the spec hash differs, or an
// image copied with imageFrom no longer equals its source (a new app image
// must re-graft).
func (e *Entry) stale(hash string, spec *yaml.Node) string {
	if e.Hash != hash {
		return fmt.Sprintf("recorded hash %s, config hash %s", e.Hash, hash)
	}
	inits := lookup(spec, "initContainers")
	apps := lookup(spec, "containers")
	for _, initName := range sortedKeys(e.ImageFrom) {
		from := e.ImageFrom[initName]
		i, a := indexByName(inits, initName), indexByName(apps, from)
		if i < 0 || a < 0 {
			return fmt.Sprintf("init container %q or its imageFrom source %q is gone", initName, from)
		}
		for _, key := range []string{"image", "imagePullPolicy"} {
			if got, want := str(inits.Content[i], key), str(apps.Content[a], key); got != want {
				return fmt.Sprintf("init container %q has %s %q, but app container %q now has %q", initName, key, got, from, want)
			}
		}
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Summary says in one line what the entry added, for info results.
func (e *Entry) Summary() string {
	var parts []string
	add := func(what string, items []string) {
		if len(items) > 0 {
			parts = append(parts, what+" "+strings.Join(items, ", "))
		}
	}
	add("sidecars", append(append([]string{}, e.Sidecars...), e.Containers...))
	add("init containers", e.InitContainers)
	add("volumes", e.Volumes)
	add("mounts", e.Mounts)
	add("probes", e.Probes)
	add("volumeClaimTemplates", e.ClaimTemplates)
	add("generated", e.Generated)
	if len(parts) == 0 {
		return "nothing to add"
	}
	return strings.Join(parts, "; ")
}

// Reconcile is the filter that makes re-runs safe. Given every resource, it
// returns the workloads the graft must (re)apply to: those Select picks and
// whose record entry is missing or stale. Before returning, it takes out
// what a stale entry added, and takes the graft out of workloads it no
// longer targets. With Remove it takes the graft out everywhere and returns
// nothing to apply.
//
// With Check it changes nothing and returns nothing: it reports, as an
// error result per workload, what it would do (a graft missing, out of
// date, or to be taken out), and with an info result each targeted
// workload whose graft is current. It is the drift report of --check and
// shares the selection and the "current" test with the real run.
type Reconcile struct {
	Graft   string
	Hash    string
	Select  Select
	Remove  bool
	Check   bool
	Results *Results
	// Touched receives every workload this graft changes.
	Touched *Touched
}

var _ kio.Filter = Reconcile{}

// Filter returns the workloads to graft.
func (f Reconcile) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	targeted := map[*yaml.RNode]bool{}
	if !f.Remove {
		sel := f.Select
		if f.Check {
			sel.Results = nil // a drift report is not the place for skip warnings
		}
		selected, err := sel.Filter(nodes)
		if err != nil {
			return nil, err
		}
		for _, r := range selected {
			targeted[r] = true
		}
	}
	var out []*yaml.RNode
	for _, r := range nodes {
		tmpls, err := f.Select.Locator.Templates(r)
		if err != nil {
			if targeted[r] {
				return nil, err
			}
			continue
		}
		apply, drifted := false, false
		for _, t := range tmpls {
			rec, err := LoadRecord(t)
			if err != nil {
				return nil, err
			}
			e := rec[f.Graft]
			why := f.drift(targeted[r], e, lookup(t.Node.YNode(), "spec"))
			if why == "" {
				continue
			}
			drifted = true
			if f.Check {
				f.Results.Add(framework.Error, r, "", "graft %s %s", f.Graft, why)
				continue
			}
			apply = apply || targeted[r]
			if e == nil {
				continue
			}
			f.Touched.Add(r)
			unapply(t, e)
			delete(rec, f.Graft)
			rec.Save(t)
			if f.Remove {
				f.Results.Add(framework.Info, r, RecordAnnotation, "removed what %s added: %s", f.Graft, e.Summary())
			}
		}
		if targeted[r] && len(tmpls) == 0 && !f.Check {
			tk, _ := f.Select.Locator.Kind(r)
			f.Results.Add(framework.Warning, r, strings.Join(tk.Path, "."),
				"skipped by %s: no pod template at %s, so nothing to graft", f.Graft, strings.Join(tk.Path, "."))
		}
		if f.Check && targeted[r] && !drifted && len(tmpls) > 0 {
			f.Results.Add(framework.Info, r, "", "graft %s is current", f.Graft)
		}
		if apply {
			f.Touched.Add(r)
			out = append(out, r)
		}
	}
	return out, nil
}

// drift says what is to be done about a template's entry for this graft,
// as the rest of "graft <name> ...", or "" when nothing is: the graft is
// missing from a targeted template, or out of date there, or present where
// it is no longer targeted (or is being removed).
func (f Reconcile) drift(targeted bool, e *Entry, spec *yaml.Node) string {
	switch {
	case targeted && e == nil:
		return "is missing"
	case targeted:
		if why := e.stale(f.Hash, spec); why != "" {
			return "is out of date (" + why + ")"
		}
		return ""
	case e == nil:
		return ""
	case f.Remove:
		return fmt.Sprintf("is still present (recorded hash %s)", e.Hash)
	}
	return fmt.Sprintf("is out of date (recorded hash %s; the config no longer targets this workload)", e.Hash)
}

// unapply takes out of t what e records, and only that.
func unapply(t Template, e *Entry) {
	spec := lookup(t.Node.YNode(), "spec")
	if spec == nil {
		return
	}
	mounts := set(e.Mounts)
	for _, list := range []string{"initContainers", "containers"} {
		seq := lookup(spec, list)
		if seq == nil {
			continue
		}
		for _, c := range seq.Content {
			unmount(c, str(c, "name"), mounts)
			unprobe(c, str(c, "name"), e)
		}
	}
	removeByName(lookup(spec, "initContainers"), set(append(append([]string{}, e.InitContainers...), e.Sidecars...)))
	removeByName(lookup(spec, "containers"), set(e.Containers))
	removeIfEmpty(spec, "initContainers")
	removeByName(lookup(spec, "volumes"), set(e.Volumes))
	removeIfEmpty(spec, "volumes")
	if len(e.ClaimTemplates) > 0 {
		resSpec := lookup(t.Resource.YNode(), "spec")
		removeClaimTemplates(lookup(resSpec, "volumeClaimTemplates"), set(e.ClaimTemplates))
		removeIfEmpty(resSpec, "volumeClaimTemplates")
	}
}

func unmount(c *yaml.Node, name string, mounts map[string]bool) {
	vm := lookup(c, "volumeMounts")
	if vm == nil || len(mounts) == 0 {
		return
	}
	kept := vm.Content[:0]
	for _, m := range vm.Content {
		if !mounts[name+":"+str(m, "mountPath")] {
			kept = append(kept, m)
		}
	}
	vm.Content = kept
	removeIfEmpty(c, "volumeMounts")
}

func unprobe(c *yaml.Node, name string, e *Entry) {
	for _, p := range e.Probes {
		cname, kind, _ := strings.Cut(p, ":")
		if cname != name {
			continue
		}
		key := kind + "Probe"
		if old, ok := e.Replaced[p]; ok {
			var n yaml.Node
			if err := yaml.Unmarshal(old, &n); err == nil && len(n.Content) == 1 {
				setNode(c, key, fromJSON(n.Content[0]))
				continue
			}
		}
		remove(c, key)
	}
}

func set(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}

// Stamp is the last filter of a graft: it writes the spec hash into the
// record of every grafted template and reports what was added.
type Stamp struct {
	Graft   string
	Hash    string
	Locator Locator
	Results *Results
}

var _ kio.Filter = Stamp{}

// Filter stamps the records.
func (f Stamp) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	for _, r := range nodes {
		tmpls, err := f.Locator.Templates(r)
		if err != nil {
			return nil, err
		}
		for _, t := range tmpls {
			rec, err := LoadRecord(t)
			if err != nil {
				return nil, err
			}
			e := rec.Entry(f.Graft)
			e.Hash = f.Hash
			sort.Strings(e.Generated)
			rec.Save(t)
			f.Results.Add(framework.Info, r, "", "grafted by %s: %s", f.Graft, e.Summary())
		}
	}
	return nodes, nil
}
