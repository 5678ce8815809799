package v1alpha1

import (
	"path"
	"reflect"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// defaultVolumes fills the volume defaults: isolate none, and a claim's
// access mode ReadWriteOnce (the API server requires one).
func defaultVolumes(s *Spec) {
	for i := range s.Volumes {
		v := &s.Volumes[i]
		if v.Isolate == "" {
			v.Isolate = IsolateNone
		}
		if v.Claim != nil && len(v.Claim.AccessModes) == 0 {
			v.Claim.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
		}
	}
}

// hostPath types that name a directory, which isolation appends to.
var dirHostPathTypes = []string{"", string(corev1.HostPathDirectoryOrCreate), string(corev1.HostPathDirectory)}

// AccessModes are the access modes a claim may request.
var AccessModes = []string{
	string(corev1.ReadWriteOnce), string(corev1.ReadOnlyMany), string(corev1.ReadWriteMany), string(corev1.ReadWriteOncePod),
}

// validateVolumes checks spec.volumes and spec.policy. What depends on the
// workload (containers to mount into, names that clash, the isolated
// hostPath against the policy) is checked per workload.
func validateVolumes(spec *field.Path, s Spec) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]*field.Path{}
	for i, v := range s.Volumes {
		p := spec.Child("volumes").Index(i)
		if v.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), "must not be empty"))
		} else {
			for _, msg := range validation.IsDNS1123Label(v.Name) {
				errs = append(errs, field.Invalid(p.Child("name"), v.Name, msg))
			}
			if first, dup := seen[v.Name]; dup {
				errs = append(errs, field.Duplicate(p.Child("name"), v.Name+" (also at "+first.String()+")"))
			}
			seen[v.Name] = p.Child("name")
		}
		sources := volumeSources(v)
		switch len(sources) {
		case 0:
			errs = append(errs, field.Required(p, "a volume source: a core/v1 VolumeSource field (emptyDir, hostPath, configMap, secret, persistentVolumeClaim, projected, ...) or files/fromFiles"))
		case 1:
		default:
			errs = append(errs, field.Forbidden(p.Child(sources[1]), "may not be specified together with "+sources[0]+": a volume has exactly one source"))
		}
		hasFiles := len(v.Files) > 0 || len(v.FromFiles) > 0
		if v.GeneratesSecret() && !hasFiles {
			errs = append(errs, field.Forbidden(p.Child("secret"), "secret: true only applies to a volume generated from files or fromFiles"))
		}
		if v.Secret != nil {
			for _, f := range v.Secret.unknown {
				errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: p.Child("secret").String() + "." + f, BadValue: field.OmitValueType{}, Detail: "unknown field"})
			}
		}
		if v.Secret != nil && v.Secret.Source != nil && v.Secret.Source.SecretName == "" {
			errs = append(errs, field.Required(p.Child("secret", "secretName"), "the Secret to mount"))
		}
		errs = append(errs, validateFiles(p, v)...)
		errs = append(errs, validateHostPath(p, v)...)
		errs = append(errs, validateClaim(p, v)...)
		errs = append(errs, validateMounts(p.Child("mounts"), v.Mounts)...)
	}
	for i, prefix := range s.Policy.AllowedHostPaths {
		p := spec.Child("policy", "allowedHostPaths").Index(i)
		if !path.IsAbs(prefix) {
			errs = append(errs, field.Invalid(p, prefix, "must be an absolute path"))
		} else if hasDotDot(prefix) {
			errs = append(errs, field.Invalid(p, prefix, "must not contain '..'"))
		}
	}
	return errs
}

// volumeSources names the sources a volume sets, in field order, with
// files/fromFiles counting as one.
func volumeSources(v Volume) []string {
	var out []string
	rv := reflect.ValueOf(v.VolumeSource)
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		if f := rv.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	if v.Secret != nil && v.Secret.Source != nil {
		out = append(out, "secret")
	}
	switch {
	case len(v.Files) > 0:
		out = append(out, "files")
	case len(v.FromFiles) > 0:
		out = append(out, "fromFiles")
	}
	return out
}

func validateFiles(p *field.Path, v Volume) field.ErrorList {
	var errs field.ErrorList
	keys := map[string]*field.Path{}
	names := make([]string, 0, len(v.Files))
	for k := range v.Files {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		kp := p.Child("files").Key(k)
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(kp, k, msg))
		}
		keys[k] = kp
	}
	for j, rel := range v.FromFiles {
		fp := p.Child("fromFiles").Index(j)
		switch {
		case rel == "":
			errs = append(errs, field.Required(fp, "a file path relative to the config's folder"))
			continue
		case path.IsAbs(rel) || strings.HasPrefix(rel, `\`):
			errs = append(errs, field.Invalid(fp, rel, "must be a path relative to the config's folder, not an absolute path"))
			continue
		case hasDotDot(rel):
			errs = append(errs, field.Invalid(fp, rel, "must not leave the config's folder (\"..\")"))
			continue
		}
		key := path.Base(strings.ReplaceAll(rel, `\`, "/"))
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(fp, rel, "the file name is the key in the generated resource: "+msg))
		}
		if first, dup := keys[key]; dup {
			errs = append(errs, field.Duplicate(fp, key+" (also at "+first.String()+")"))
		}
		keys[key] = fp
	}
	return errs
}

func validateHostPath(p *field.Path, v Volume) field.ErrorList {
	var errs field.ErrorList
	switch v.Isolate {
	case IsolateNone, IsolateNamespace, IsolateWorkload:
	default:
		return field.ErrorList{field.NotSupported(p.Child("isolate"), v.Isolate, []string{IsolateNone, IsolateNamespace, IsolateWorkload})}
	}
	if v.HostPath == nil {
		if v.Isolate != IsolateNone {
			errs = append(errs, field.Forbidden(p.Child("isolate"), "only applies to a hostPath volume"))
		}
		return errs
	}
	hp := p.Child("hostPath", "path")
	switch {
	case v.HostPath.Path == "":
		errs = append(errs, field.Required(hp, "an absolute path on the node"))
	case !path.IsAbs(v.HostPath.Path):
		errs = append(errs, field.Invalid(hp, v.HostPath.Path, "must be an absolute path"))
	case hasDotDot(v.HostPath.Path):
		errs = append(errs, field.Invalid(hp, v.HostPath.Path, "must not contain '..'"))
	}
	if v.Isolate != IsolateNone && v.HostPath.Type != nil {
		t := string(*v.HostPath.Type)
		ok := false
		for _, d := range dirHostPathTypes {
			ok = ok || t == d
		}
		if !ok {
			errs = append(errs, field.Invalid(p.Child("hostPath", "type"), t, "isolate appends a directory per namespace or workload, so the path must be a directory: use DirectoryOrCreate"))
		}
	}
	return errs
}

func validateClaim(p *field.Path, v Volume) field.ErrorList {
	var errs field.ErrorList
	pvc := v.PersistentVolumeClaim
	cp := p.Child("claim")
	if v.Claim == nil {
		if pvc != nil {
			errs = append(errs, validateClaimName(p.Child("persistentVolumeClaim", "claimName"), pvc.ClaimName)...)
		}
		return errs
	}
	if pvc == nil {
		return append(errs, field.Forbidden(cp, "only applies to a persistentVolumeClaim volume"))
	}
	if v.Claim.PerReplica {
		if pvc.ClaimName != "" && pvc.ClaimName != v.Name {
			errs = append(errs, field.Invalid(p.Child("persistentVolumeClaim", "claimName"), pvc.ClaimName,
				"with claim.perReplica the volumeClaimTemplates entry is named after the volume (each replica gets <volume>-<statefulset>-<ordinal>): use the volume's name, "+v.Name+", or leave claimName out"))
		}
		if pvc.ReadOnly {
			errs = append(errs, field.Forbidden(p.Child("persistentVolumeClaim", "readOnly"), "does not apply to a per-replica claim; set readOnly on the mounts"))
		}
	} else {
		errs = append(errs, validateClaimName(p.Child("persistentVolumeClaim", "claimName"), pvc.ClaimName)...)
	}
	for j, m := range v.Claim.AccessModes {
		errs = append(errs, oneOf(cp.Child("accessModes").Index(j), string(m), AccessModes...)...)
	}
	if v.Claim.StorageClassName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(v.Claim.StorageClassName) {
			errs = append(errs, field.Invalid(cp.Child("storageClassName"), v.Claim.StorageClassName, msg))
		}
	}
	sp := cp.Child("storage")
	if v.Claim.Storage == "" {
		errs = append(errs, field.Required(sp, "the size to request, e.g. 10Gi"))
	} else if q, err := resource.ParseQuantity(v.Claim.Storage); err != nil {
		errs = append(errs, field.Invalid(sp, v.Claim.Storage, "must be a quantity such as 10Gi or 500M"))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(sp, v.Claim.Storage, "must be greater than zero"))
	}
	return errs
}

func validateClaimName(p *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "the PersistentVolumeClaim to mount")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func validateMounts(p *field.Path, mounts []Mount) field.ErrorList {
	var errs field.ErrorList
	for j, m := range mounts {
		mp := p.Index(j)
		if len(m.Containers) == 0 && len(m.InitContainers) == 0 {
			errs = append(errs, field.Required(mp.Child("containers"), "container names or globs; \"*\" mounts into every app container and sidecar"))
		}
		errs = append(errs, validateContainerRefs(mp.Child("containers"), m.Containers)...)
		errs = append(errs, validateContainerRefs(mp.Child("initContainers"), m.InitContainers)...)
		if m.MountPath == "" {
			errs = append(errs, field.Required(mp.Child("mountPath"), "where the volume appears in the container"))
		} else if strings.Contains(m.MountPath, ":") {
			errs = append(errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must not contain ':'"))
		}
		if m.SubPath != "" {
			if path.IsAbs(m.SubPath) {
				errs = append(errs, field.Invalid(mp.Child("subPath"), m.SubPath, "must be a relative path"))
			} else if hasDotDot(m.SubPath) {
				errs = append(errs, field.Invalid(mp.Child("subPath"), m.SubPath, "must not contain '..'"))
			}
		}
	}
	return errs
}

func hasDotDot(p string) bool {
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return true
		}
	}
	return false
}

// validatePortRef checks a port given by name or number.
func validatePortRef(p *field.Path, port intstr.IntOrString, what string) field.ErrorList {
	var errs field.ErrorList
	switch {
	case port.Type == intstr.String && port.StrVal == "", port.Type == intstr.Int && port.IntVal == 0:
		errs = append(errs, field.Required(p, what))
	case port.Type == intstr.String:
		for _, msg := range validation.IsValidPortName(port.StrVal) {
			errs = append(errs, field.Invalid(p, port.StrVal, msg))
		}
	default:
		for _, msg := range validation.IsValidPortNum(int(port.IntVal)) {
			errs = append(errs, field.Invalid(p, port.IntVal, msg))
		}
	}
	return errs
}
