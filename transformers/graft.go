package transformers

import (
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// Config is one decoded PodGraft with what loading it found: the hash of
// its spec (with the content fromFiles read) and the content of each
// volume's files.
type Config struct {
	*v1alpha1.PodGraft
	Hash  string
	Files map[string]map[string][]byte // volume name -> file name -> content
}

// Graft is one compiled PodGraft. Apply grafts it onto one resource; it
// also runs as a kio.Filter.
type Graft struct {
	Name string
	hash string
	spec *v1alpha1.Spec
	// remove takes out what the graft added; check reports what a run
	// would change instead of changing it.
	remove, check bool
	// namespace is where a resource without metadata.namespace lands.
	namespace string
	selector  Selector
	locator   Locator
	items     []item // sidecars, then init containers
	fronts    []Front
	// parts are the mounts (name included) and probe bodies the graft
	// adds, prepared once.
	mountParts map[*v1alpha1.Mount]part
	probeParts map[*v1alpha1.Probe]part
	// files backs each files/fromFiles volume with its generated resource.
	files map[string]*FileSet
	// readiness is the severity of a readiness gap; "" when off.
	readiness framework.Severity
	// release names the resources the graft generates.
	release Release
}

var _ kio.Filter = (*Graft)(nil)

// DefaultNamespace is where the API server puts a resource that names no
// namespace, and what podgraft takes it to be when not told otherwise.
const DefaultNamespace = "default"

// Compile turns a config into a Graft for mode. namespace is the
// namespace of resources that have none ("" means DefaultNamespace): the
// release namespace of helm install -n, say. podgraft never writes it into
// them.
func Compile(c Config, mode Mode, namespace string) *Graft {
	s := &c.Spec
	if namespace == "" {
		namespace = DefaultNamespace
	}
	g := &Graft{
		Name:      c.Metadata.Name,
		hash:      c.Hash,
		spec:      s,
		remove:    mode.Removes() || s.Remove,
		check:     mode.Checks(),
		namespace: namespace,
		selector: Selector{
			Graft:     c.Metadata.Name,
			Targets:   NewMatch(s.Targets),
			Exclude:   NewMatch(s.Exclude),
			HelmHooks: s.Targets.HelmHooks != nil && *s.Targets.HelmHooks,
			Namespace: namespace,
		},
		files:  map[string]*FileSet{},
		items:  compileItems(s),
		fronts: compileFronts(s),
	}
	for _, pt := range s.PodTemplates {
		g.locator.Custom = append(g.locator.Custom, TemplateKind{Group: pt.Group, Kind: pt.Kind, Path: strings.Split(pt.Path, "/")})
	}
	g.mountParts, g.probeParts = map[*v1alpha1.Mount]part{}, map[*v1alpha1.Probe]part{}
	for i := range s.Volumes {
		v := &s.Volumes[i]
		if v.GeneratesFiles() {
			g.files[v.Name] = &FileSet{Secret: v.GeneratesSecret(), Data: c.Files[v.Name]}
		}
		for j := range v.Mounts {
			mount := node.New(yaml.MappingNode)
			node.SetString(mount, "name", v.Name)
			mount.Content = append(mount.Content, node.Plain(v.Mounts[j].Node).Content...)
			g.mountParts[&v.Mounts[j]] = newPart(mount)
		}
	}
	for i := range s.Probes {
		for _, kind := range v1alpha1.ProbeKinds {
			if probe := s.Probes[i].ByKind(kind); probe != nil {
				g.probeParts[probe] = newPart(node.Plain(probe.Node))
			}
		}
	}
	switch {
	case g.remove || g.check:
		// nothing is applied, so there is no readiness to check
	case s.RequireReadinessProbe == v1alpha1.ReadinessError:
		g.readiness = framework.Error
	case s.RequireReadinessProbe == v1alpha1.ReadinessWarning:
		g.readiness = framework.Warning
	}
	return g
}

// ns is the namespace r lands in.
func (g *Graft) ns(r *yaml.RNode) string {
	if ns := r.GetNamespace(); ns != "" {
		return ns
	}
	return g.namespace
}

// unshare makes n, inside resource r, r's own place to edit (node.Unshare),
// also a StatefulSet's volumeClaimTemplates; nil when r shares nothing.
func unshare(r *yaml.RNode, n *yaml.Node) *sharing {
	root := r.YNode()
	if !node.HasSharing(root) {
		return nil
	}
	s := &sharing{root: root, saved: node.Clone(root)}
	s.shared = append(s.shared, node.Unshare(root, n))
	if vct := node.Lookup(node.Lookup(root, "spec"), "volumeClaimTemplates"); vct != nil && n != root {
		s.shared = append(s.shared, node.Unshare(root, vct))
	}
	return s
}

// sharing is what unshare did to a resource.
type sharing struct {
	root, saved *yaml.Node
	shared      []*node.Shared
}

// done ends the edits: a resource left unchanged gets its shared form
// back whole; an edited one gets back the aliases whose values the edits
// did not reach (node.Reshare).
func (s *sharing) done(changed bool) {
	if !changed {
		*s.root = *s.saved
		return
	}
	for _, sh := range s.shared {
		sh.Reshare(s.root)
	}
}

// Outcome is what grafting one resource did.
type Outcome struct {
	// Changed says the resource was changed in place.
	Changed bool
	Results framework.Results
	// Targeted says the graft targets the resource (a workload it selects
	// that does not opt out).
	Targeted bool
	uses     uses
	waiting  []waiting
}

// Failed reports whether the graft could not be applied.
func (o Outcome) Failed() bool { return HasErrors(o.Results) }

// Filter grafts every node in place. It fails with the error results, as
// a framework.Results, when the graft cannot be applied to one of them;
// other results are dropped (an Engine keeps them).
func (g *Graft) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	var failed framework.Results
	for _, r := range nodes {
		if out := g.Apply(r); out.Failed() {
			for _, res := range out.Results {
				if res.Severity == framework.Error {
					failed = append(failed, res)
				}
			}
		}
	}
	if len(failed) > 0 {
		return nil, failed
	}
	return nodes, nil
}

// Apply grafts g onto resource r, in place, and says what it did.
func (g *Graft) Apply(r *yaml.RNode) Outcome {
	tk, ok := g.locator.Kind(r)
	if !ok {
		return Outcome{}
	}
	var out Outcome
	if !g.remove {
		var skip *framework.Result
		out.Targeted, skip = g.selector.Selects(r, tk)
		if skip != nil && !g.check { // a drift report is not the place for skip warnings
			out.Results = append(out.Results, skip)
		}
	}
	tmpls, err := templates(r, tk)
	if err != nil {
		if out.Targeted {
			out.Results = append(out.Results, errorResult(err))
		}
		return out
	}
	if out.Targeted && len(tmpls) == 0 && !g.check {
		path := strings.Join(tk.Path, ".")
		out.Results = append(out.Results, newResult(framework.Warning, r, path,
			"skipped by %s: no pod template at %s, so nothing to graft", g.Name, path))
	}
	unchanged := out.Targeted
	for _, t := range tmpls {
		p, err := newPod(t)
		if err != nil {
			out.Results = append(out.Results, errorResult(err))
			continue
		}
		g.graft(p, out.Targeted)
		out.Changed = out.Changed || p.changed
		out.Results = append(out.Results, p.results...)
		out.waiting = append(out.waiting, p.waiting...)
		unchanged = unchanged && p.unchanged
	}
	// What the plan needs is read from the templates as grafted: the
	// names their volumes give the generated resources.
	out.uses = g.uses(r, tmpls, out.Targeted, unchanged, &out.Results)
	return out
}

// errorResult turns an error about a resource into an error result.
func errorResult(err error) *framework.Result {
	if e, ok := err.(*Error); ok { //nolint:errorlint // podgraft's own, never wrapped here
		return e.Result()
	}
	return &framework.Result{Severity: framework.Error, Message: err.Error()}
}

// graft runs the steps on one pod template, in their order. What the
// graft's entry in the record says it added is taken out first and then
// applied again: a pod that then holds the same data as before is current,
// whatever its history, and one that differs had drifted from what the
// record says (a sidecar deleted or edited by hand) and is repaired. The
// trial runs on a copy, so that a current pod keeps its nodes, and with
// them its bytes when another graft edits the same document.
func (g *Graft) graft(p *pod, targeted bool) {
	old := p.rec[g.Name]
	if old == nil && !targeted {
		return // nothing of this graft here, and nothing to add
	}
	if old != nil && targeted && g.currentOnCopy(p, old) {
		p.unchanged = true
		if g.check {
			p.add(framework.Info, "", "graft %s is current", g.Name)
		}
		return
	}
	// Aliases and merge keys are read as the API server reads them; what
	// podgraft edits becomes this template's own first, so that no other
	// container or workload changes with it.
	if sh := unshare(p.res(), p.t.Node.YNode()); sh != nil {
		defer func() { sh.done(p.changed) }()
	}
	if targeted {
		spec, ok := p.podSpec()
		if !ok {
			return
		}
		p.spec = spec
	}
	var before snapshot
	if old != nil {
		before = p.snapshot(old, g.hash)
		p.renamed = g.renames(p, old)
		p.unapply(g.Name, old)
	}
	if targeted && !g.steps(p) {
		return
	}
	g.report(p, old, before, targeted)
}

// steps adds the graft to the pod, step by step, as a new entry of its
// record; it stops at the first step that fails.
func (g *Graft) steps(p *pod) bool {
	e := &Entry{Hash: g.hash}
	found := p.foundEmpty() // before any step edits
	p.rec[g.Name] = e
	p.entry = e
	for _, step := range []func(*Graft, *pod) bool{
		(*Graft).conflicts,
		(*Graft).containers,
		(*Graft).volumes,
		(*Graft).env,
		(*Graft).podMeta,
		(*Graft).security,
		(*Graft).probes,
		(*Graft).reach,
	} {
		if !step(g, p) {
			return false
		}
	}
	sort.Strings(e.Generated)
	e.Found = p.keepFound(found)
	return true
}

// currentOnCopy applies the graft again, as graft does, to a copy of the
// workload, and reports whether the workload as it is already holds
// everything that gives (the record aside): what the API server or another
// tool added (defaults, a container) does not count, a value the graft
// sets that differs does. The workload itself is not touched.
func (g *Graft) currentOnCopy(p *pod, old *Entry) bool {
	root := p.res().YNode()
	if old.stale(g.hash, node.Lookup(p.t.Node.YNode(), "spec")) != "" {
		return false
	}
	wasRec := canonicalRecord(p.rec)
	copyRoot, copyTmpl := node.CloneFind(root, p.t.Node.YNode())
	res := yaml.NewRNode(copyRoot)
	trial, err := newPod(Template{Resource: res, Node: yaml.NewRNode(copyTmpl), Path: p.t.Path})
	if err != nil {
		return false
	}
	pre := root
	if node.HasSharing(root) {
		// Compare with the template as the API server reads it.
		var preTmpl *yaml.Node
		pre, preTmpl = node.CloneFind(root, p.t.Node.YNode())
		node.Unshare(pre, preTmpl)
		unshare(res, copyTmpl)
	}
	spec, ok := trial.podSpec()
	if !ok {
		return false
	}
	trial.spec = spec
	trial.renamed = g.renames(trial, old)
	trial.unapply(g.Name, old)
	if !g.steps(trial) || trial.failed() {
		return false
	}
	rec := node.Lookup(node.Lookup(node.Lookup(copyTmpl, "metadata"), "annotations"), RecordAnnotation)
	return wasRec == canonicalRecord(trial.rec) && node.Covers(pre, copyRoot, rec)
}
