package transformers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// GeneratedLabel marks the ConfigMaps, Secrets and PersistentVolumeClaims
// podgraft generates; its value is the PodGraft's name. A re-run keeps the
// ones the config still produces and removes the rest.
const GeneratedLabel = "podgraft.dev/generated-by"

// FileSet is the content of a generated ConfigMap or Secret: file name to
// bytes.
type FileSet struct {
	Secret bool
	Data   map[string][]byte
}

// Kind is ConfigMap, or Secret for a secret file set.
func (fs *FileSet) Kind() string {
	if fs.Secret {
		return "Secret"
	}
	return "ConfigMap"
}

// Hash is 10 hex characters of a sha256 over the kind and the content, so
// that a content change changes the generated name and rolls the pods.
func (fs *FileSet) Hash() string {
	h := sha256.New()
	h.Write([]byte(fs.Kind()))
	var n [8]byte
	for _, k := range fs.keys() {
		binary.BigEndian.PutUint64(n[:], uint64(len(k)))
		h.Write(n[:])
		h.Write([]byte(k))
		binary.BigEndian.PutUint64(n[:], uint64(len(fs.Data[k])))
		h.Write(n[:])
		h.Write(fs.Data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
}

// Name is the generated resource's name: <graft>-<volume>-<hash>.
func (fs *FileSet) Name(graft, volume string) string {
	return graft + "-" + volume + "-" + fs.Hash()
}

func (fs *FileSet) keys() []string {
	keys := make([]string, 0, len(fs.Data))
	for k := range fs.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Resource renders the ConfigMap or Secret. A ConfigMap holds text in
// data (as a block scalar) and anything that is not UTF-8 in binaryData;
// a Secret holds base64 data, as the API server returns it.
func (fs *FileSet) Resource(graft, volume, namespace string) *yaml.RNode {
	r := generatedResource(fs.Kind(), fs.Name(graft, volume), namespace, graft)
	if fs.Secret {
		setString(r.YNode(), "type", "Opaque")
	}
	data, binaryData := newNode(yaml.MappingNode), newNode(yaml.MappingNode)
	for _, k := range fs.keys() {
		v := fs.Data[k]
		switch {
		case fs.Secret:
			setString(data, k, base64.StdEncoding.EncodeToString(v))
		case utf8.Valid(v):
			setString(data, k, string(v))
			if bytes.IndexByte(v, '\n') >= 0 {
				lookup(data, k).Style = yaml.LiteralStyle
			}
		default:
			setString(binaryData, k, base64.StdEncoding.EncodeToString(v))
		}
	}
	if len(data.Content) > 0 {
		setNode(r.YNode(), "data", data)
	}
	if len(binaryData.Content) > 0 {
		setNode(r.YNode(), "binaryData", binaryData)
	}
	return r
}

// resource renders the claim as a PersistentVolumeClaim.
func (c *Claim) resource(graft, name, namespace string) *yaml.RNode {
	r := generatedResource("PersistentVolumeClaim", name, namespace, graft)
	setNode(r.YNode(), "spec", c.spec())
	return r
}

func generatedResource(kind, name, namespace, graft string) *yaml.RNode {
	n := newNode(yaml.MappingNode)
	setString(n, "apiVersion", "v1")
	setString(n, "kind", kind)
	meta := ensure(n, "metadata", yaml.MappingNode)
	setString(meta, "name", name)
	if namespace != "" {
		setString(meta, "namespace", namespace)
	}
	setString(ensure(meta, "labels", yaml.MappingNode), GeneratedLabel, graft)
	return yaml.NewRNode(n)
}

// Plan is the part of one PodGraft that spans documents: the ConfigMaps,
// Secrets and PersistentVolumeClaims it generates per namespace, and the
// Services its sidecars front. Its Collect filter runs on every document
// before Reconcile and notes what the targeted workloads need, also for
// workloads whose record is current; Finish runs once at the end over the
// held documents (Services, PersistentVolumeClaims, generated resources).
type Plan struct {
	Graft string
	// Remove takes out what the graft generated and re-pointed.
	Remove bool
	// Check reports, as error results, what Finish changes (the drift
	// report of --check); the caller discards the documents.
	Check   bool
	Select  Select
	Volumes []GraftVolume
	Fronts  []Front
	Results *Results
	Touched *Touched

	namespaces []string // namespaces of targeted workloads, first seen first
	seenNS     map[string]bool
	pods       map[string][]podInfo // by namespace
	rank       map[string]int       // generated resource key -> its place in desired
}

// Outcome is what the plans' Finish did to the held documents.
type Outcome struct {
	// Drop holds the documents to leave out of the output.
	Drop map[*yaml.RNode]bool
	// Added are the generated resources to append, in order.
	Added []*yaml.RNode
}

// Generates reports whether the plan generates resources.
func (p *Plan) Generates() bool {
	for _, v := range p.Volumes {
		if v.Files != nil || v.Claim != nil && !v.Claim.PerReplica {
			return true
		}
	}
	return false
}

// Claims reports whether the plan may generate PersistentVolumeClaims.
func (p *Plan) Claims() bool {
	for _, v := range p.Volumes {
		if v.Claim != nil && !v.Claim.PerReplica {
			return true
		}
	}
	return false
}

// Collect is the filter that notes, for Finish, what the workloads among
// nodes need. It returns nodes unchanged.
func (p *Plan) Collect() kio.Filter { return collect{p} }

type collect struct{ p *Plan }

func (c collect) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	p := c.p
	generates, fronts := p.Generates(), len(p.Fronts) > 0
	if p.Remove || !generates && !fronts {
		return nodes, nil
	}
	sel := p.Select
	sel.Results = nil // Select reports its skips in Reconcile
	for _, r := range nodes {
		if _, ok := sel.Locator.Kind(r); !ok {
			continue
		}
		targeted := sel.selected(r)
		if targeted && generates && hasTemplate(sel.Locator, r) {
			ns := r.GetNamespace()
			if p.seenNS == nil {
				p.seenNS = map[string]bool{}
			}
			if !p.seenNS[ns] {
				p.seenNS[ns] = true
				p.namespaces = append(p.namespaces, ns)
			}
		}
		if fronts {
			p.collectPods(r, targeted)
		}
	}
	return nodes, nil
}

// hasTemplate reports whether r has a pod template to graft: a workload
// without one (a Rollout with workloadRef, say) needs no generated files.
func hasTemplate(l Locator, r *yaml.RNode) bool {
	tmpls, err := l.Templates(r)
	return err == nil && len(tmpls) > 0
}

// Finish reconciles the held documents with what the graft needs: it
// keeps generated resources the config still produces (as they are, in
// place), drops the ones it no longer produces, appends the missing ones
// to out.Added, and re-points or restores Services.
func (p *Plan) Finish(held []*yaml.RNode, out *Outcome) {
	p.finishGenerated(held, out)
	p.finishFronts(held)
}

type generatedItem struct {
	key    string // Kind/namespace/name
	node   *yaml.RNode
	volume string
}

func resourceKey(r *yaml.RNode) string {
	return r.GetKind() + "/" + r.GetNamespace() + "/" + r.GetName()
}

// desired lists what the graft generates, volume by volume, namespace by
// namespace in the order workloads came.
func (p *Plan) desired() []generatedItem {
	if p.Remove {
		return nil
	}
	var out []generatedItem
	for _, v := range p.Volumes {
		for _, ns := range p.namespaces {
			var r *yaml.RNode
			switch {
			case v.Files != nil:
				r = v.Files.Resource(p.Graft, v.Name, ns)
			case v.Claim != nil && !v.Claim.PerReplica:
				r = v.Claim.resource(p.Graft, claimName(v), ns)
			default:
				continue
			}
			out = append(out, generatedItem{key: resourceKey(r), node: r, volume: v.Name})
		}
	}
	return out
}

func (p *Plan) finishGenerated(held []*yaml.RNode, out *Outcome) {
	want := p.desired()
	index := map[string]int{}
	for i, w := range want {
		index[w.key] = i
	}
	p.rank = index
	have := map[string]bool{}
	foreign := map[string]bool{} // PVCs the input has that this graft did not generate
	for _, r := range held {
		if out.Drop[r] {
			continue
		}
		owner := r.GetLabels()[GeneratedLabel]
		if owner != p.Graft {
			if r.GetKind() == "PersistentVolumeClaim" {
				foreign[resourceKey(r)] = true
			}
			continue
		}
		key := resourceKey(r)
		if i, ok := index[key]; ok && !have[key] {
			have[key] = true
			if syncGenerated(r, want[i].node) {
				p.Touched.Add(r)
				p.report(r, "", "updated by %s for volume %q", "is out of date: graft %s generates it otherwise for volume %q", p.Graft, want[i].volume)
			}
			continue
		}
		out.Drop[r] = true
		if p.Remove {
			p.report(r, "", "removed: generated by %s, which is being removed", "is still present: generated by %s, which is being removed", p.Graft)
		} else {
			p.report(r, "", "removed: generated by %s, which no longer produces it", "is stale: generated by %s, which no longer produces it", p.Graft)
		}
	}
	for _, w := range want {
		switch {
		case have[w.key]:
		case foreign[w.key]:
			p.Results.Add(framework.Info, w.node, "", "%s uses it for volume %q; the input has it, so it is left as it is", p.Graft, w.volume)
		default:
			have[w.key] = true
			out.Added = append(out.Added, w.node)
			p.report(w.node, "", "generated by %s for volume %q", "is missing: graft %s generates it for volume %q", p.Graft, w.volume)
		}
	}
}

// syncGenerated makes a held generated resource match what the graft
// generates now (everything but metadata, plus the label) and reports
// whether it changed anything. Identical resources stay byte for byte.
func syncGenerated(have, want *yaml.RNode) bool {
	h, w := have.YNode(), want.YNode()
	changed := false
	for i := 0; i+1 < len(w.Content); i += 2 {
		k := w.Content[i].Value
		if k == "metadata" || k == "apiVersion" || k == "kind" {
			continue
		}
		if cur := lookup(h, k); cur == nil || !sameVolume(cur, w.Content[i+1]) {
			setNode(h, k, w.Content[i+1])
			changed = true
		}
	}
	for i := 0; i+1 < len(h.Content); {
		k := h.Content[i].Value
		if k != "metadata" && k != "apiVersion" && k != "kind" && lookup(w, k) == nil {
			h.Content = append(h.Content[:i:i], h.Content[i+2:]...)
			changed = true
			continue
		}
		i += 2
	}
	return changed
}

// Rank is where r comes among the resources the plan generates, for
// ordering them canonically; ok is false when the plan does not generate r.
func (p *Plan) Rank(r *yaml.RNode) (rank int, ok bool) {
	if r.GetLabels()[GeneratedLabel] != p.Graft {
		return 0, false
	}
	rank, ok = p.rank[resourceKey(r)]
	return rank, ok
}

// report adds an info result saying what Finish changed or, in a drift
// report, an error result saying what is not as the graft would leave it.
func (p *Plan) report(r *yaml.RNode, field, done, drift string, args ...any) {
	if p.Check {
		p.Results.Add(framework.Error, r, field, drift, args...)
		return
	}
	p.Results.Add(framework.Info, r, field, done, args...)
}
