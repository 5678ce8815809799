package transformers

import (
	"bytes"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Passage is what a run needs of a resource, judged from its header.
type Passage int

const (
	// Read: parse it whole and graft it.
	Read Passage = iota
	// Pass: nothing needs it; it goes through unread.
	Pass
	// PassUnlessFronted: it goes through unread, but a fronting sidecar
	// may need its pods at the end of the input (NoteUnread).
	PassUnlessFronted
)

// Passes says what a run needs of a resource, judged from head, a mapping
// that holds only its apiVersion, kind and metadata: whether any graft
// targets it, holds it for the end of the input, or notes anything of it.
// It is for a caller that reads only that much of most documents
// (standalone mode, where full parsing is most of the cost).
//
// The caller must have made sure of what head cannot show: that the
// resource names nothing of podgraft's (its text holds no
// "podgraft.dev": records, opt-outs and generated resources are read)
// and, when mounts says true, that it may mount a ConfigMap, Secret or
// claim (a generated resource a workload still mounts is never dropped,
// so every workload's mounts are noted).
func (e *Engine) Passes(head *yaml.RNode, mounts bool) Passage {
	if IsList(head) || e.Holds(head) {
		return Read
	}
	out := Pass
	for _, g := range e.grafts {
		tk, ok := g.locator.Kind(head)
		if !ok {
			continue // not a workload of this graft: Apply leaves it
		}
		if mounts {
			return Read
		}
		if g.remove {
			continue // removal reads only records
		}
		if targeted, skip := g.selector.Selects(head, tk); targeted || skip != nil {
			return Read
		}
		if len(g.fronts) > 0 {
			out = PassUnlessFronted
		}
	}
	return out
}

// NoteUnread keeps a workload that Passes let through unless fronted: a
// Service that selects pods a graft fronts must also know the other pods
// it selects. At the end of the input, such a Service reads with load the
// unread workloads of its namespace whose text holds every label of its
// selector. text must stay as it is until then.
func (e *Engine) NoteUnread(head *yaml.RNode, text []byte, load func() (*yaml.RNode, error)) {
	for i, g := range e.grafts {
		if _, ok := g.locator.Kind(head); !ok || len(g.fronts) == 0 || g.remove {
			continue
		}
		p := e.plans[i]
		if p.unread == nil {
			p.unread = map[string][]unreadPod{}
		}
		ns := g.ns(head)
		p.unread[ns] = append(p.unread[ns], unreadPod{text: text, load: load})
	}
}

// unreadPod is a workload noted unread, for fronting.
type unreadPod struct {
	text []byte
	load func() (*yaml.RNode, error)
}

// readUnread reads the unread workloads of namespace ns that may carry
// every label of set, and notes their pods; it reports whether it read
// any.
func (p *Plan) readUnread(ns string, set labels.Set) bool {
	list := p.unread[ns]
	if len(list) == 0 {
		return false
	}
	kept, read := list[:0], false
	for _, u := range list {
		if !mentions(u.text, set) {
			kept = append(kept, u)
			continue
		}
		read = true
		r, err := u.load()
		if err != nil || r == nil {
			continue // unread, it goes out as it came
		}
		tk, ok := p.g.locator.Kind(r)
		if !ok {
			continue
		}
		tmpls, err := templates(r, tk)
		if err != nil {
			continue
		}
		var results framework.Results // only a targeted workload has any
		p.note(p.g.uses(r, tmpls, false, false, &results))
	}
	clear(list[len(kept):]) // let the read ones go
	p.unread[ns] = kept
	return read
}

// mentions reports whether text may carry every label of set: it holds
// each key and value, or an escape that could spell one.
func mentions(text []byte, set labels.Set) bool {
	if bytes.IndexByte(text, '\\') >= 0 {
		return true
	}
	for k, v := range set {
		if !bytes.Contains(text, []byte(k)) || !bytes.Contains(text, []byte(v)) {
			return false
		}
	}
	return true
}
