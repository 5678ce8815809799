package fn

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
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
	for i := range s.Volumes {
		if s.Volumes[i].Isolate == "" {
			s.Volumes[i].Isolate = IsolateNone
		}
	}
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
	errs = append(errs, oneOf(spec.Child("requireReadinessProbe"), pg.Spec.RequireReadinessProbe, ReadinessOff, ReadinessWarning, ReadinessError)...)
	errs = append(errs, oneOf(spec.Child("securityProfile"), pg.Spec.SecurityProfile, ProfileNone, ProfileRestricted)...)
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
			if sc.Fronts.Port == "" {
				errs = append(errs, field.Required(fp.Child("port"), "the app port (name or number) whose Services are re-pointed"))
			}
			if sc.Fronts.Via == "" {
				errs = append(errs, field.Required(fp.Child("via"), "the sidecar's own port that receives the traffic"))
			} else if !hasPort(sc.Ports, sc.Fronts.Via) {
				errs = append(errs, field.NotFound(fp.Child("via"), sc.Fronts.Via))
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
