package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// A Pod is grafted as the pod template of the workload it belongs to, so
// that targets.kinds and targets.names mean at admission what they mean at
// render time, and the same template grafts to the same bytes either way.
// The workload is told from the Pod alone (no API calls on the request
// path): its controlling owner, where a ReplicaSet named
// <deployment>-<pod-template-hash> counts as its Deployment and a Job named
// <cronjob>-<scheduled minute> counts as its CronJob.

// workload is what a Pod is grafted as.
type workload struct {
	APIVersion, Kind, Name string
	// path is where the kind keeps its pod template; nil grafts the Pod
	// as itself.
	path []string
}

// builtinOwners are the kinds that own Pods, or own what owns them, with
// where they keep the pod template.
var builtinOwners = map[string][]string{
	"apps/ReplicaSet":        {"spec", "template"},
	"apps/Deployment":        {"spec", "template"},
	"apps/StatefulSet":       {"spec", "template"},
	"apps/DaemonSet":         {"spec", "template"},
	"batch/Job":              {"spec", "template"},
	"batch/CronJob":          {"spec", "jobTemplate", "spec", "template"},
	"/ReplicationController": {"spec", "template"},
}

// cronJobSuffix is what the CronJob controller appends to a Job's name:
// the scheduled time in minutes since the epoch, 8 digits from 1989 to 2160.
var cronJobSuffix = regexp.MustCompile(`^(.+)-[0-9]{8}$`)

// podMeta is the part of a Pod's metadata that decides what it is grafted
// as. It is only read: the Pod is never written back from a typed struct.
type podMeta struct {
	Name            string            `json:"name"`
	Labels          map[string]string `json:"labels"`
	Annotations     map[string]string `json:"annotations"`
	OwnerReferences []ownerReference  `json:"ownerReferences"`
}

type ownerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Controller *bool  `json:"controller"`
}

// mirrorAnnotation marks the API server's copy of a static Pod, which the
// kubelet recreates whenever it differs from the file it runs.
const mirrorAnnotation = "kubernetes.io/config.mirror"

// workloadOf tells what the Pod is grafted as. templatePaths holds the
// custom kinds the configs declare ("group/Kind" to path).
func workloadOf(meta podMeta, templatePaths map[string][]string) workload {
	for _, ref := range meta.OwnerReferences {
		if ref.Controller == nil || !*ref.Controller || ref.Name == "" {
			continue
		}
		group, _, _ := strings.Cut(ref.APIVersion, "/")
		if !strings.Contains(ref.APIVersion, "/") {
			group = "" // the core group: "v1"
		}
		key := group + "/" + ref.Kind
		switch key {
		case "apps/ReplicaSet":
			if hash := meta.Labels["pod-template-hash"]; hash != "" {
				if deploy, ok := strings.CutSuffix(ref.Name, "-"+hash); ok && deploy != "" {
					return workload{APIVersion: "apps/v1", Kind: "Deployment", Name: deploy, path: builtinOwners["apps/Deployment"]}
				}
			}
		case "batch/Job":
			if m := cronJobSuffix.FindStringSubmatch(ref.Name); m != nil {
				return workload{APIVersion: "batch/v1", Kind: "CronJob", Name: m[1], path: builtinOwners["batch/CronJob"]}
			}
		}
		if path, ok := templatePaths[key]; ok {
			return workload{APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, path: path}
		}
		if path, ok := builtinOwners[key]; ok {
			return workload{APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, path: path}
		}
		break // an owner podgraft does not know: the Pod is grafted as itself
	}
	return workload{APIVersion: "v1", Kind: "Pod", Name: meta.Name}
}

// object is a JSON object whose values stay as they came.
type object map[string]json.RawMessage

// wrap builds the document to graft: the Pod itself, with the request's
// namespace, or a workload of w's kind whose pod template holds the Pod's
// metadata and spec, with the Pod's labels and annotations as its own.
func wrap(pod object, w workload, namespace string) ([]byte, error) {
	meta, err := field(pod, "metadata")
	if err != nil {
		return nil, err
	}
	ns, err := json.Marshal(namespace)
	if err != nil {
		return nil, err
	}
	if w.path == nil {
		doc := clone(pod)
		m := clone(meta)
		m["namespace"] = ns
		if doc["metadata"], err = json.Marshal(m); err != nil {
			return nil, err
		}
		return json.Marshal(doc)
	}
	name, err := json.Marshal(w.Name)
	if err != nil {
		return nil, err
	}
	m := object{"name": name, "namespace": ns}
	for _, k := range []string{"labels", "annotations"} {
		if v, ok := meta[k]; ok {
			m[k] = v
		}
	}
	template := object{"metadata": pod["metadata"]}
	if spec, ok := pod["spec"]; ok {
		template["spec"] = spec
	}
	var inner any = template
	for i := len(w.path) - 1; i >= 0; i-- {
		inner = map[string]any{w.path[i]: inner}
	}
	apiVersion, kind := mustJSON(w.APIVersion), mustJSON(w.Kind)
	metaJSON, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": json.RawMessage(metaJSON)}
	for k, v := range inner.(map[string]any) {
		doc[k] = v
	}
	return json.Marshal(doc)
}

// unwrap takes the grafted metadata and spec out of the grafted document
// and puts them into the Pod as it came: every other field is the
// request's own, and so is the Pod's namespace (or its absence).
func unwrap(pod object, grafted []byte, w workload) ([]byte, error) {
	var doc object
	if err := json.Unmarshal(grafted, &doc); err != nil {
		return nil, fmt.Errorf("reading the grafted document: %w", err)
	}
	tmpl := doc
	for _, seg := range w.path {
		next, err := field(tmpl, seg)
		if err != nil {
			return nil, fmt.Errorf("the grafted %s has no pod template: %w", w.Kind, err)
		}
		tmpl = next
	}
	meta, err := field(tmpl, "metadata")
	if err != nil {
		return nil, err
	}
	orig, err := field(pod, "metadata")
	if err != nil {
		return nil, err
	}
	meta = clone(meta)
	if ns, ok := orig["namespace"]; ok {
		meta["namespace"] = ns
	} else {
		delete(meta, "namespace")
	}
	out := clone(pod)
	if out["metadata"], err = json.Marshal(meta); err != nil {
		return nil, err
	}
	if spec, ok := tmpl["spec"]; ok {
		out["spec"] = spec
	}
	return json.Marshal(out)
}

// field decodes the object under key; a missing or null one is empty.
func field(o object, key string) (object, error) {
	raw, ok := o[key]
	if !ok || string(raw) == "null" {
		return object{}, nil
	}
	var v object
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", key, errors.New("expected an object"))
	}
	return v, nil
}

func clone(o object) object {
	c := make(object, len(o)+1)
	for k, v := range o {
		c[k] = v
	}
	return c
}

func mustJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}
