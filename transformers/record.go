package transformers

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
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
	// Env lists the variables it added: "<container>:<NAME>". One that
	// another entry lists too is shared, and stays until both are gone.
	Env []string `json:"env,omitempty"`
	// EnvFrom lists the envFrom sources it added:
	// "<container>:configMapRef/<name>" (or secretRef, with "?prefix=<p>"
	// when the source has one). One another entry lists too is shared.
	EnvFrom []string `json:"envFrom,omitempty"`
	// Labels and Annotations list the pod template's metadata keys it set;
	// ImagePullSecrets the secret names it added. An annotation or secret
	// another entry lists too is shared, and stays until both are gone.
	Labels           []string `json:"labels,omitempty"`
	Annotations      []string `json:"annotations,omitempty"`
	ImagePullSecrets []string `json:"imagePullSecrets,omitempty"`
	// Original holds, as YAML text with its style and comments, what an
	// env or pod override replaced, so that removal puts back the user's
	// own as written: "env:<container>:<NAME>", "labels:<key>",
	// "annotations:<key>".
	Original map[string]string `json:"original,omitempty"`
	// Replaced holds the probes an override replaced, keyed like Probes,
	// so that removal puts the user's probe back: its YAML text, as a
	// JSON string (storeNode), or its JSON in older records.
	Replaced map[string]json.RawMessage `json:"replaced,omitempty"`
	// Found holds, as written ("", "~", "null", "[]", "{}"), the empty or
	// null collections this graft found and filled: removal gives them
	// back instead of taking the key out. Keyed "metadata",
	// "metadata.annotations", "spec.<list>", "volumeClaimTemplates" or
	// "<container>:<volumeMounts|env>"; most records have none.
	Found          map[string]string `json:"found,omitempty"`
	ClaimTemplates []string          `json:"claimTemplates,omitempty"`
	Generated      []string          `json:"generated,omitempty"` // "<Kind>/<name>"
	// Placement holds the placement of each grafted container not placed
	// last, so that a later graft can lay the pod out canonically.
	Placement map[string]string `json:"placement,omitempty"`
	// Reach keeps the mounts and probes that select containers by a glob,
	// or by the name of a container another graft adds, with what they
	// add: a graft applied, upgraded or removed later, in a run without
	// this graft's config, gives its containers exactly these parts, so
	// that grafts give the same pod in any order.
	Reach []Reach `json:"reach,omitempty"`
}

// Reach is one mount or probe set of a graft that may reach the
// containers of other grafts.
type Reach struct {
	Containers []string `json:"containers,omitempty"`
	// InitContainers select init containers that run to completion.
	InitContainers []string `json:"initContainers,omitempty"`
	// Mount is the volumeMount it adds, name included.
	Mount json.RawMessage `json:"mount,omitempty"`
	// Probes are the probes it sets, by kind.
	Probes   map[string]json.RawMessage `json:"probes,omitempty"`
	Override bool                       `json:"override,omitempty"`
	// Vars and From are the env variables and envFrom sources it adds.
	Vars []json.RawMessage `json:"vars,omitempty"`
	From []json.RawMessage `json:"from,omitempty"`
}

// Record maps PodGraft names to their entries.
type Record map[string]*Entry

// LoadRecord reads the record of a pod template. A record that is not
// valid JSON is an error: guessing would risk removing the user's
// containers.
func LoadRecord(t Template) (Record, error) {
	v := node.Lookup(node.Lookup(node.Lookup(t.Node.YNode(), "metadata"), "annotations"), RecordAnnotation)
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

// save writes the record into the template, and takes the annotation (and
// the annotations map and metadata, when they end up empty) out when no
// graft is left, so that removal restores the document.
// found is what the last graft taken out found there (Entry.Found).
func (rec Record) save(t Template, found map[string]string) {
	tmpl := t.Node.YNode()
	if len(rec) == 0 {
		meta := node.Lookup(tmpl, "metadata")
		annos := node.Lookup(meta, "annotations")
		if annos == nil {
			return
		}
		node.Remove(annos, RecordAnnotation)
		removeIfEmpty(meta, "annotations", found, foundAnnotations)
		if t.Node != t.Resource {
			removeIfEmpty(tmpl, "metadata", found, foundMetadata)
		}
		return
	}
	b, _ := json.Marshal(rec) // maps and string slices always marshal
	if m := node.Lookup(tmpl, "metadata"); m != nil && node.IsNull(m) {
		*m = *node.New(yaml.MappingNode) // "metadata:" with no value
	} else if m == nil {
		// metadata reads best above spec, where Kubernetes prints it.
		node.Insert(tmpl, 0, "metadata", node.New(yaml.MappingNode))
	}
	setRecordValue(node.Ensure(node.Lookup(tmpl, "metadata"), "annotations", yaml.MappingNode), b)
}

// setRecordValue sets the record annotation in annos to its JSON, single
// quoted so that the JSON reads without a backslash before every quote.
func setRecordValue(annos *yaml.Node, b []byte) {
	v := node.Ensure(annos, RecordAnnotation, yaml.ScalarNode)
	*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(b), Style: yaml.SingleQuotedStyle}
}

// grafts returns the names of the grafts in the record, sorted.
func (rec Record) grafts() []string {
	names := make([]string, 0, len(rec))
	for g := range rec {
		names = append(names, g)
	}
	sort.Strings(names)
	return names
}

// containers maps the name of every container a graft added to the graft
// that added it.
func (rec Record) containers() map[string]string {
	out := map[string]string{}
	for graft, e := range rec {
		for _, list := range [][]string{e.InitContainers, e.Sidecars, e.Containers} {
			for _, n := range list {
				out[n] = graft
			}
		}
	}
	return out
}

// owner names the grafts other than self whose entries list item, or "".
// What another graft added is never shared: removing that graft would take
// it away from under this one.
func (rec Record) owner(self string, items func(*Entry) []string, item string) string {
	var owners []string
	for graft, e := range rec {
		if graft == self {
			continue
		}
		for _, it := range items(e) {
			if it == item {
				owners = append(owners, graft)
			}
		}
	}
	sort.Strings(owners)
	return strings.Join(owners, ", ")
}

// stale says why e was not written by this very version of the graft
// against this template, or "" when it was: the spec hash differs, or an
// image copied with imageFrom no longer equals its source (a new app image
// must re-graft).
func (e *Entry) stale(hash string, spec *yaml.Node) string {
	if e.Hash != hash {
		return fmt.Sprintf("recorded hash %s, config hash %s", e.Hash, hash)
	}
	inits := node.Lookup(spec, "initContainers")
	apps := node.Lookup(spec, "containers")
	for _, initName := range slices.Sorted(maps.Keys(e.ImageFrom)) {
		from := e.ImageFrom[initName]
		i, a := node.IndexByName(inits, initName), node.IndexByName(apps, from)
		if i < 0 || a < 0 {
			return fmt.Sprintf("init container %q or its imageFrom source %q is gone", initName, from)
		}
		for _, key := range []string{"image", "imagePullPolicy"} {
			if got, want := node.Str(inits.Content[i], key), node.Str(apps.Content[a], key); got != want {
				return fmt.Sprintf("init container %q has %s %q, but app container %q now has %q", initName, key, got, from, want)
			}
		}
	}
	return ""
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
	add("env", e.userEnv())
	add("envFrom", e.EnvFrom)
	add("labels", e.Labels)
	add("annotations", e.Annotations)
	add("imagePullSecrets", e.ImagePullSecrets)
	add("volumeClaimTemplates", e.ClaimTemplates)
	add("generated", e.Generated)
	if len(parts) == 0 {
		return "nothing to add"
	}
	return strings.Join(parts, "; ")
}

// userEnv lists the variables the entry added from spec.env: not the
// PODGRAFT_NAMESPACE of isolated mounts.
func (e *Entry) userEnv() []string {
	var out []string
	for _, k := range e.Env {
		if !strings.HasSuffix(k, ":"+NamespaceEnv) {
			out = append(out, k)
		}
	}
	return out
}

// containerNames lists the containers the entry added.
func (e *Entry) containerNames() []string {
	return append(append(append([]string{}, e.InitContainers...), e.Sidecars...), e.Containers...)
}

// forget drops from the entry the mounts and probes it keeps on the
// containers gone: another graft took them out of the pod.
func (e *Entry) forget(gone map[string]bool) {
	keep := func(keys []string) []string {
		kept := keys[:0:0]
		for _, k := range keys {
			if c, _, _ := strings.Cut(k, ":"); gone[c] {
				delete(e.Replaced, k)
				delete(e.Original, originalEnv(k))
				continue
			}
			kept = append(kept, k)
		}
		if len(kept) == 0 {
			return nil
		}
		return kept
	}
	e.Mounts = keep(e.Mounts)
	e.Probes = keep(e.Probes)
	e.Env = keep(e.Env)
	e.EnvFrom = keep(e.EnvFrom)
	if len(e.Replaced) == 0 {
		e.Replaced = nil
	}
	for k := range e.Found {
		if c, _, ok := strings.Cut(k, ":"); ok && gone[c] {
			delete(e.Found, k)
		}
	}
	if len(e.Found) == 0 {
		e.Found = nil
	}
	if len(e.Original) == 0 {
		e.Original = nil
	}
}

// canonicalRecord renders a record so that two records that say the
// same, whatever the order of the items in their lists, render the same.
func canonicalRecord(rec Record) string {
	c := make(map[string]Entry, len(rec))
	for g, e := range rec {
		ce := *e
		for _, l := range []*[]string{&ce.InitContainers, &ce.Sidecars, &ce.Containers, &ce.Volumes, &ce.Mounts, &ce.Probes, &ce.Env, &ce.EnvFrom, &ce.Labels, &ce.Annotations, &ce.ImagePullSecrets, &ce.ClaimTemplates, &ce.Generated} {
			*l = append([]string(nil), *l...)
			sort.Strings(*l)
		}
		if len(ce.Replaced) > 0 {
			// A probe kept as text and the same kept as JSON (an older
			// record) say the same: such a record is current as it is.
			ce.Replaced = make(map[string]json.RawMessage, len(e.Replaced))
			for k, raw := range e.Replaced {
				ce.Replaced[k] = raw
				if n, ok := loadNode(raw); ok {
					ce.Replaced[k] = nodeJSON(n)
				}
			}
		}
		c[g] = ce
	}
	b, _ := json.Marshal(c) // plain data always marshals
	return string(b)
}

func set(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}
