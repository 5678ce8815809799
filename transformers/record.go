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
	if lookup(tmpl, "metadata") == nil {
		// metadata reads best above spec, where Kubernetes prints it.
		tmpl.Content = append([]*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "metadata"}, newNode(yaml.MappingNode)}, tmpl.Content...)
	}
	meta := lookup(tmpl, "metadata")
	annos := ensure(meta, "annotations", yaml.MappingNode)
	setString(annos, RecordAnnotation, string(b))
	// Single quotes keep the JSON readable: no backslash before every quote.
	lookup(annos, RecordAnnotation).Style = yaml.SingleQuotedStyle
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

// current reports whether e was written by this very version of the graft
// against this template: same spec hash, and every image copied with
// imageFrom still equal to its source (a new app image must re-graft).
func (e *Entry) current(hash string, spec *yaml.Node) bool {
	if e.Hash != hash {
		return false
	}
	for initName, from := range e.ImageFrom {
		inits := lookup(spec, "initContainers")
		apps := lookup(spec, "containers")
		i, a := indexByName(inits, initName), indexByName(apps, from)
		if i < 0 || a < 0 || str(inits.Content[i], "image") != str(apps.Content[a], "image") {
			return false
		}
	}
	return true
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
type Reconcile struct {
	Graft   string
	Hash    string
	Select  Select
	Remove  bool
	Results *Results
	// Touched receives every workload this graft changes.
	Touched *Touched
}

var _ kio.Filter = Reconcile{}

// Filter returns the workloads to graft.
func (f Reconcile) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	targeted := map[*yaml.RNode]bool{}
	if !f.Remove {
		selected, err := f.Select.Filter(nodes)
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
		upToDate := len(tmpls) > 0
		for _, t := range tmpls {
			rec, err := LoadRecord(t)
			if err != nil {
				return nil, err
			}
			e := rec[f.Graft]
			if e == nil {
				upToDate = false
				continue
			}
			if targeted[r] && e.current(f.Hash, t.Node.Field("spec").Value.YNode()) {
				continue
			}
			upToDate = false
			f.Touched.Add(r)
			unapply(t, e)
			delete(rec, f.Graft)
			rec.Save(t)
			if f.Remove {
				f.Results.Add(framework.Info, r, RecordAnnotation, "removed what %s added: %s", f.Graft, e.Summary())
			}
		}
		if targeted[r] && !upToDate {
			f.Touched.Add(r)
			out = append(out, r)
		}
	}
	return out, nil
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
		removeByName(lookup(resSpec, "volumeClaimTemplates"), set(e.ClaimTemplates))
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
