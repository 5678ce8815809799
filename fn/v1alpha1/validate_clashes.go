package v1alpha1

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/podgraft/podgraft/internal/podspec"
)

// validateClashes finds the clashes inside one PodGraft that no pod is
// needed to see: an env name set twice in one container, and a port used
// twice by its sidecars, which all run at once in a pod's one network.
// Ports of init containers are not checked: they run alone, to
// completion, before the app (see transformers.Conflicts, which checks a
// graft's ports against the pod's). The port keys are podspec's, which the
// engine uses too.
func validateClashes(spec *field.Path, s Spec) field.ErrorList {
	var errs field.ErrorList
	envs := func(p *field.Path, env []corev1.EnvVar) {
		seen := map[string]int{}
		for i, e := range env {
			if first, dup := seen[e.Name]; dup && e.Name != "" {
				errs = append(errs, field.Duplicate(p.Index(i).Child("name"),
					fmt.Sprintf("%s (also at %s): the container would get the value set last", e.Name, p.Index(first).Child("name"))))
				continue
			}
			seen[e.Name] = i
		}
	}
	ports := map[string]*field.Path{}
	for i, sc := range s.Sidecars {
		p := spec.Child("sidecars").Index(i)
		envs(p.Child("env"), sc.Env)
		for _, port := range podspec.Ports(sc.Node) {
			for _, key := range port.Keys {
				fp := p.Child("ports").Index(port.Index).Child(key.Field)
				if first, dup := ports[key.ID]; dup {
					errs = append(errs, field.Duplicate(fp, fmt.Sprintf("%s (also at %s): the sidecars of a pod share one network", key.Show, first)))
					continue
				}
				ports[key.ID] = fp
			}
		}
	}
	for i, ic := range s.InitContainers {
		envs(spec.Child("initContainers").Index(i).Child("env"), ic.Env)
	}
	return errs
}
