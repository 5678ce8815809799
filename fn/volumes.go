package fn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// podgraftVolumeKeys are the config fields of a volume that are not
// Kubernetes Volume fields: secret is one only as `secret: true`.
func podgraftVolumeKeys(v Volume) []string {
	keys := []string{"files", "fromFiles", "isolate", "claim", "mounts"}
	if v.Secret == nil || v.Secret.Source == nil {
		keys = append(keys, "secret")
	}
	return keys
}

// graftVolumes takes the volumes and their mounts from the config's own
// YAML, so that the output carries exactly the fields the user wrote.
func graftVolumes(c *Config) ([]transformers.GraftVolume, error) {
	nodes, err := configList(c, "volumes", len(c.Spec.Volumes))
	if err != nil {
		return nil, err
	}
	var out []transformers.GraftVolume
	for i, v := range c.Spec.Volumes {
		src := "spec.volumes[" + strconv.Itoa(i) + "]"
		gv := transformers.GraftVolume{
			Name:    v.Name,
			Source:  src,
			Node:    withoutKeys(nodes[i], podgraftVolumeKeys(v)...),
			Isolate: v.Isolate,
		}
		if len(v.Files) > 0 || len(v.FromFiles) > 0 {
			gv.Files = &transformers.FileSet{Secret: v.generatesSecret(), Data: c.Files[v.Name]}
		}
		if v.Claim != nil {
			gv.Claim = &transformers.Claim{
				StorageClassName: v.Claim.StorageClassName,
				Storage:          v.Claim.Storage,
				PerReplica:       v.Claim.PerReplica,
			}
			for _, m := range v.Claim.AccessModes {
				gv.Claim.AccessModes = append(gv.Claim.AccessModes, string(m))
			}
		}
		mounts := lookupList(withoutKeys(nodes[i]), "mounts")
		if len(mounts) != len(v.Mounts) {
			return nil, fmt.Errorf("%s: %s.mounts: cannot read the list back from the config", c.Source, src)
		}
		for j, m := range v.Mounts {
			gv.Mounts = append(gv.Mounts, transformers.GraftMount{
				Source:     src + ".mounts[" + strconv.Itoa(j) + "]",
				Containers: m.Containers,
				MountPath:  m.MountPath,
				Node:       withoutKeys(mounts[j], "containers"),
			})
		}
		out = append(out, gv)
	}
	return out, nil
}

// lookupList returns the elements of the list under key in mapping n.
func lookupList(n *yaml.Node, key string) []*yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			return v.Content
		}
	}
	return nil
}

// graftFronts lists the sidecars that front an app port.
func graftFronts(c *Config) []transformers.Front {
	var out []transformers.Front
	for _, sc := range c.Spec.Sidecars {
		if sc.Fronts == nil {
			continue
		}
		f := transformers.Front{Sidecar: sc.Name, Port: sc.Fronts.Port, Via: sc.Fronts.Via, SidecarPorts: map[string]int32{}}
		for _, p := range sc.Ports {
			if p.Name != "" {
				f.SidecarPorts[p.Name] = p.ContainerPort
			}
		}
		out = append(out, f)
	}
	return out
}

// SecretOption is a volume's secret field, which serves two purposes:
// `secret: true` makes the volume's files and fromFiles a generated Secret
// rather than a ConfigMap, and a mapping is a core/v1 secret volume source
// (secretName, items, defaultMode, optional), as in a pod.
type SecretOption struct {
	// Generate is secret: true.
	Generate bool
	// Source is a secret volume source.
	Source *corev1.SecretVolumeSource
	// unknown lists the fields of Source the API does not know.
	unknown []string
}

// UnmarshalJSON accepts a boolean or a secret volume source, strictly.
func (s *SecretOption) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = SecretOption{}
		return nil
	case len(b) > 0 && b[0] == '{':
		src := &corev1.SecretVolumeSource{}
		strict, err := kjson.UnmarshalStrict(b, src)
		if err != nil {
			return fmt.Errorf("secret: %w", typeError(err))
		}
		*s = SecretOption{Source: src}
		// Unknown fields are reported by validation, which knows the path.
		for _, e := range strict {
			var fe interface{ FieldPath() string }
			if errors.As(e, &fe) {
				s.unknown = append(s.unknown, fe.FieldPath())
			} else {
				s.unknown = append(s.unknown, e.Error())
			}
		}
		return nil
	}
	var generate bool
	if err := json.Unmarshal(b, &generate); err != nil {
		return fmt.Errorf("secret: expected true or false (generate a Secret from files) or a secret volume source (secretName, items, ...), got %s", b)
	}
	*s = SecretOption{Generate: generate}
	return nil
}

// MarshalJSON writes what was read, so that the spec hash sees it.
func (s SecretOption) MarshalJSON() ([]byte, error) {
	if s.Source != nil {
		return json.Marshal(s.Source)
	}
	return json.Marshal(s.Generate)
}

// generatesSecret reports whether the volume's files become a Secret.
func (v Volume) generatesSecret() bool { return v.Secret != nil && v.Secret.Generate }
