package v1alpha1

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ReservedEnv is the variable podgraft itself gives the containers that
// mount an isolated hostPath; a graft's env may not set it.
const ReservedEnv = "PODGRAFT_NAMESPACE"

// ReservedPrefix is the key prefix of podgraft's own labels and
// annotations (its record, the opt-outs); spec.pod may not set them.
const ReservedPrefix = Group + "/"

// validateContainerRefs checks a list of container names or globs.
func validateContainerRefs(p *field.Path, refs []string) field.ErrorList {
	var errs field.ErrorList
	for k, c := range refs {
		cp := p.Index(k)
		switch {
		case c == "":
			errs = append(errs, field.Required(cp, "a container name or glob"))
		case strings.ContainsAny(c, `*?[\`):
			if _, err := path.Match(c, ""); err != nil {
				errs = append(errs, field.Invalid(cp, c, "is not a valid glob"))
			}
		default:
			for _, msg := range validation.IsDNS1123Label(c) {
				errs = append(errs, field.Invalid(cp, c, msg))
			}
		}
	}
	return errs
}

// validateEnv checks spec.env as the API server checks a container's env
// and envFrom: names, one source per variable, and no name twice in one
// set (two sets of one graft on one container are found per pod).
func validateEnv(p *field.Path, sets []EnvSet) field.ErrorList {
	var errs field.ErrorList
	for i, s := range sets {
		sp := p.Index(i)
		errs = append(errs, validateContainerRefs(sp.Child("containers"), s.Containers)...)
		errs = append(errs, validateContainerRefs(sp.Child("initContainers"), s.InitContainers)...)
		if len(s.Vars) == 0 && len(s.From) == 0 {
			errs = append(errs, field.Required(sp, "vars or from: what to add"))
		}
		seen := map[string]int{}
		for j, v := range s.Vars {
			vp := sp.Child("vars").Index(j)
			errs = append(errs, validateEnvVar(vp, v)...)
			if v.Name == "" {
				continue
			}
			if k, dup := seen[v.Name]; dup {
				errs = append(errs, field.Duplicate(vp.Child("name"), fmt.Sprintf("%s (also at %s)", v.Name, sp.Child("vars").Index(k).Child("name"))))
				continue
			}
			seen[v.Name] = j
		}
		from := map[string]int{}
		for j, f := range s.From {
			fp := sp.Child("from").Index(j)
			errs = append(errs, validateEnvFrom(fp, f)...)
			key := EnvFromKey(f.Prefix, f.ConfigMapRef != nil, envFromName(f))
			if k, dup := from[key]; dup {
				errs = append(errs, field.Duplicate(fp, fmt.Sprintf("the same source as %s", sp.Child("from").Index(k))))
				continue
			}
			from[key] = j
		}
	}
	return errs
}

func envFromName(f EnvFromSource) string {
	switch {
	case f.ConfigMapRef != nil:
		return f.ConfigMapRef.Name
	case f.SecretRef != nil:
		return f.SecretRef.Name
	}
	return ""
}

// EnvFromKey names an envFrom source in the graft record:
// "configMapRef/<name>" or "secretRef/<name>", with "?prefix=<prefix>"
// when it has one.
func EnvFromKey(prefix string, configMap bool, name string) string {
	key := "secretRef/" + name
	if configMap {
		key = "configMapRef/" + name
	}
	if prefix != "" {
		key += "?prefix=" + prefix
	}
	return key
}

// fieldRefPaths are the pod fields the downward API gives a variable.
var fieldRefPaths = []string{
	"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
	"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
}

// labelRef is metadata.labels['key'] or metadata.annotations['key'].
var labelRef = regexp.MustCompile(`^metadata\.(labels|annotations)\['([^']+)'\]$`)

func validateEnvVar(p *field.Path, v EnvVar) field.ErrorList {
	var errs field.ErrorList
	np := p.Child("name")
	if v.Name == "" {
		errs = append(errs, field.Required(np, "the variable's name"))
	} else {
		for _, msg := range validation.IsRelaxedEnvVarName(v.Name) {
			errs = append(errs, field.Invalid(np, v.Name, msg))
		}
		if v.Name == ReservedEnv {
			errs = append(errs, field.Forbidden(np, ReservedEnv+" is podgraft's own: it gives it to the containers that mount an isolated hostPath"))
		}
	}
	src := v.ValueFrom
	if src == nil {
		return errs
	}
	vf := p.Child("valueFrom")
	if v.Value != "" {
		errs = append(errs, field.Invalid(p.Child("value"), v.Value, "may not be set when valueFrom is"))
	}
	var sources []string
	if src.FieldRef != nil {
		sources = append(sources, "fieldRef")
		fp := vf.Child("fieldRef", "fieldPath")
		switch m := labelRef.FindStringSubmatch(src.FieldRef.FieldPath); {
		case src.FieldRef.FieldPath == "":
			errs = append(errs, field.Required(fp, "the pod field, e.g. metadata.name"))
		case m != nil:
			for _, msg := range validation.IsQualifiedName(strings.ToLower(m[2])) {
				errs = append(errs, field.Invalid(fp, src.FieldRef.FieldPath, msg))
			}
		case !slices.Contains(fieldRefPaths, src.FieldRef.FieldPath):
			errs = append(errs, field.NotSupported(fp, src.FieldRef.FieldPath, append(slices.Clone(fieldRefPaths), "metadata.labels['<key>']", "metadata.annotations['<key>']")))
		}
	}
	if src.ResourceFieldRef != nil {
		sources = append(sources, "resourceFieldRef")
		if src.ResourceFieldRef.Resource == "" {
			errs = append(errs, field.Required(vf.Child("resourceFieldRef", "resource"), "e.g. limits.memory"))
		}
	}
	if r := src.ConfigMapKeyRef; r != nil {
		sources = append(sources, "configMapKeyRef")
		errs = append(errs, validateKeyRef(vf.Child("configMapKeyRef"), r.Name, r.Key)...)
	}
	if r := src.SecretKeyRef; r != nil {
		sources = append(sources, "secretKeyRef")
		errs = append(errs, validateKeyRef(vf.Child("secretKeyRef"), r.Name, r.Key)...)
	}
	if r := src.FileKeyRef; r != nil {
		sources = append(sources, "fileKeyRef")
		if r.VolumeName == "" {
			errs = append(errs, field.Required(vf.Child("fileKeyRef", "volumeName"), ""))
		}
		if r.Path == "" {
			errs = append(errs, field.Required(vf.Child("fileKeyRef", "path"), ""))
		}
		if r.Key == "" {
			errs = append(errs, field.Required(vf.Child("fileKeyRef", "key"), ""))
		}
	}
	switch len(sources) {
	case 0:
		errs = append(errs, field.Required(vf, "one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef, fileKeyRef"))
	case 1:
	default:
		errs = append(errs, field.Forbidden(vf, fmt.Sprintf("has %s: a variable takes exactly one source", strings.Join(sources, " and "))))
	}
	return errs
}

func validateKeyRef(p *field.Path, name, key string) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p.Child("name"), "the ConfigMap or Secret"))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, field.Invalid(p.Child("name"), name, msg))
		}
	}
	if key == "" {
		errs = append(errs, field.Required(p.Child("key"), "the key to read"))
	} else {
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(p.Child("key"), key, msg))
		}
	}
	return errs
}

func validateEnvFrom(p *field.Path, f EnvFromSource) field.ErrorList {
	var errs field.ErrorList
	if f.Prefix != "" {
		for _, msg := range validation.IsRelaxedEnvVarName(f.Prefix) {
			errs = append(errs, field.Invalid(p.Child("prefix"), f.Prefix, msg))
		}
	}
	check := func(child, name string) {
		if name == "" {
			errs = append(errs, field.Required(p.Child(child, "name"), "the ConfigMap or Secret"))
			return
		}
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, field.Invalid(p.Child(child, "name"), name, msg))
		}
	}
	switch {
	case f.ConfigMapRef != nil && f.SecretRef != nil:
		errs = append(errs, field.Forbidden(p, "has configMapRef and secretRef: an envFrom source takes exactly one"))
	case f.ConfigMapRef != nil:
		check("configMapRef", f.ConfigMapRef.Name)
	case f.SecretRef != nil:
		check("secretRef", f.SecretRef.Name)
	default:
		errs = append(errs, field.Required(p, "configMapRef or secretRef"))
	}
	return errs
}

// validatePod checks spec.pod with apimachinery's own validation of
// labels, annotations and object names, as the API server does.
func validatePod(p *field.Path, pod *PodFields) field.ErrorList {
	if pod == nil {
		return nil
	}
	var errs field.ErrorList
	// One key at a time, in order, so that each message names its key.
	for _, k := range sortedKeys(pod.Labels) {
		errs = append(errs, metav1validation.ValidateLabels(map[string]string{k: pod.Labels[k]}, p.Child("labels").Key(k))...)
	}
	for _, k := range sortedKeys(pod.Annotations) {
		errs = append(errs, apivalidation.ValidateAnnotations(map[string]string{k: pod.Annotations[k]}, p.Child("annotations").Key(k))...)
	}
	if err := apivalidation.ValidateAnnotationsSize(pod.Annotations); err != nil {
		errs = append(errs, field.TooLong(p.Child("annotations"), "", apivalidation.TotalAnnotationSizeLimitB))
	}
	for _, kind := range []struct {
		name string
		keys map[string]string
	}{{"labels", pod.Labels}, {"annotations", pod.Annotations}} {
		for _, k := range sortedKeys(kind.keys) {
			if strings.HasPrefix(k, ReservedPrefix) {
				errs = append(errs, field.Forbidden(p.Child(kind.name).Key(k), "the "+ReservedPrefix+" prefix is podgraft's own"))
			}
		}
	}
	seen := map[string]int{}
	for i, s := range pod.ImagePullSecrets {
		np := p.Child("imagePullSecrets").Index(i).Child("name")
		if s.Name == "" {
			errs = append(errs, field.Required(np, "the Secret's name"))
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(s.Name) {
			errs = append(errs, field.Invalid(np, s.Name, msg))
		}
		if j, dup := seen[s.Name]; dup {
			errs = append(errs, field.Duplicate(np, fmt.Sprintf("%s (also at %s)", s.Name, p.Child("imagePullSecrets").Index(j).Child("name"))))
		}
		seen[s.Name] = i
	}
	return errs
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
