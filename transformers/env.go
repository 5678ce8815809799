package transformers

import (
	"bytes"
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// env is the step that adds spec.env's variables (env) and sources
// (envFrom) to the selected containers, after their own and in the order
// given, so that a $(VAR) reference still expands (Kubernetes expands in
// list order). It runs after containers, so that "*" reaches this graft's
// sidecars; the reach step gives other grafts' sidecars the sets that
// select them by a glob or by name. A variable the container already sets
// is kept, with a warning, unless the set overrides it: then the
// container's own is kept in the record, as written, and put back on
// removal. Everything is checked before anything is written: one variable
// set twice by this graft in one container, or set by another graft, is a
// conflict.
func (g *Graft) env(p *pod) bool {
	if len(g.spec.Env) == 0 {
		return true
	}
	owners := p.rec.containers()
	planned := map[string]string{} // "<container>:<NAME>" -> the config field that sets it
	var writes []envWrite
	for i := range g.spec.Env {
		set := &g.spec.Env[i]
		src := "spec.env[" + strconv.Itoa(i) + "]"
		vars, froms := envParts(set)
		var targets []container
		if len(set.Containers) == 0 && len(set.InitContainers) == 0 {
			for _, c := range containers(p.spec, "containers") {
				if owners[c.name()] == "" {
					targets = append(targets, c)
				}
			}
		}
		selected, missing := selectTargets(p.spec, set.Containers, set.InitContainers)
		targets = mergeTargets(targets, selected)
		reaching := len(missing) > 0 || reaches(set.Containers, owners, g.Name) || reaches(set.InitContainers, owners, g.Name) ||
			len(set.Containers)+len(set.InitContainers) > 0 && len(selected) == 0
		if reaching {
			r := Reach{Containers: set.Containers, InitContainers: set.InitContainers, Override: set.Override}
			for _, v := range vars {
				r.Vars = append(r.Vars, v.record)
			}
			for _, f := range froms {
				r.From = append(r.From, f.record)
			}
			p.entry.Reach = append(p.entry.Reach, r)
		}
		for _, name := range missing {
			p.wait(p.t.Field("spec"), []string{name}, "%s: %s names container %q, but the pod has no such container; it gets the variables when a graft adds it", g.Name, src, name)
		}
		for _, c := range targets {
			if !p.listShape(c, "env", "envFrom") {
				continue
			}
			// A set that reaches other grafts' containers writes its
			// recorded form everywhere, so that the pod reads the same
			// whichever graft came first.
			for j, v := range vars {
				field := src + ".vars[" + strconv.Itoa(j) + "]"
				name := set.Vars[j].Name
				key := c.name() + ":" + name
				if other, dup := planned[key]; dup {
					p.fail(p.t.Field("spec", c.field(), "env"), "%s: %s and %s both set %s in container %q; set it once", g.Name, other, field, name, c.name())
					continue
				}
				planned[key] = field
				if w, ok := p.planVar(g.Name, c, v.node(reaching), set.Override, src, field); ok {
					writes = append(writes, w)
				}
			}
			for _, f := range froms {
				key := "envFrom " + c.name() + ":" + envFromKey(f.plain)
				if _, dup := planned[key]; dup {
					continue // the same source from two sets: added once
				}
				planned[key] = src
				if w, ok := p.planFrom(g.Name, c, f.node(reaching)); ok {
					writes = append(writes, w)
				}
			}
		}
	}
	if p.failed() {
		return false
	}
	for _, w := range writes {
		p.writeEnv(g.Name, p.entry, w)
	}
	p.changed = p.changed || len(writes) > 0
	return true
}

// envParts prepares a set's variables and sources as parts. Their
// recorded form has its keys sorted, so that the record reads the same
// whether the config came from a file or from kustomize, which sorts a
// function config's keys.
func envParts(set *v1alpha1.EnvSet) (vars, froms []part) {
	for _, v := range set.Vars {
		vars = append(vars, sortedPart(node.Plain(v.Node)))
	}
	for _, f := range set.From {
		froms = append(froms, sortedPart(node.Plain(f.Node)))
	}
	return vars, froms
}

func sortedPart(n *yaml.Node) part {
	raw := toRecord(n)
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) == nil {
		if sorted, err := json.Marshal(v); err == nil { // maps marshal with sorted keys
			raw = sorted
		}
	}
	return part{plain: n, reached: fromRecord(raw), record: raw}
}

// envWrite is one variable or envFrom source to write, found valid
// before anything is written.
type envWrite struct {
	c    container
	list string // env | envFrom
	key  string // "<container>:<NAME>" or "<container>:<envFrom key>"
	n    *yaml.Node
	// replace is the index of the container's own variable an override
	// replaces, or -1.
	replace int
	// shared: another graft added the same envFrom source; it is only
	// recorded, and stays until both are gone.
	shared bool
}

// planVar checks variable v for container c: another graft's is a
// conflict; the container's own with the same value is used as it is;
// with another value it is kept (a warning) unless override.
func (p *pod) planVar(graft string, c container, v *yaml.Node, override bool, set, field string) (envWrite, bool) {
	name := node.Str(v, "name")
	key := c.name() + ":" + name
	if owner := p.rec.owner(graft, func(e *Entry) []string { return e.Env }, key); owner != "" {
		p.fail(p.t.Field("spec", c.field(), "env"), "%s: %s sets %s in container %q, but %s set it; two grafts cannot own one variable",
			graft, field, name, c.name(), owner)
		return envWrite{}, false
	}
	env := node.Lookup(c.node, "env")
	i := node.IndexByName(env, name)
	switch {
	case i < 0:
		return envWrite{c: c, list: "env", key: key, n: v, replace: -1}, true
	case sameData(env.Content[i], v):
		return envWrite{}, false // the container's own, used as it is
	case !override:
		p.add(framework.Warning, p.t.Field("spec", c.field(), "env["+strconv.Itoa(i)+"]"),
			"%s: container %q sets %s already; kept its own value (%s has override: false)", graft, c.name(), name, set)
		return envWrite{}, false
	}
	return envWrite{c: c, list: "env", key: key, n: v, replace: i}, true
}

// planFrom checks envFrom source f for container c: one the container
// has already is used as it is.
func (p *pod) planFrom(graft string, c container, f *yaml.Node) (envWrite, bool) {
	key := c.name() + ":" + envFromKey(f)
	if owner := p.rec.owner(graft, func(e *Entry) []string { return e.EnvFrom }, key); owner != "" {
		return envWrite{c: c, list: "envFrom", key: key, shared: true}, true
	}
	for _, have := range seqContent(node.Lookup(c.node, "envFrom")) {
		if c.name()+":"+envFromKey(have) == key {
			return envWrite{}, false // the container's own
		}
	}
	return envWrite{c: c, list: "envFrom", key: key, n: f, replace: -1}, true
}

// writeEnv writes a planned variable or source and records it in e. New
// ones go before what grafts that sort after graft added, so that the
// order does not depend on which was applied first.
func (p *pod) writeEnv(graft string, e *Entry, w envWrite) {
	if w.list == "envFrom" {
		if w.shared {
			e.EnvFrom = p.byPodOrder(append(e.EnvFrom, w.key))
			return
		}
		later := laterKeys(p.rec, graft, func(e *Entry) []string { return e.EnvFrom })
		seq := ensureGrafted(w.c.node, "envFrom", p.rec)
		insertBefore(seq, w.n, func(el *yaml.Node) bool { return later[w.c.name()+":"+envFromKey(el)] })
		e.EnvFrom = p.byPodOrder(append(e.EnvFrom, w.key))
		return
	}
	seq := ensureGrafted(w.c.node, "env", p.rec)
	if w.replace >= 0 {
		if e.Original == nil {
			e.Original = map[string]string{}
		}
		e.Original[originalEnv(w.key)] = yamlText(seq.Content[w.replace])
		seq.Content[w.replace] = w.n
	} else {
		later := laterKeys(p.rec, graft, func(e *Entry) []string { return e.Env })
		insertBefore(seq, w.n, func(el *yaml.Node) bool { return later[w.c.name()+":"+node.Str(el, "name")] })
	}
	e.Env = p.byPodOrder(append(e.Env, w.key))
}

// byPodOrder sorts "<container>:..." keys by their container's place in
// the pod, keeping the order of each container's own keys: the record
// then reads the same whether the env step or the reach step wrote them.
func (p *pod) byPodOrder(keys []string) []string {
	order := p.podOrder()
	slices.SortStableFunc(keys, func(a, b string) int {
		ca, _, _ := strings.Cut(a, ":")
		cb, _, _ := strings.Cut(b, ":")
		return order[ca] - order[cb]
	})
	return keys
}

// reachEnv gives container c, which another graft added, the variables
// and sources of r, recorded in graft's entry e.
func (p *pod) reachEnv(graft string, e *Entry, r Reach, c container) {
	if !p.listShape(c, "env", "envFrom") {
		return
	}
	for _, raw := range r.Vars {
		v := fromRecord(raw)
		if slices.Contains(e.Env, c.name()+":"+node.Str(v, "name")) {
			continue
		}
		if w, ok := p.planVar(graft, c, v, r.Override, "its spec.env set for "+describeRefs(r.Containers, r.InitContainers), "a spec.env set of "+graft); ok {
			p.writeEnv(graft, e, w)
		}
	}
	for _, raw := range r.From {
		f := fromRecord(raw)
		if slices.Contains(e.EnvFrom, c.name()+":"+envFromKey(f)) {
			continue
		}
		if w, ok := p.planFrom(graft, c, f); ok {
			p.writeEnv(graft, e, w)
		}
	}
}

// envFromKey names an envFrom source in the record (v1alpha1.EnvFromKey).
func envFromKey(f *yaml.Node) string {
	if ref := node.Lookup(f, "configMapRef"); ref != nil {
		return v1alpha1.EnvFromKey(node.Str(f, "prefix"), true, node.Str(ref, "name"))
	}
	return v1alpha1.EnvFromKey(node.Str(f, "prefix"), false, node.Str(node.Lookup(f, "secretRef"), "name"))
}

func originalEnv(key string) string { return "env:" + key }

// unenvFrom takes out the envFrom sources e added that no other entry of
// rec lists, and puts back the variables e's overrides replaced (unenv
// takes out the ones it added).
func unenvFrom(t Template, e *Entry, rec Record) {
	if len(e.EnvFrom) == 0 {
		return
	}
	shared := map[string]bool{}
	for _, other := range rec {
		for _, k := range other.EnvFrom {
			shared[k] = true
		}
	}
	mine := set(e.EnvFrom)
	for _, c := range allContainers(node.Lookup(t.Node.YNode(), "spec")) {
		seq := node.Lookup(c.node, "envFrom")
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		kept := seq.Content[:0]
		for _, f := range seq.Content {
			key := c.name() + ":" + envFromKey(f)
			if mine[key] && !shared[key] {
				continue
			}
			kept = append(kept, f)
		}
		seq.Content = kept
		node.RemoveIfEmpty(c.node, "envFrom")
	}
}

// restoredVar is the container's own variable an override of e replaced,
// as the user wrote it, or nil.
func restoredVar(e *Entry, key string) *yaml.Node {
	text, ok := e.Original[originalEnv(key)]
	if !ok {
		return nil
	}
	return fromYAMLText(text)
}

// yamlText renders a node as YAML text, with its own style and comments,
// so that what an override replaced comes back as the user wrote it.
func yamlText(n *yaml.Node) string {
	c := node.Copy(n)
	node.SpellNulls(c) // or a flow null would come back as ''
	b, err := yaml.Marshal(c)
	if err != nil {
		return ""
	}
	return string(b)
}

// fromYAMLText reads back what yamlText wrote; nil if it does not parse.
func fromYAMLText(s string) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil || len(doc.Content) != 1 {
		return nil
	}
	return doc.Content[0]
}

// laterKeys collects the keys that the grafts whose names sort after
// graft recorded in one list of their entries.
func laterKeys(rec Record, graft string, items func(*Entry) []string) map[string]bool {
	out := map[string]bool{}
	for name, e := range rec {
		if name > graft {
			for _, k := range items(e) {
				out[k] = true
			}
		}
	}
	return out
}

// selectTargets returns the containers that containers and inits select,
// in pod order, and the exact names that match nothing. containers
// selects as mountTargets does; inits selects, by name or glob, the init
// containers that run to completion.
func selectTargets(spec *yaml.Node, patterns, inits []string) (targets []container, missing []string) {
	if len(patterns) > 0 {
		targets, missing = mountTargets(spec, patterns)
	}
	if len(inits) == 0 {
		return targets, missing
	}
	found := map[string]bool{}
	var picked []container
	for _, c := range containers(spec, "initContainers") {
		if c.lifetime() {
			continue
		}
		for _, p := range inits {
			if ok, _ := path.Match(p, c.name()); ok || p == c.name() {
				found[p] = true
				picked = append(picked, c)
				break
			}
		}
	}
	for _, p := range inits {
		if !isGlob(p) && !found[p] && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	return mergeTargets(targets, picked), missing
}

// mergeTargets joins two selections without duplicates, in pod order.
func mergeTargets(a, b []container) []container {
	seen := map[*yaml.Node]bool{}
	var out []container
	for _, c := range append(append([]container{}, a...), b...) {
		if !seen[c.node] {
			seen[c.node] = true
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y container) int {
		if x.list != y.list {
			if x.list == "initContainers" {
				return -1
			}
			return 1
		}
		return x.index - y.index
	})
	return out
}

func seqContent(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// graftedKeys is the order of the container keys podgraft may create,
// after the probes (insertProbe): a key made only of grafted items goes
// before the later ones, so that grafts give the same container in any
// order. The container's own keys do not move.
var graftedKeys = []string{"volumeMounts", "env", "envFrom"}

// ensureGrafted returns the container's list key, made where
// graftedKeys puts it when the container has none.
func ensureGrafted(c *yaml.Node, key string, rec Record) *yaml.Node {
	if n := node.Lookup(c, key); n != nil {
		return node.Ensure(c, key, yaml.SequenceNode)
	}
	later := graftedKeys[slices.Index(graftedKeys, key)+1:]
	for i := 0; i+1 < len(c.Content); i += 2 {
		if k := c.Content[i].Value; slices.Contains(later, k) && graftedOnly(c, k, rec) {
			seq := node.New(yaml.SequenceNode)
			node.Insert(c, i/2, key, seq)
			return seq
		}
	}
	return node.Ensure(c, key, yaml.SequenceNode)
}

// graftedOnly reports whether the container's list key holds only items
// that grafts added, as their records say.
func graftedOnly(c *yaml.Node, key string, rec Record) bool {
	seq := node.Lookup(c, key)
	if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) == 0 {
		return false
	}
	name := node.Str(c, "name")
	listed := map[string]bool{}
	for _, e := range rec {
		var items []string
		switch key {
		case "volumeMounts":
			items = e.Mounts
		case "env":
			items = e.Env
		case "envFrom":
			items = e.EnvFrom
		}
		for _, k := range items {
			listed[k] = true
		}
	}
	for _, el := range seq.Content {
		var k string
		switch key {
		case "volumeMounts":
			k = node.Str(el, "mountPath")
		case "env":
			k = node.Str(el, "name")
		case "envFrom":
			k = envFromKey(el)
		}
		if !listed[name+":"+k] {
			return false
		}
	}
	return true
}

// envParts fingerprints, for drift reports (pod.parts), the variables,
// envFrom sources, labels, annotations and imagePullSecrets e lists.
func (p *pod) envParts(e *Entry, byName map[string]*yaml.Node, add func(string, *yaml.Node, ...*yaml.Node)) {
	for _, k := range e.userEnv() {
		cname, name, _ := strings.Cut(k, ":")
		if env := node.Lookup(byName[cname], "env"); env != nil {
			if i := node.IndexByName(env, name); i >= 0 {
				add("env "+k, env.Content[i])
			}
		}
	}
	for _, k := range e.EnvFrom {
		cname, _, _ := strings.Cut(k, ":")
		for _, f := range seqContent(node.Lookup(byName[cname], "envFrom")) {
			if cname+":"+envFromKey(f) == k {
				add("envFrom "+k, f)
			}
		}
	}
	meta := node.Lookup(p.t.Node.YNode(), "metadata")
	for _, k := range e.Labels {
		add("label "+k, node.Value(node.Lookup(meta, "labels"), k))
	}
	for _, k := range e.Annotations {
		add("annotation "+k, node.Value(node.Lookup(meta, "annotations"), k))
	}
	secrets := node.Lookup(node.Lookup(p.t.Node.YNode(), "spec"), "imagePullSecrets")
	for _, name := range e.ImagePullSecrets {
		if i := node.IndexByName(secrets, name); i >= 0 {
			add("imagePullSecret "+name, secrets.Content[i])
		}
	}
}

// listShape checks that the container's keys, where present, are lists
// (or null): podgraft appends to them.
func (p *pod) listShape(c container, keys ...string) bool {
	ok := true
	for _, key := range keys {
		if v := node.Lookup(c.node, key); v != nil && v.Kind != yaml.SequenceNode && !node.IsNull(v) {
			p.fail(p.t.Field("spec", c.field(), key), "must be a list, not a %s", node.Kind(v))
			ok = false
		}
	}
	return ok
}
