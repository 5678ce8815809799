package v1alpha1

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
	"github.com/podgraft/podgraft/internal/podspec"
)

// Default fills the documented defaults. It runs before Validate, so that
// validation sees the values that will be used.
func Default(pg *PodGraft) {
	s := &pg.Spec
	for i := range s.Sidecars {
		if s.Sidecars[i].Placement == "" {
			s.Sidecars[i].Placement = PlaceLast
		}
	}
	for i := range s.InitContainers {
		if s.InitContainers[i].Placement == "" {
			s.InitContainers[i].Placement = PlaceLast
		}
	}
	if s.RequireReadinessProbe == "" {
		s.RequireReadinessProbe = ReadinessWarning
	}
	if s.SecurityProfile == "" {
		s.SecurityProfile = ProfileNone
	}
	defaultVolumes(s)
}

// Validate checks a defaulted PodGraft. Every error carries its field path.
func Validate(pg *PodGraft) field.ErrorList {
	var errs field.ErrorList
	if pg.APIVersion != APIVersion {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), pg.APIVersion, "must be "+APIVersion))
	}
	if pg.Kind != Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), pg.Kind, "must be "+Kind))
	}
	name := field.NewPath("metadata", "name")
	if pg.Metadata.Name == "" {
		errs = append(errs, field.Required(name, "names this graft in records and results"))
	} else {
		// Generated ConfigMaps are named <graft>-<volume>-<hash>, so the
		// graft name must fit in a DNS-1123 label with room to spare.
		for _, msg := range validation.IsDNS1123Label(pg.Metadata.Name) {
			errs = append(errs, field.Invalid(name, pg.Metadata.Name, msg))
		}
	}
	spec := field.NewPath("spec")
	errs = append(errs, validateSelector(spec.Child("targets"), pg.Spec.Targets)...)
	errs = append(errs, validateSelector(spec.Child("exclude"), pg.Spec.Exclude)...)
	errs = append(errs, validatePodTemplates(spec.Child("podTemplates"), pg.Spec.PodTemplates)...)
	errs = append(errs, validateContainers(spec, pg.Spec)...)
	errs = append(errs, validateKubeValues(spec, pg.Spec)...)
	errs = append(errs, validateClashes(spec, pg.Spec)...)
	errs = append(errs, oneOf(spec.Child("requireReadinessProbe"), pg.Spec.RequireReadinessProbe, ReadinessOff, ReadinessWarning, ReadinessError)...)
	errs = append(errs, oneOf(spec.Child("securityProfile"), pg.Spec.SecurityProfile, ProfileNone, ProfileRestricted)...)
	errs = append(errs, validateProbes(spec.Child("probes"), pg.Spec.Probes)...)
	errs = append(errs, validateRestricted(spec, pg.Spec)...)
	errs = append(errs, validateVolumes(spec, pg.Spec)...)
	errs = append(errs, validateEnv(spec.Child("env"), pg.Spec.Env)...)
	errs = append(errs, validatePod(spec.Child("pod"), pg.Spec.Pod)...)
	return errs
}

func oneOf(p *field.Path, value string, allowed ...string) field.ErrorList {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(p, value, allowed)}
}

func validateSelector(p *field.Path, s Selector) field.ErrorList {
	var errs field.ErrorList
	for i, k := range s.Kinds {
		if k == "" || strings.Count(k, "/") > 1 || strings.HasSuffix(k, "/") {
			errs = append(errs, field.Invalid(p.Child("kinds").Index(i), k, "must be Kind or group/Kind"))
		}
	}
	for i, n := range s.Names {
		if _, err := path.Match(n, ""); err != nil {
			errs = append(errs, field.Invalid(p.Child("names").Index(i), n, "is not a valid glob"))
		}
	}
	for i, n := range s.Namespaces {
		if _, err := path.Match(n, ""); err != nil {
			errs = append(errs, field.Invalid(p.Child("namespaces").Index(i), n, "is not a valid glob"))
		}
	}
	if s.LabelSelector != "" {
		if _, err := labels.Parse(s.LabelSelector); err != nil {
			errs = append(errs, field.Invalid(p.Child("labelSelector"), s.LabelSelector, err.Error()))
		}
	}
	return errs
}

func validatePodTemplates(p *field.Path, kinds []PodTemplateKind) field.ErrorList {
	var errs field.ErrorList
	for i, k := range kinds {
		if k.Kind == "" {
			errs = append(errs, field.Required(p.Index(i).Child("kind"), ""))
		}
		if k.Path == "" {
			errs = append(errs, field.Required(p.Index(i).Child("path"), "the slash-separated path to the pod template, e.g. spec/template"))
			continue
		}
		for _, seg := range strings.Split(k.Path, "/") {
			if seg == "" {
				errs = append(errs, field.Invalid(p.Index(i).Child("path"), k.Path, "must be slash-separated field names, e.g. spec/template"))
				break
			}
		}
	}
	return errs
}

// validateContainers checks sidecars and init containers together: their
// names share one namespace in the pod.
func validateContainers(spec *field.Path, s Spec) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]*field.Path{}
	checkName := func(p *field.Path, name string) {
		if name == "" {
			errs = append(errs, field.Required(p, "must not be empty"))
			return
		}
		for _, msg := range validation.IsDNS1123Label(name) {
			errs = append(errs, field.Invalid(p, name, msg))
		}
		if first, dup := seen[name]; dup {
			errs = append(errs, field.Duplicate(p, name+" (also at "+first.String()+")"))
		}
		seen[name] = p
	}
	for i, sc := range s.Sidecars {
		p := spec.Child("sidecars").Index(i)
		checkName(p.Child("name"), sc.Name)
		if sc.Image == "" {
			errs = append(errs, field.Required(p.Child("image"), "must not be empty"))
		}
		errs = append(errs, validatePlacement(p.Child("placement"), sc.Placement)...)
		errs = append(errs, validateContainerParts(p, sc.Container)...)
		errs = append(errs, validateLifetimeParts(p, sc.Container)...)
		if sc.RestartPolicy != nil {
			switch {
			case !sc.IsNative():
				errs = append(errs, field.Forbidden(p.Child("restartPolicy"), "must not be set on a regular (native: false) sidecar"))
			case *sc.RestartPolicy != corev1.ContainerRestartPolicyAlways:
				errs = append(errs, field.NotSupported(p.Child("restartPolicy"), string(*sc.RestartPolicy), []string{string(corev1.ContainerRestartPolicyAlways)}))
			}
		}
		if sc.Fronts != nil {
			fp := p.Child("fronts")
			errs = append(errs, validatePortRef(fp.Child("port"), sc.Fronts.Port, "the app port (name or number) whose Services are re-pointed")...)
			if via := sc.Fronts.Via.String(); via == "" || via == "0" {
				errs = append(errs, field.Required(fp.Child("via"), "the sidecar's own port that receives the traffic"))
			} else if !hasPort(sc.Ports, via) {
				errs = append(errs, field.NotFound(fp.Child("via"), via))
			}
		}
	}
	for i, ic := range s.InitContainers {
		p := spec.Child("initContainers").Index(i)
		checkName(p.Child("name"), ic.Name)
		switch {
		case ic.Image == "" && ic.ImageFrom == "":
			errs = append(errs, field.Required(p.Child("image"), "must not be empty unless imageFrom is set"))
		case ic.Image != "" && ic.ImageFrom != "":
			errs = append(errs, field.Forbidden(p.Child("imageFrom"), "set either image or imageFrom, not both"))
		case ic.ImageFrom != "" && ic.ImageFrom != "*":
			for _, msg := range validation.IsDNS1123Label(ic.ImageFrom) {
				errs = append(errs, field.Invalid(p.Child("imageFrom"), ic.ImageFrom, msg))
			}
		}
		if ic.RestartPolicy != nil {
			errs = append(errs, field.Forbidden(p.Child("restartPolicy"), "an init container with restartPolicy is a sidecar: declare it under spec.sidecars"))
		}
		for _, probe := range []struct {
			name string
			set  bool
		}{{"readinessProbe", ic.ReadinessProbe != nil}, {"livenessProbe", ic.LivenessProbe != nil}, {"startupProbe", ic.StartupProbe != nil}} {
			if probe.set {
				errs = append(errs, field.Forbidden(p.Child(probe.name), "Kubernetes rejects probes on init containers that run to completion"))
			}
		}
		if ic.Lifecycle != nil {
			errs = append(errs, field.Forbidden(p.Child("lifecycle"), "Kubernetes rejects lifecycle hooks on init containers that run to completion"))
		}
		errs = append(errs, validateContainerParts(p, ic.Container)...)
		errs = append(errs, validatePlacement(p.Child("placement"), ic.Placement)...)
	}
	return errs
}

func hasPort(ports []corev1.ContainerPort, nameOrNumber string) bool {
	for _, p := range ports {
		if p.Name == nameOrNumber || fmt.Sprint(p.ContainerPort) == nameOrNumber {
			return true
		}
	}
	return false
}

func validatePlacement(p *field.Path, placement string) field.ErrorList {
	switch {
	case placement == PlaceFirst || placement == PlaceLast:
		return nil
	case strings.HasPrefix(placement, PlaceBefore), strings.HasPrefix(placement, PlaceAfter):
		_, ref, _ := strings.Cut(placement, ":")
		if msgs := validation.IsDNS1123Label(ref); len(msgs) > 0 {
			return field.ErrorList{field.Invalid(p, placement, "must name a container: "+strings.Join(msgs, "; "))}
		}
		return nil
	}
	return field.ErrorList{field.Invalid(p, placement, "must be first, last, before:<container> or after:<container>")}
}

// validateProbes checks spec.probes: each entry sets at least one probe,
// each probe has exactly one handler, and container patterns are valid.
func validateProbes(p *field.Path, sets []ProbeSet) field.ErrorList {
	var errs field.ErrorList
	for i, ps := range sets {
		ip := p.Index(i)
		for j, c := range ps.Containers {
			cp := ip.Child("containers").Index(j)
			switch {
			case c == "":
				errs = append(errs, field.Required(cp, "a container name or glob"))
			case strings.ContainsAny(c, "*?[\\"):
				if _, err := path.Match(c, ""); err != nil {
					errs = append(errs, field.Invalid(cp, c, "is not a valid glob"))
				}
			default:
				for _, msg := range validation.IsDNS1123Label(c) {
					errs = append(errs, field.Invalid(cp, c, msg))
				}
			}
		}
		if ps.Readiness == nil && ps.Liveness == nil && ps.Startup == nil {
			errs = append(errs, field.Required(ip, "at least one of readiness, liveness or startup"))
		}
		errs = append(errs, validateProbe(ip.Child("readiness"), ps.Readiness, false)...)
		errs = append(errs, validateProbe(ip.Child("liveness"), ps.Liveness, true)...)
		errs = append(errs, validateProbe(ip.Child("startup"), ps.Startup, true)...)
	}
	return errs
}

// validateProbe checks what Kubernetes would reject in a probe: the
// handler count, the ports, and the thresholds.
func validateProbe(p *field.Path, set *Probe, mustSucceedOnce bool) field.ErrorList {
	if set == nil {
		return nil
	}
	return validateKubeProbe(p, &set.Probe, mustSucceedOnce)
}

// validateKubeProbe checks a core/v1 probe: a grafted one, or a sidecar's own.
func validateKubeProbe(p *field.Path, probe *corev1.Probe, mustSucceedOnce bool) field.ErrorList {
	if probe == nil {
		return nil
	}
	var errs field.ErrorList
	var handlers []string
	if probe.Exec != nil {
		handlers = append(handlers, "exec")
		if len(probe.Exec.Command) == 0 {
			errs = append(errs, field.Required(p.Child("exec", "command"), "the command to run"))
		}
	}
	if probe.HTTPGet != nil {
		handlers = append(handlers, "httpGet")
		errs = append(errs, validateProbePort(p.Child("httpGet", "port"), probe.HTTPGet.Port)...)
	}
	if probe.TCPSocket != nil {
		handlers = append(handlers, "tcpSocket")
		errs = append(errs, validateProbePort(p.Child("tcpSocket", "port"), probe.TCPSocket.Port)...)
	}
	if probe.GRPC != nil {
		handlers = append(handlers, "grpc")
		for _, msg := range validation.IsValidPortNum(int(probe.GRPC.Port)) {
			errs = append(errs, field.Invalid(p.Child("grpc", "port"), probe.GRPC.Port, msg))
		}
	}
	switch len(handlers) {
	case 0:
		errs = append(errs, field.Required(p, "one handler: exec, httpGet, tcpSocket or grpc"))
	case 1:
	default:
		errs = append(errs, field.Forbidden(p, fmt.Sprintf("probe with %d handlers (%s): a probe takes exactly one of exec, httpGet, tcpSocket, grpc",
			len(handlers), strings.Join(handlers, ", "))))
	}
	for _, n := range []struct {
		name  string
		value int32
	}{
		{"initialDelaySeconds", probe.InitialDelaySeconds}, {"timeoutSeconds", probe.TimeoutSeconds},
		{"periodSeconds", probe.PeriodSeconds}, {"successThreshold", probe.SuccessThreshold},
		{"failureThreshold", probe.FailureThreshold},
	} {
		if n.value < 0 {
			errs = append(errs, field.Invalid(p.Child(n.name), n.value, "must be greater than or equal to 0"))
		}
	}
	if mustSucceedOnce && probe.SuccessThreshold > 1 {
		errs = append(errs, field.Invalid(p.Child("successThreshold"), probe.SuccessThreshold, "must be 1 for liveness and startup probes"))
	}
	if probe.TerminationGracePeriodSeconds != nil && *probe.TerminationGracePeriodSeconds <= 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *probe.TerminationGracePeriodSeconds, "must be greater than 0"))
	}
	return errs
}

// validateProbePort accepts a port number or a port name; whether the
// container declares the name is checked per workload.
func validateProbePort(p *field.Path, port intstr.IntOrString) field.ErrorList {
	var errs field.ErrorList
	if port.Type == intstr.String {
		for _, msg := range validation.IsValidPortName(port.StrVal) {
			errs = append(errs, field.Invalid(p, port.StrVal, msg))
		}
		return errs
	}
	for _, msg := range validation.IsValidPortNum(int(port.IntVal)) {
		errs = append(errs, field.Invalid(p, port.IntVal, msg))
	}
	return errs
}

// validateRestricted rejects, under securityProfile: restricted, what the
// profile cannot allow: hostPath volumes, and grafted containers whose own
// securityContext contradicts the Pod Security Standard "restricted".
func validateRestricted(spec *field.Path, s Spec) field.ErrorList {
	if s.SecurityProfile != ProfileRestricted {
		return nil
	}
	var errs field.ErrorList
	for i, v := range s.Volumes {
		if v.HostPath != nil {
			errs = append(errs, field.Forbidden(spec.Child("volumes").Index(i).Child("hostPath"),
				"securityProfile: restricted forbids hostPath volumes (Pod Security Standard \"restricted\")"))
		}
	}
	for i, sc := range s.Sidecars {
		errs = append(errs, validateRestrictedContext(spec.Child("sidecars").Index(i).Child("securityContext"), sc.Node)...)
	}
	for i, ic := range s.InitContainers {
		errs = append(errs, validateRestrictedContext(spec.Child("initContainers").Index(i).Child("securityContext"), ic.Node)...)
	}
	return errs
}

// validateRestrictedContext reports what a grafted container's own
// securityContext sets against the restricted profile.
func validateRestrictedContext(p *field.Path, container *yaml.Node) field.ErrorList {
	const why = "securityProfile: restricted (Pod Security Standard \"restricted\") requires "
	var errs field.ErrorList
	for _, c := range podspec.Contradictions(node.Value(container, "securityContext")) {
		fp := p.Child(c.Field)
		if c.Value != nil {
			errs = append(errs, field.Invalid(fp, c.Value, why+c.Requires))
		} else {
			errs = append(errs, field.Forbidden(fp, why+c.Requires))
		}
	}
	return errs
}
