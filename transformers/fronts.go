package transformers

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
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
	// SidecarPorts are the sidecar's named ports, so that a Service that
	// already targets one resolves before the sidecar is in the pod.
	SidecarPorts map[string]int32
}

// ServiceEntry is what one PodGraft changed on a Service: the original
// targetPort of every port it re-pointed, keyed by the port's name (its
// number when unnamed). A nil value means the port had no targetPort.
type ServiceEntry struct {
	TargetPorts map[string]*intstr.IntOrString `json:"targetPorts"`
}

// podInfo is what fronting needs to know about one pod template.
type podInfo struct {
	// id, not the node: holding the node would keep every workload of the
	// stream in memory until the end.
	id        *yaml.ResourceIdentifier
	namespace string
	labels    labels.Set
	targeted  bool
	named     map[string]int32 // every container's named ports
	app       map[string]int32 // the app containers' named ports
}

func (p *Plan) collectPods(r *yaml.RNode, targeted bool) {
	tmpls, err := p.Select.Locator.Templates(r)
	if err != nil {
		return // Reconcile reports it when the workload is targeted
	}
	for _, t := range tmpls {
		info := podInfo{id: Ref(r), namespace: r.GetNamespace(), labels: labels.Set(t.Node.GetLabels()), targeted: targeted,
			named: map[string]int32{}, app: map[string]int32{}}
		spec := lookup(t.Node.YNode(), "spec")
		for _, list := range []string{"initContainers", "containers"} {
			seq := lookup(spec, list)
			if seq == nil {
				continue
			}
			for _, c := range seq.Content {
				ports := lookup(c, "ports")
				if ports == nil {
					continue
				}
				for _, port := range ports.Content {
					name := str(port, "name")
					num, err := strconv.ParseInt(str(port, "containerPort"), 10, 32)
					if name == "" || err != nil {
						continue
					}
					info.named[name] = int32(num)
					if list == "containers" {
						info.app[name] = int32(num)
					}
				}
			}
		}
		if targeted {
			for _, f := range p.Fronts {
				for name, num := range f.SidecarPorts {
					if _, ok := info.named[name]; !ok {
						info.named[name] = num
					}
				}
				if f.Port.Type == intstr.String {
					if _, ok := info.app[f.Port.StrVal]; !ok {
						p.Results.Add(framework.Warning, r, t.Field("spec", "containers"),
							"%s: sidecar %q fronts port %q, but no app container declares a port of that name; only Services that target it by that name are re-pointed",
							p.Graft, f.Sidecar, f.Port.StrVal)
					}
				}
			}
		}
		if p.pods == nil {
			p.pods = map[string][]podInfo{}
		}
		p.pods[info.namespace] = append(p.pods[info.namespace], info)
	}
}

// finishFronts re-points the held Services that front targeted pods, and
// restores the ones this graft re-pointed that no longer should be.
func (p *Plan) finishFronts(held []*yaml.RNode) {
	for _, svc := range held {
		if svc.GetKind() != "Service" || svc.GetApiVersion() != "v1" {
			continue
		}
		p.frontService(svc)
	}
}

func (p *Plan) frontService(svc *yaml.RNode) {
	rec, err := loadServiceRecord(svc)
	if err != nil {
		p.Results.Add(framework.Warning, svc, "metadata.annotations", "%v; left as it is", err)
		return
	}
	entry := rec[p.Graft]
	if entry == nil && (p.Remove || len(p.Fronts) == 0) {
		return
	}
	if entry == nil {
		entry = &ServiceEntry{}
	}
	if entry.TargetPorts == nil {
		entry.TargetPorts = map[string]*intstr.IntOrString{}
	}
	var targeted, others []podInfo
	if !p.Remove {
		targeted, others = p.selectedPods(svc)
	}
	spec := lookup(svc.YNode(), "spec")
	ports := lookup(spec, "ports")
	changed := false
	seen := map[string]bool{}
	if ports != nil && ports.Kind == yaml.SequenceNode {
		for i, port := range ports.Content {
			key := str(port, "name")
			if key == "" {
				key = str(port, "port")
			}
			seen[key] = true
			field := "spec.ports[" + strconv.Itoa(i) + "].targetPort"
			orig, recorded := entry.TargetPorts[key]
			if !recorded {
				orig = targetPortOf(port)
			}
			var via *intstr.IntOrString
			if len(targeted) > 0 {
				via = p.frontFor(svc, field, effectivePort(orig, port), targeted, others)
			}
			switch {
			case via != nil:
				if !recorded {
					entry.TargetPorts[key] = orig
				}
				if cur := targetPortOf(port); cur == nil || *cur != *via {
					setTargetPort(port, via)
					changed = true
					p.report(svc, field, "re-pointed by %s from %s to %s: the sidecar fronts the app",
						"is not re-pointed: graft %s sends it from %s to %s, the sidecar that fronts the app", p.Graft, describePort(orig, port), via.String())
				}
			case recorded:
				setTargetPort(port, orig)
				delete(entry.TargetPorts, key)
				changed = true
				p.report(svc, field, "restored to %s: %s no longer fronts it", "is still re-pointed: restore it to %s, since %s no longer fronts it", describePort(orig, port), p.Graft)
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
		if _, had := rec[p.Graft]; had {
			delete(rec, p.Graft)
			changed = true
		}
	} else {
		if _, had := rec[p.Graft]; !had {
			changed = true
		}
		rec[p.Graft] = entry
	}
	if changed {
		rec.save(svc)
		p.Touched.Add(svc)
	}
}

// selectedPods returns the pods in the Service's namespace that its
// selector matches: the ones the graft targets and the others.
func (p *Plan) selectedPods(svc *yaml.RNode) (targeted, others []podInfo) {
	selector := lookup(lookup(svc.YNode(), "spec"), "selector")
	if selector == nil || selector.Kind != yaml.MappingNode || len(selector.Content) == 0 {
		return nil, nil // a Service without a selector has no pods to front
	}
	set := labels.Set{}
	for i := 0; i+1 < len(selector.Content); i += 2 {
		set[selector.Content[i].Value] = selector.Content[i+1].Value
	}
	sel := labels.SelectorFromSet(set)
	for _, pod := range p.pods[svc.GetNamespace()] {
		if !sel.Matches(pod.labels) {
			continue
		}
		if pod.targeted {
			targeted = append(targeted, pod)
		} else {
			others = append(others, pod)
		}
	}
	return targeted, others
}

// frontFor returns the Via port of the sidecar that fronts the Service
// port whose effective target is target, or nil.
func (p *Plan) frontFor(svc *yaml.RNode, field string, target intstr.IntOrString, targeted, others []podInfo) *intstr.IntOrString {
	for _, f := range p.Fronts {
		matched, unresolved := false, []string{}
		for _, pod := range targeted {
			m, ok := f.matches(target, pod)
			if !ok {
				unresolved = append(unresolved, DescribeRef(pod.id))
			}
			matched = matched || m
		}
		if !matched {
			if len(unresolved) == len(targeted) && len(unresolved) > 0 {
				p.Results.Add(framework.Warning, svc, field,
					"%s cannot tell whether this port targets %s: no container of %s declares a port named %q; not re-pointed",
					p.Graft, describeTarget(f.Port), strings.Join(unresolved, ", "), target.StrVal)
				return nil
			}
			continue
		}
		if len(others) > 0 {
			names := make([]string, 0, len(others))
			for _, o := range others {
				names = append(names, DescribeRef(o.id))
			}
			sort.Strings(names)
			p.Results.Add(framework.Warning, svc, field,
				"not re-pointed to sidecar %q: the Service also selects %s, which %s does not graft, so the sidecar port would not exist there",
				f.Sidecar, strings.Join(names, ", "), p.Graft)
			return nil
		}
		via := f.Via
		return &via
	}
	return nil
}

// matches reports whether the Service target resolves to the fronted app
// port in pod; ok is false when a named target resolves to no container
// port.
func (f Front) matches(target intstr.IntOrString, pod podInfo) (match, ok bool) {
	if target.Type == intstr.Int {
		if f.Port.Type == intstr.Int {
			return target.IntVal == f.Port.IntVal, true
		}
		num, declared := pod.app[f.Port.StrVal]
		return declared && num == target.IntVal, true
	}
	if f.Port.Type == intstr.String && target.StrVal == f.Port.StrVal {
		return true, true
	}
	num, declared := pod.named[target.StrVal]
	if !declared {
		return false, false
	}
	if f.Port.Type == intstr.Int {
		return num == f.Port.IntVal, true
	}
	app, declared := pod.app[f.Port.StrVal]
	return declared && app == num, true
}

// targetPortOf reads a Service port's targetPort; nil when it has none.
func targetPortOf(port *yaml.Node) *intstr.IntOrString {
	v := lookup(port, "targetPort")
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
	n, _ := strconv.ParseInt(str(port, "port"), 0, 32)
	return intstr.FromInt32(int32(n))
}

// setTargetPort writes v into the port; nil takes targetPort out.
func setTargetPort(port *yaml.Node, v *intstr.IntOrString) {
	if v == nil {
		remove(port, "targetPort")
		return
	}
	if v.Type == intstr.Int {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(int(v.IntVal))}
		if cur := lookup(port, "targetPort"); cur != nil {
			*cur = *n
			return
		}
		setNode(port, "targetPort", n)
		return
	}
	setString(port, "targetPort", v.StrVal)
}

func describePort(v *intstr.IntOrString, port *yaml.Node) string {
	if v == nil {
		return "unset (port " + str(port, "port") + ")"
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
	v := lookup(lookup(lookup(svc.YNode(), "metadata"), "annotations"), RecordAnnotation)
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
func (rec serviceRecord) save(svc *yaml.RNode) {
	meta := lookup(svc.YNode(), "metadata")
	if meta == nil {
		return
	}
	if len(rec) == 0 {
		remove(lookup(meta, "annotations"), RecordAnnotation)
		removeIfEmpty(meta, "annotations")
		return
	}
	b, _ := json.Marshal(rec) // maps of plain values always marshal
	annos := ensure(meta, "annotations", yaml.MappingNode)
	setRecord(annos, string(b))
}
