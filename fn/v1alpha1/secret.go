package v1alpha1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
)

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
			return err // decodeStrict finds where, with the path
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

// GeneratesSecret reports whether the volume's files become a Secret.
func (v Volume) GeneratesSecret() bool { return v.Secret != nil && v.Secret.Generate }

// GeneratesFiles reports whether the volume is backed by a generated
// ConfigMap or Secret.
func (v Volume) GeneratesFiles() bool { return len(v.Files) > 0 || len(v.FromFiles) > 0 }

// isKube: a secret volume source is the Kubernetes field `secret`;
// `secret: true` is podgraft's.
func (s *SecretOption) isKube() bool { return s.Source != nil }
