// Package v1alpha1 is the PodGraft config API (podgraft.dev/v1alpha1),
// decoded once: its types, strict decoding, defaults, and validation with
// field paths. The parts podgraft copies into workloads (containers,
// volumes, mounts, probes) keep the user's YAML node next to their typed
// form: the node is what goes into the pod, exactly as written, and the
// typed form is what validation and the engine read.
package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// API identity of the config.
const (
	Group      = "podgraft.dev"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "PodGraft"
)

// PodGraft declares, once, the operational parts grafted onto every pod
// template it targets.
type PodGraft struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata is the part of ObjectMeta a PodGraft uses. Annotations and labels
// are accepted so that kustomize and kpt can carry their own
// (config.kubernetes.io/function, local-config, ...).
type Metadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Spec is what a PodGraft adds and where.
type Spec struct {
	Targets               Selector          `json:"targets,omitempty"`
	Exclude               Selector          `json:"exclude,omitempty"`
	PodTemplates          []PodTemplateKind `json:"podTemplates,omitempty"`
	Sidecars              []Sidecar         `json:"sidecars,omitempty"`
	InitContainers        []InitContainer   `json:"initContainers,omitempty"`
	Probes                []ProbeSet        `json:"probes,omitempty"`
	RequireReadinessProbe string            `json:"requireReadinessProbe,omitempty"`
	Volumes               []Volume          `json:"volumes,omitempty"`
	Env                   []EnvSet          `json:"env,omitempty"`
	Pod                   *PodFields        `json:"pod,omitempty"`
	SecurityProfile       string            `json:"securityProfile,omitempty"`
	Policy                Policy            `json:"policy,omitempty"`
	// Remove takes out everything this PodGraft added (for KRM pipelines,
	// where there is no --remove flag).
	Remove bool `json:"remove,omitempty"`
}

// Selector picks workloads. In targets every given field must match; in
// exclude any given field that matches excludes the workload.
type Selector struct {
	Kinds         []string          `json:"kinds,omitempty"`
	Names         []string          `json:"names,omitempty"`
	Namespaces    []string          `json:"namespaces,omitempty"`
	LabelSelector string            `json:"labelSelector,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	HelmHooks     *bool             `json:"helmHooks,omitempty"`
}

// PodTemplateKind declares where a custom kind keeps its pod template.
type PodTemplateKind struct {
	Group string `json:"group,omitempty"`
	Kind  string `json:"kind"`
	Path  string `json:"path"`
}

// Placement values: first, last, before:<name>, after:<name>.
const (
	PlaceFirst  = "first"
	PlaceLast   = "last"
	PlaceBefore = "before:"
	PlaceAfter  = "after:"
)

// Sidecar is a container that runs alongside the app for the pod's lifetime.
type Sidecar struct {
	corev1.Container `json:",inline"`
	// Native (default true) makes it an init container with
	// restartPolicy: Always, so Jobs still finish (Kubernetes >= 1.29).
	Native    *bool   `json:"native,omitempty"`
	Placement string  `json:"placement,omitempty"`
	Fronts    *Fronts `json:"fronts,omitempty"`
	// Node is the container as the user wrote it, without the fields
	// above, which are podgraft's own.
	Node *yaml.Node `json:"-"`
}

// IsNative reports whether the sidecar goes to initContainers.
func (s Sidecar) IsNative() bool { return s.Native == nil || *s.Native }

// Fronts re-points Services that target the app's Port to the sidecar's Via
// port, so that inbound traffic passes the sidecar.
// Both take a port name or number, like a Service's targetPort.
type Fronts struct {
	Port intstr.IntOrString `json:"port"`
	Via  intstr.IntOrString `json:"via"`
}

// InitContainer runs to completion before the app starts.
type InitContainer struct {
	corev1.Container `json:",inline"`
	// ImageFrom copies image and imagePullPolicy from this app container;
	// "*" means the first app container.
	ImageFrom string `json:"imageFrom,omitempty"`
	Placement string `json:"placement,omitempty"`
	// Node is the container as the user wrote it, without imageFrom and
	// placement.
	Node *yaml.Node `json:"-"`
}

// ProbeSet fills probes on the selected containers.
type ProbeSet struct {
	Containers []string `json:"containers,omitempty"`
	Readiness  *Probe   `json:"readiness,omitempty"`
	Liveness   *Probe   `json:"liveness,omitempty"`
	Startup    *Probe   `json:"startup,omitempty"`
	Override   bool     `json:"override,omitempty"`
}

// Probe is a core/v1 Probe, with the user's YAML node.
type Probe struct {
	corev1.Probe `json:",inline"`
	// Node is the probe as the user wrote it.
	Node *yaml.Node `json:"-"`
}

// Probe kinds, as the graft record writes them ("web:readiness"), in the
// order probes are added: the order Kubernetes prints them.
const (
	Liveness  = "liveness"
	Readiness = "readiness"
	Startup   = "startup"
)

// ProbeKinds lists the probe kinds in order.
var ProbeKinds = []string{Liveness, Readiness, Startup}

// ByKind returns the set's probe of a kind, or nil.
func (ps ProbeSet) ByKind(kind string) *Probe {
	switch kind {
	case Liveness:
		return ps.Liveness
	case Readiness:
		return ps.Readiness
	case Startup:
		return ps.Startup
	}
	return nil
}

// Readiness policy values.
const (
	ReadinessOff     = "off"
	ReadinessWarning = "warning"
	ReadinessError   = "error"
)

// Volume is a pod volume plus where to mount it and the helpers that
// generate its backing resources.
type Volume struct {
	// Volume is the core/v1 volume: name and source.
	corev1.Volume `json:",inline"`
	Files         map[string]string `json:"files,omitempty"`
	FromFiles     []string          `json:"fromFiles,omitempty"`
	// Secret is either true (files and fromFiles generate a Secret rather
	// than a ConfigMap) or a core/v1 secret volume source, as in a pod.
	Secret  *SecretOption `json:"secret,omitempty"`
	Isolate string        `json:"isolate,omitempty"`
	Claim   *Claim        `json:"claim,omitempty"`
	Mounts  []Mount       `json:"mounts,omitempty"`
	// Node is the volume as the user wrote it, without the fields above
	// that are podgraft's own (secret stays when it is a volume source).
	Node *yaml.Node `json:"-"`
}

// Isolation values for hostPath volumes.
const (
	IsolateNone      = "none"
	IsolateNamespace = "namespace"
	IsolateWorkload  = "workload"
)

// Claim generates the PersistentVolumeClaim a volume refers to.
type Claim struct {
	AccessModes      []corev1.PersistentVolumeAccessMode `json:"accessModes,omitempty"`
	StorageClassName string                              `json:"storageClassName,omitempty"`
	Storage          string                              `json:"storage"`
	PerReplica       bool                                `json:"perReplica,omitempty"`
	// Keep (default true) annotates the generated claim so that the tools
	// that prune never delete it, and its data, with a release or an
	// application: Helm (helm.sh/resource-policy: keep), Argo CD
	// (sync-options Prune=false) and kpt live (cli-utils on-remove: keep).
	Keep *bool `json:"keep,omitempty"`
}

// Keeps reports whether the generated claim is kept when pruned.
func (c *Claim) Keeps() bool { return c.Keep == nil || *c.Keep }

// Mount places a volume in containers.
type Mount struct {
	// Containers are names or globs. A glob ("*" too) matches the
	// containers that run for the pod's lifetime: app containers and every
	// graft's sidecars. An init container that runs to completion is
	// mounted only when named exactly.
	Containers []string `json:"containers,omitempty"`
	// InitContainers are names or globs of the init containers that run
	// to completion (native sidecars are containers, above).
	InitContainers []string `json:"initContainers,omitempty"`
	MountFields    `json:",inline"`
	// Node is the mount as the user wrote it, without containers: the
	// volumeMount is name followed by these fields.
	Node *yaml.Node `json:"-"`
}

// MountFields are the core/v1 VolumeMount fields a mount takes.
type MountFields struct {
	MountPath string `json:"mountPath"`
	SubPath   string `json:"subPath,omitempty"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

// Security profiles.
const (
	ProfileNone       = "none"
	ProfileRestricted = "restricted"
)

// Policy restricts what a graft may do.
type Policy struct {
	AllowedHostPaths []string `json:"allowedHostPaths,omitempty"`
}

// EnvSet adds environment variables to the selected containers, after
// their own.
type EnvSet struct {
	// Containers are names or globs; with neither containers nor
	// initContainers, the set goes to the app containers (those podgraft
	// did not graft). A glob matches the containers that
	// run for the pod's lifetime: app containers and every graft's
	// sidecars.
	Containers []string `json:"containers,omitempty"`
	// InitContainers are names or globs of the init containers that run
	// to completion.
	InitContainers []string        `json:"initContainers,omitempty"`
	Vars           []EnvVar        `json:"vars,omitempty"`
	From           []EnvFromSource `json:"from,omitempty"`
	// Override replaces a variable the container already sets; removal
	// puts the container's own back. Without it the container's own is
	// kept, with a warning.
	Override bool `json:"override,omitempty"`
}

// EnvVar is a core/v1 EnvVar, with the user's YAML node.
type EnvVar struct {
	corev1.EnvVar `json:",inline"`
	Node          *yaml.Node `json:"-"`
}

// EnvFromSource is a core/v1 EnvFromSource, with the user's YAML node.
type EnvFromSource struct {
	corev1.EnvFromSource `json:",inline"`
	Node                 *yaml.Node `json:"-"`
}

// PodFields go onto the pod template: labels and annotations onto its
// metadata (never the workload's or its selector), imagePullSecrets onto
// its spec.
type PodFields struct {
	Labels           map[string]string             `json:"labels,omitempty"`
	Annotations      map[string]string             `json:"annotations,omitempty"`
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// Override replaces a label or annotation the template has with
	// another value; without it that is a conflict.
	Override bool `json:"override,omitempty"`
}

// IsEmpty reports whether the graft sets nothing on the pod.
func (p *PodFields) IsEmpty() bool {
	return p == nil || len(p.Labels) == 0 && len(p.Annotations) == 0 && len(p.ImagePullSecrets) == 0
}
