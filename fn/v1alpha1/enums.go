package v1alpha1

import (
	"reflect"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Enum is a field of a Kubernetes type that the API server accepts with
// one of a few values only (k8s.io/kubernetes pkg/apis/core/validation, as
// of v1.36). Validation checks it wherever the type appears in a config (a
// sidecar, its probes and lifecycle, an init container, a volume source),
// and the JSON Schema lists the values (internal/schemagen).
type Enum struct {
	Type  reflect.Type // the k8s.io/api struct that has the field
	Field string       // the field's JSON name; a list is checked item by item
	// Values are what the API server accepts, sorted as it prints them.
	Values []string
	// Optional: "" is accepted too (the API server defaults it, or it
	// means unset). A nil pointer is always accepted.
	Optional bool
}

// enum builds an Enum of the struct T from k8s.io/api constants.
func enum[T any, V ~string](field string, optional bool, values ...V) Enum {
	e := Enum{Type: reflect.TypeFor[T](), Field: field, Optional: optional}
	for _, v := range values {
		e.Values = append(e.Values, string(v))
	}
	sort.Strings(e.Values)
	return e
}

// Enums are the enum fields of the Kubernetes types a config carries.
// Container.restartPolicy is not here: podgraft's rule is stricter (Always
// on a native sidecar, nothing elsewhere). Not enums, and not checked:
// capabilities (the API server takes any name), env fieldRef.fieldPath and
// resourceFieldRef.resource (their sets depend on where they are used and
// take subscripts), projected podCertificate.keyType (no constants in
// k8s.io/api).
var Enums = []Enum{
	enum[corev1.Container]("imagePullPolicy", true, corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever),
	enum[corev1.Container]("terminationMessagePolicy", true, corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError),
	enum[corev1.ContainerPort]("protocol", true, corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP),
	enum[corev1.ContainerResizePolicy]("resourceName", false, corev1.ResourceCPU, corev1.ResourceMemory),
	enum[corev1.ContainerResizePolicy]("restartPolicy", false, corev1.NotRequired, corev1.RestartContainer),
	enum[corev1.ContainerRestartRule]("action", false, corev1.ContainerRestartRuleActionRestart, corev1.ContainerRestartRuleActionRestartAllContainers),
	enum[corev1.ContainerRestartRuleOnExitCodes]("operator", false, corev1.ContainerRestartRuleOnExitCodesOpIn, corev1.ContainerRestartRuleOnExitCodesOpNotIn),
	enum[corev1.HTTPGetAction]("scheme", true, corev1.URISchemeHTTP, corev1.URISchemeHTTPS),
	// The Linux signals: Windows takes only SIGKILL and SIGTERM, and a
	// stop signal needs the pod's spec.os.name, which the workload sets.
	enum[corev1.Lifecycle]("stopSignal", false, linuxSignals...),
	enum[corev1.SecurityContext]("procMount", false, corev1.DefaultProcMount, corev1.UnmaskedProcMount),
	enum[corev1.SeccompProfile]("type", false, corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeUnconfined, corev1.SeccompProfileTypeLocalhost),
	enum[corev1.AppArmorProfile]("type", false, corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeUnconfined, corev1.AppArmorProfileTypeLocalhost),
	enum[corev1.VolumeMount]("mountPropagation", false, corev1.MountPropagationNone, corev1.MountPropagationHostToContainer, corev1.MountPropagationBidirectional),
	enum[corev1.VolumeMount]("recursiveReadOnly", false, corev1.RecursiveReadOnlyDisabled, corev1.RecursiveReadOnlyIfPossible, corev1.RecursiveReadOnlyEnabled),
	// Volume sources.
	enum[corev1.HostPathVolumeSource]("type", true, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory, corev1.HostPathFileOrCreate,
		corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev),
	enum[corev1.PersistentVolumeClaimSpec]("accessModes", false, corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOncePod),
	enum[corev1.PersistentVolumeClaimSpec]("volumeMode", false, corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem),
	enum[corev1.AzureDiskVolumeSource]("cachingMode", false, corev1.AzureDataDiskCachingNone, corev1.AzureDataDiskCachingReadOnly, corev1.AzureDataDiskCachingReadWrite),
	enum[corev1.AzureDiskVolumeSource]("kind", false, corev1.AzureSharedBlobDisk, corev1.AzureDedicatedBlobDisk, corev1.AzureManagedDisk),
}

var linuxSignals = []corev1.Signal{
	corev1.SIGABRT, corev1.SIGALRM, corev1.SIGBUS, corev1.SIGCHLD, corev1.SIGCLD, corev1.SIGCONT, corev1.SIGFPE, corev1.SIGHUP,
	corev1.SIGILL, corev1.SIGINT, corev1.SIGIO, corev1.SIGIOT, corev1.SIGKILL, corev1.SIGPIPE, corev1.SIGPOLL, corev1.SIGPROF,
	corev1.SIGPWR, corev1.SIGQUIT, corev1.SIGSEGV, corev1.SIGSTKFLT, corev1.SIGSTOP, corev1.SIGSYS, corev1.SIGTERM, corev1.SIGTRAP,
	corev1.SIGTSTP, corev1.SIGTTIN, corev1.SIGTTOU, corev1.SIGURG, corev1.SIGUSR1, corev1.SIGUSR2, corev1.SIGVTALRM, corev1.SIGWINCH,
	corev1.SIGXCPU, corev1.SIGXFSZ, corev1.SIGRTMIN, corev1.SIGRTMINPLUS1, corev1.SIGRTMINPLUS2, corev1.SIGRTMINPLUS3,
	corev1.SIGRTMINPLUS4, corev1.SIGRTMINPLUS5, corev1.SIGRTMINPLUS6, corev1.SIGRTMINPLUS7, corev1.SIGRTMINPLUS8,
	corev1.SIGRTMINPLUS9, corev1.SIGRTMINPLUS10, corev1.SIGRTMINPLUS11, corev1.SIGRTMINPLUS12, corev1.SIGRTMINPLUS13,
	corev1.SIGRTMINPLUS14, corev1.SIGRTMINPLUS15, corev1.SIGRTMAXMINUS14, corev1.SIGRTMAXMINUS13, corev1.SIGRTMAXMINUS12,
	corev1.SIGRTMAXMINUS11, corev1.SIGRTMAXMINUS10, corev1.SIGRTMAXMINUS9, corev1.SIGRTMAXMINUS8, corev1.SIGRTMAXMINUS7,
	corev1.SIGRTMAXMINUS6, corev1.SIGRTMAXMINUS5, corev1.SIGRTMAXMINUS4, corev1.SIGRTMAXMINUS3, corev1.SIGRTMAXMINUS2,
	corev1.SIGRTMAXMINUS1, corev1.SIGRTMAX,
}

// ContainerResourceNames are the resource names a container may request
// without a domain (hugepages-<size> too); others must be qualified
// (example.com/gpu), as the API server requires.
var ContainerResourceNames = []string{string(corev1.ResourceCPU), string(corev1.ResourceEphemeralStorage), string(corev1.ResourceMemory)}

// validateKubeValues checks, everywhere in the spec, the enum fields of
// the Kubernetes types and the resource names of containers.
func validateKubeValues(spec *field.Path, s Spec) field.ErrorList {
	byType := map[reflect.Type][]Enum{}
	for _, e := range Enums {
		byType[e.Type] = append(byType[e.Type], e)
	}
	w := kubeWalk{enums: byType}
	w.walk(spec, reflect.ValueOf(s))
	return w.errs
}

type kubeWalk struct {
	enums map[reflect.Type][]Enum
	errs  field.ErrorList
}

// walk visits v and what it holds, naming each value by its JSON path.
func (w *kubeWalk) walk(p *field.Path, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walk(p, v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			w.walk(p.Index(i), v.Index(i))
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			w.walk(p.Key(k.String()), v.MapIndex(k))
		}
	case reflect.Struct:
		if secret, ok := v.Interface().(SecretOption); ok {
			w.walk(p, reflect.ValueOf(secret.Source)) // a secret volume source, at the secret field
			return
		}
		w.checkStruct(p, v)
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, inline := jsonName(f)
			switch {
			case inline:
				w.walk(p, v.Field(i))
			case name != "" && f.IsExported():
				w.walk(p.Child(name), v.Field(i))
			}
		}
	}
}

// checkStruct checks the enum fields of struct v, and resource names.
func (w *kubeWalk) checkStruct(p *field.Path, v reflect.Value) {
	for _, e := range w.enums[v.Type()] {
		fv := fieldByJSONName(v, e.Field)
		if fv.Kind() == reflect.Slice {
			for i := range fv.Len() {
				w.checkValue(p.Child(e.Field).Index(i), fv.Index(i), e)
			}
			continue
		}
		w.checkValue(p.Child(e.Field), fv, e)
	}
	if r, ok := v.Interface().(corev1.ResourceRequirements); ok {
		w.checkResourceNames(p.Child("limits"), r.Limits)
		w.checkResourceNames(p.Child("requests"), r.Requests)
	}
}

func (w *kubeWalk) checkValue(p *field.Path, v reflect.Value, e Enum) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	value := v.String()
	if value == "" && e.Optional {
		return
	}
	for _, allowed := range e.Values {
		if value == allowed {
			return
		}
	}
	w.errs = append(w.errs, field.NotSupported(p, value, e.Values))
}

// checkResourceNames applies the API server's rule for the resource names
// of a container: cpu, memory, ephemeral-storage, hugepages-<size>, or a
// qualified name with a domain (an extended resource).
func (w *kubeWalk) checkResourceNames(p *field.Path, list corev1.ResourceList) {
	names := make([]string, 0, len(list))
	for name := range list {
		names = append(names, string(name))
	}
	sort.Strings(names)
	for _, name := range names {
		kp := p.Key(name)
		if !strings.Contains(name, "/") {
			standard := strings.HasPrefix(name, corev1.ResourceHugePagesPrefix)
			for _, n := range ContainerResourceNames {
				standard = standard || name == n
			}
			if !standard {
				w.errs = append(w.errs, field.Invalid(kp, name, "must be a standard resource for containers ("+strings.Join(ContainerResourceNames, ", ")+", hugepages-<size>) or a fully qualified extended resource such as example.com/gpu"))
			}
			continue
		}
		for _, msg := range validation.IsQualifiedName(name) {
			w.errs = append(w.errs, field.Invalid(kp, name, msg))
		}
	}
}

// fieldByJSONName finds the field of struct v with that JSON name,
// looking into inlined structs.
func fieldByJSONName(v reflect.Value, name string) reflect.Value {
	t := v.Type()
	for i := range t.NumField() {
		n, inline := jsonName(t.Field(i))
		if n == name {
			return v.Field(i)
		}
		if inline && v.Field(i).Kind() == reflect.Struct {
			if f := fieldByJSONName(v.Field(i), name); f.IsValid() {
				return f
			}
		}
	}
	return reflect.Value{}
}
