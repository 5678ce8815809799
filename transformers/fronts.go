package transformers

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// Front is a sidecar that fronts an app port: Services in the workload's
// namespace whose selector matches the pod template's labels and whose
// targetPort is that app port are re-pointed to the sidecar's Via port, so
// that all inbound traffic passes the sidecar. Probes are not touched:
// kubelet keeps probing the app directly.
type Front struct {
	Sidecar string
	// Port is the app port, by name or number.
	Port intstr.IntOrString
	// Via is the sidecar's own port, by name or number.
	Via intstr.IntOrString
	// ViaProtocol is the protocol of the Via port (TCP by default): only
	// Service ports of that protocol can be sent to it.
	ViaProtocol string
	// SidecarPorts are the sidecar's named ports, so that a Service that
	// already targets one resolves before the sidecar is in the pod.
	SidecarPorts map[string]portRef
}

// portRef is a container port: its number and protocol.
type portRef struct {
	num   int32
	proto string
}

// ServiceEntry is what one PodGraft changed on a Service: the original
// targetPort of every port it re-pointed, keyed by the port's name (its
// number when unnamed). A nil value means the port had no targetPort.
type ServiceEntry struct {
	TargetPorts map[string]*intstr.IntOrString `json:"targetPorts"`
	// Found is as in Entry: the Service's annotations, as written, when
	// they were empty or null before a graft's record went in.
	Found map[string]string `json:"found,omitempty"`
}

// podInfo is what fronting needs to know about one pod template.
type podInfo struct {
	// id, not the node: holding the node would keep every workload of the
	// stream in memory until the end.
	id        *yaml.ResourceIdentifier
	namespace string
	labels    labels.Set
	targeted  bool
	unchanged bool               // the graft's record on it is current
	named     map[string]portRef // every container's named ports
	app       map[string]portRef // the app containers' named ports
}

// uses notes what workload r needs of the graft's plan: the namespace of
// its generated resources, and its pods for fronting. Warnings about the
// fronted ports go to results.
func (g *Graft) uses(r *yaml.RNode, tmpls []Template, targeted, unchanged bool, results *framework.Results) uses {
	u := uses{namespace: g.ns(r), written: r.GetNamespace()}
	u.mounts = mountedResources(tmpls, u.namespace)
	if g.remove {
		return u
	}
	if targeted && len(tmpls) > 0 && g.generates() {
		u.generates = true
		u.refs = g.generatedRefs(r, tmpls, unchanged)
	}
	if len(g.fronts) == 0 {
		return u
	}
	for _, t := range tmpls {
		info := podInfo{id: Ref(r), namespace: g.ns(r), labels: labels.Set(metaMap(t.Node, "labels")), targeted: targeted, unchanged: unchanged,
			named: map[string]portRef{}, app: map[string]portRef{}}
		spec := node.Lookup(t.Node.YNode(), "spec")
		for _, c := range allContainers(spec) {
			ports := node.Lookup(c.node, "ports")
			if ports == nil {
				continue
			}
			for _, port := range ports.Content {
				name := node.Str(port, "name")
				num, err := strconv.ParseInt(node.Str(port, "containerPort"), 10, 32)
				if name == "" || err != nil {
					continue
				}
				ref := portRef{num: int32(num), proto: protocol(port)}
				info.named[name] = ref
				if c.list == "containers" {
					info.app[name] = ref
				}
			}
		}
		if targeted {
			for _, f := range g.fronts {
				for name, num := range f.SidecarPorts {
					if _, ok := info.named[name]; !ok {
						info.named[name] = num
					}
				}
				if f.Port.Type == intstr.String {
					if _, ok := info.app[f.Port.StrVal]; !ok {
						*results = append(*results, newResult(framework.Warning, r, t.Field("spec", "containers"),
							"%s: sidecar %q fronts port %q, but no app container declares a port of that name; only Services that target it by that name are re-pointed",
							g.Name, f.Sidecar, f.Port.StrVal))
					}
				}
			}
		}
		u.pods = append(u.pods, info)
	}
	return u
}

// compileFronts lists the sidecars that front an app port.
func compileFronts(s *v1alpha1.Spec) []Front {
	var out []Front
	for _, sc := range s.Sidecars {
		if sc.Fronts == nil {
			continue
		}
		f := Front{Sidecar: sc.Name, Port: sc.Fronts.Port, Via: sc.Fronts.Via, ViaProtocol: "TCP", SidecarPorts: map[string]portRef{}}
		for _, p := range sc.Ports {
			proto := string(p.Protocol)
			if proto == "" {
				proto = "TCP"
			}
			if p.Name != "" {
				f.SidecarPorts[p.Name] = portRef{num: p.ContainerPort, proto: proto}
			}
			if p.Name == f.Via.StrVal && f.Via.Type == intstr.String || f.Via.Type == intstr.Int && p.ContainerPort == f.Via.IntVal {
				f.ViaProtocol = proto
			}
		}
		out = append(out, f)
	}
	return out
}

// finishFronts re-points the held Services that front targeted pods, and
// restores the ones this graft re-pointed that no longer should be.
func (p *Plan) finishFronts(held []*yaml.RNode, out *Finished) {
	services := map[string]bool{} // namespaces with a Service in the input
	for _, svc := range held {
		if svc.GetKind() != "Service" || svc.GetApiVersion() != "v1" {
			continue
		}
		services[p.g.ns(svc)] = true
		p.frontService(svc, out)
	}
	p.warnHiddenServices(services, out)
}

// warnHiddenServices warns about the fronted workloads whose record is
// current in a namespace the input has no Service of: a kpt selector
// (--match-kind Deployment) hides the Services, which then are not
// re-pointed, and would otherwise say nothing.
func (p *Plan) warnHiddenServices(services map[string]bool, out *Finished) {
	if len(p.g.fronts) == 0 || p.g.remove {
		return
	}
	warned := map[string]bool{}
	for _, ns := range slices.Sorted(maps.Keys(p.pods)) {
		if services[ns] {
			continue
		}
		for _, pod := range p.pods[ns] {
			id := DescribeRef(pod.id)
			if !pod.targeted || !pod.unchanged || warned[id] {
				continue
			}
			warned[id] = true
			out.Results = append(out.Results, &framework.Result{Severity: framework.Warning, ResourceRef: pod.id,
				Message: fmt.Sprintf("%s: the input holds no Service in namespace %s, so none that selects these pods is re-pointed to the sidecar that fronts them: filtered out by a selector (kpt fn eval --match-kind, a pipeline step's selectors)? Run podgraft over the whole package", p.g.Name, ns)})
		}
	}
}

func (p *Plan) frontService(svc *yaml.RNode, out *Finished) {
	g := p.g
	if sh := unshare(svc, svc.YNode()); sh != nil {
		defer func() { sh.done(out.Changed[svc]) }()
	}
	rec, err := loadServiceRecord(svc)
	if err != nil {
		out.Results = append(out.Results, newResult(framework.Warning, svc, "metadata.annotations", "%v; left as it is", err))
		return
	}
	entry := rec[g.Name]
	if entry == nil && (g.remove || len(g.fronts) == 0) {
		return
	}
	if entry == nil {
		entry = &ServiceEntry{}
	}
	found := serviceFound(svc, rec) // before any edit
	if entry.TargetPorts == nil {
		entry.TargetPorts = map[string]*intstr.IntOrString{}
	}
	var targeted, others []podInfo
	if !g.remove {
		targeted, others = p.selectedPods(svc)
	}
	spec := node.Lookup(svc.YNode(), "spec")
	ports := node.Lookup(spec, "ports")
	changed := false
	seen := map[string]bool{}
	if ports != nil && ports.Kind == yaml.SequenceNode {
		for i, port := range ports.Content {
			key := node.Str(port, "name")
			if key == "" {
				key = node.Str(port, "port")
			}
			seen[key] = true
			field := "spec.ports[" + strconv.Itoa(i) + "].targetPort"
			orig, recorded := entry.TargetPorts[key]
			if !recorded {
				orig = targetPortOf(port)
			}
			var via *intstr.IntOrString
			if len(targeted) > 0 {
				via = p.frontFor(svc, field, effectivePort(orig, port), protocol(port), targeted, others, out)
			}
			switch {
			case via != nil:
				if !recorded {
					entry.TargetPorts[key] = orig
				}
				if cur := targetPortOf(port); cur == nil || *cur != *via {
					setTargetPort(port, via)
					changed = true
					p.reportField(out, svc, field, "re-pointed by %s from %s to %s: the sidecar fronts the app",
						"is not re-pointed: graft %s sends it from %s to %s, the sidecar that fronts the app", g.Name, describePort(orig, port), via.String())
				}
			case recorded:
				setTargetPort(port, orig)
				delete(entry.TargetPorts, key)
				changed = true
				p.reportField(out, svc, field, "restored to %s: %s no longer fronts it", "is still re-pointed: restore it to %s, since %s no longer fronts it", describePort(orig, port), g.Name)
			}
		}
	}
	for key := range entry.TargetPorts {
		if !seen[key] { // the port is gone from the Service
			delete(entry.TargetPorts, key)
			changed = true
		}
	}
	if len(entry.TargetPorts) == 0 {
		if _, had := rec[g.Name]; had {
			delete(rec, g.Name)
			changed = true
		}
	} else {
		if _, had := rec[g.Name]; !had {
			changed = true
		}
		entry.Found = found
		rec[g.Name] = entry
	}
	if changed {
		rec.save(svc, found)
		out.Changed[svc] = true
	}
}

// selectedPods returns the pods in the Service's namespace that its
// selector matches: the ones the graft targets and the others.
func (p *Plan) selectedPods(svc *yaml.RNode) (targeted, others []podInfo) {
	selector := node.Lookup(node.Lookup(svc.YNode(), "spec"), "selector")
	if selector == nil || selector.Kind != yaml.MappingNode || len(selector.Content) == 0 {
		return nil, nil // a Service without a selector has no pods to front
	}
	set := labels.Set{}
	for _, k := range node.Keys(selector) {
		set[k] = node.Scalar(node.Lookup(selector, k))
	}
	sel := labels.SelectorFromSet(set)
	// Only the pods that carry the selector's rarest label can match.
	ns := p.g.ns(svc)
	var candidates []int
	first := true
	for k, v := range set {
		if c := p.byLabel[ns][k+"="+v]; first || len(c) < len(candidates) {
			candidates, first = c, false
		}
	}
	for _, i := range candidates {
		pod := p.pods[ns][i]
		if !sel.Matches(pod.labels) {
			continue
		}
		if pod.targeted {
			targeted = append(targeted, pod)
		} else {
			others = append(others, pod)
		}
	}
	if len(targeted) > 0 && p.readUnread(ns, set) {
		return p.selectedPods(svc) // with the pods just read
	}
	return targeted, others
}

// frontFor returns the Via port of the sidecar that fronts the Service
// port whose effective target is target, or nil.
func (p *Plan) frontFor(svc *yaml.RNode, field string, target intstr.IntOrString, proto string, targeted, others []podInfo, out *Finished) *intstr.IntOrString {
	for _, f := range p.g.fronts {
		matched, unresolved := false, []string{}
		for _, pod := range targeted {
			m, ok := f.matches(target, proto, pod)
			if !ok {
				unresolved = append(unresolved, DescribeRef(pod.id))
			}
			matched = matched || m
		}
		if !matched {
			if len(unresolved) == len(targeted) && len(unresolved) > 0 {
				out.Results = append(out.Results, newResult(framework.Warning, svc, field,
					"%s cannot tell whether this port targets %s: no container of %s declares a port named %q; not re-pointed",
					p.g.Name, describeTarget(f.Port), strings.Join(unresolved, ", "), target.StrVal))
				return nil
			}
			continue
		}
		if proto != f.ViaProtocol {
			// Kubernetes sends a Service port only to a container port of
			// its own protocol.
			out.Results = append(out.Results, newResult(framework.Warning, svc, field,
				"not re-pointed to sidecar %q: this Service port is %s, but the sidecar's port %s is %s; front it with a %s port",
				f.Sidecar, proto, f.Via.String(), f.ViaProtocol, proto))
			return nil
		}
		if len(others) > 0 {
			names := make([]string, 0, len(others))
			for _, o := range others {
				names = append(names, DescribeRef(o.id))
			}
			sort.Strings(names)
			out.Results = append(out.Results, newResult(framework.Warning, svc, field,
				"not re-pointed to sidecar %q: the Service also selects %s, which %s does not graft, so the sidecar port would not exist there",
				f.Sidecar, strings.Join(names, ", "), p.g.Name))
			return nil
		}
		via := f.Via
		return &via
	}
	return nil
}

// matches reports whether a Service port of protocol proto whose target
// is target sends its traffic to the fronted app port in pod. Kubernetes
// resolves a target by name and protocol: a port named "dns" of another
// protocol is not this port's target. ok is false when a named target
// resolves to no container port at all.
func (f Front) matches(target intstr.IntOrString, proto string, pod podInfo) (match, ok bool) {
	resolved := portRef{num: target.IntVal, proto: proto}
	if target.Type == intstr.String {
		ref, declared := pod.named[target.StrVal]
		if !declared {
			// Not declared by any container: a Service that targets the
			// fronted name is taken at its word.
			return f.Port.Type == intstr.String && target.StrVal == f.Port.StrVal, f.Port.Type == intstr.String && target.StrVal == f.Port.StrVal
		}
		if ref.proto != proto {
			return false, true
		}
		resolved = ref
	}
	if f.Port.Type == intstr.Int {
		return resolved.num == f.Port.IntVal, true
	}
	app, declared := pod.app[f.Port.StrVal]
	return declared && app == resolved, true
}

// protocol is a port's protocol; TCP when unset.
func protocol(port *yaml.Node) string {
	if p := node.Str(port, "protocol"); p != "" {
		return p
	}
	return "TCP"
}

// targetPortOf reads a Service port's targetPort; nil when it has none.
func targetPortOf(port *yaml.Node) *intstr.IntOrString {
	v := node.Lookup(port, "targetPort")
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return nil
	}
	var out intstr.IntOrString
	if v.Tag == "!!int" {
		n, err := strconv.ParseInt(v.Value, 0, 32)
		if err == nil {
			out = intstr.FromInt32(int32(n))
			return &out
		}
	}
	out = intstr.FromString(v.Value)
	return &out
}

// effectivePort is where a Service port sends traffic: its targetPort, or
// its port when targetPort is unset.
func effectivePort(target *intstr.IntOrString, port *yaml.Node) intstr.IntOrString {
	if target != nil {
		return *target
	}
	n, _ := strconv.ParseInt(node.Str(port, "port"), 0, 32)
	return intstr.FromInt32(int32(n))
}

// setTargetPort writes v into the port; nil takes targetPort out.
func setTargetPort(port *yaml.Node, v *intstr.IntOrString) {
	if v == nil {
		node.Remove(port, "targetPort")
		return
	}
	if v.Type == intstr.Int {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(int(v.IntVal))}
		if cur := node.Lookup(port, "targetPort"); cur != nil {
			*cur = *n
			return
		}
		node.Set(port, "targetPort", n)
		return
	}
	node.SetString(port, "targetPort", v.StrVal)
}

func describePort(v *intstr.IntOrString, port *yaml.Node) string {
	if v == nil {
		return "unset (port " + node.Str(port, "port") + ")"
	}
	return v.String()
}

func describeTarget(v intstr.IntOrString) string {
	if v.Type == intstr.Int {
		return "port " + v.String()
	}
	return fmt.Sprintf("port %q", v.StrVal)
}

// serviceRecord is the podgraft.dev/grafts annotation of a Service.
type serviceRecord map[string]*ServiceEntry

func loadServiceRecord(svc *yaml.RNode) (serviceRecord, error) {
	v := node.Lookup(node.Lookup(node.Lookup(svc.YNode(), "metadata"), "annotations"), RecordAnnotation)
	if v == nil || v.Value == "" {
		return serviceRecord{}, nil
	}
	rec := serviceRecord{}
	if err := json.Unmarshal([]byte(v.Value), &rec); err != nil {
		return nil, fmt.Errorf("annotation %s is not a valid podgraft record: %v", RecordAnnotation, err)
	}
	return rec, nil
}

// save writes the record, or takes the annotation (and an annotations map
// left empty) out when no graft is left.
// found is what the grafts found there (ServiceEntry.Found).
func (rec serviceRecord) save(svc *yaml.RNode, found map[string]string) {
	meta := node.Lookup(svc.YNode(), "metadata")
	if meta == nil {
		return
	}
	if len(rec) == 0 {
		node.Remove(node.Lookup(meta, "annotations"), RecordAnnotation)
		removeIfEmpty(meta, "annotations", found, foundAnnotations)
		return
	}
	b, _ := json.Marshal(rec) // maps of plain values always marshal
	setRecordValue(node.Ensure(meta, "annotations", yaml.MappingNode), b)
}
