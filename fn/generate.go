package fn

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
)

// Generate returns, as a YAML stream, the ConfigMaps, Secrets and
// PersistentVolumeClaims the configs generate in each namespace: what a
// run appends for a targeted workload there, with the same deterministic
// names. It is `podgraft generate`, for the admission webhook, which mounts
// them but cannot create them. A namespace outside a graft's
// spec.targets.namespaces (or inside its exclude) gets nothing from that
// graft, and a warning says so.
func Generate(configs []*Config, namespaces []string) ([]byte, framework.Results, error) {
	if len(namespaces) == 0 {
		return nil, nil, errors.New("--namespace: name at least one namespace to generate the resources in")
	}
	for _, ns := range namespaces {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			return nil, nil, fmt.Errorf("--namespace %q: not a namespace name: %s", ns, strings.Join(msgs, "; "))
		}
	}
	e, err := NewEngine(configs, Options{}) // the same checks as a run (two PodGrafts of one name)
	if err != nil {
		return nil, nil, err
	}
	resources, results := e.Generate(namespaces)
	var out bytes.Buffer
	if len(resources) > 0 {
		if err := (kio.ByteWriter{Writer: &out}).Write(resources); err != nil {
			return nil, results, err
		}
	}
	return out.Bytes(), results, nil
}
