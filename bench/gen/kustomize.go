package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// The strategic-merge patches below graft exactly what bench/testdata/graft.yaml
// grafts: a native nginx sidecar and an emptyDir "static" mounted at
// /srv/static in every container, on the workloads labelled part-of=shop.
//
// It takes six patch entries rather than two because a patch has one pod
// template path (CronJob's is deeper) and must name each container to mount
// into; for shop workloads the tier fixes the container names
// (shopContainersByTier). Each shop workload still receives exactly two
// patches, one sidecar and one volume, as with two label-targeted patches.

const shopSelector = "app.kubernetes.io/part-of=shop"

// kindsWithSpecTemplate are the generated kinds whose pod template is at spec.template.
const kindsWithSpecTemplate = "Deployment|StatefulSet|DaemonSet|Job"

type smPatch struct {
	file   string
	kind   string // kustomize target kind, a regular expression
	labels string // kustomize target labelSelector
	body   string
}

func shopPatches() []smPatch {
	sidecar := func(indent int) string {
		var y yamlWriter
		y.line(indent, "initContainers:")
		y.line(indent+2, "- name: nginx")
		y.line(indent+4, "image: nginx:1.27-alpine")
		y.line(indent+4, "restartPolicy: Always")
		y.line(indent+4, "ports:")
		y.line(indent+6, "- name: proxy")
		y.line(indent+8, "containerPort: 8080")
		y.line(indent+4, "volumeMounts:")
		y.line(indent+6, "- name: static")
		y.line(indent+8, "mountPath: /srv/static")
		return y.String()
	}
	volume := func(indent int, containers []string) string {
		var y yamlWriter
		y.line(indent, "containers:")
		for _, name := range containers {
			y.line(indent+2, "- name: %s", name)
			y.line(indent+4, "volumeMounts:")
			y.line(indent+6, "- name: static")
			y.line(indent+8, "mountPath: /srv/static")
		}
		y.line(indent, "volumes:")
		y.line(indent+2, "- name: static")
		y.line(indent+4, "emptyDir: {}")
		return y.String()
	}
	// podSpec wraps a pod spec body in the object path that leads to it.
	podSpec := func(apiVersion, kind, name, body string) string {
		head := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n", apiVersion, kind, name)
		if kind == "CronJob" {
			return head + "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n" + body
		}
		return head + "spec:\n  template:\n    spec:\n" + body
	}
	const templateSpec, cronJobSpec = 6, 10 // indentation of the pod spec's fields

	patches := []smPatch{
		{"sidecar.yaml", kindsWithSpecTemplate, shopSelector,
			podSpec("apps/v1", "Deployment", "shop-edge-sidecar", sidecar(templateSpec))},
		{"sidecar-cronjob.yaml", "CronJob", shopSelector,
			podSpec("batch/v1", "CronJob", "shop-edge-sidecar", sidecar(cronJobSpec))},
	}
	for _, tier := range []string{"web", "api"} {
		patches = append(patches, smPatch{"volume-" + tier + ".yaml", "Deployment|StatefulSet|DaemonSet", shopSelector + ",tier=" + tier,
			podSpec("apps/v1", "Deployment", "shop-edge-volume", volume(templateSpec, shopContainersByTier[tier]))})
	}
	patches = append(patches,
		smPatch{"volume-job.yaml", "Job", shopSelector + ",tier=batch",
			podSpec("batch/v1", "Job", "shop-edge-volume", volume(templateSpec, shopContainersByTier["batch"]))},
		smPatch{"volume-cronjob.yaml", "CronJob", shopSelector + ",tier=batch",
			podSpec("batch/v1", "CronJob", "shop-edge-volume", volume(cronJobSpec, shopContainersByTier["batch"]))},
	)
	return patches
}

// writeKustomizations writes three kustomizations over the same resources:
//
//	dir/patches:   the strategic-merge patches above
//	dir/exec:      podgraft as an exec KRM transformer, configured by graftConfig
//	dir/exec-noop: cat as the exec transformer: what kustomize itself spends
//	               on running any exec function, the floor under dir/exec
//
// Each holds its own copy of resources.yaml, so that all build the same way
// (kustomize will not load a file from outside the kustomization root).
func writeKustomizations(dir string, resources []byte, graftConfig []byte, podgraftPath string) error {
	patchesDir := filepath.Join(dir, "patches")
	for _, d := range []string{patchesDir, filepath.Join(dir, "exec"), filepath.Join(dir, "exec-noop")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "resources.yaml"), resources, 0o644); err != nil {
			return err
		}
	}

	var k strings.Builder
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- resources.yaml\npatches:\n")
	for _, p := range shopPatches() {
		if err := os.WriteFile(filepath.Join(patchesDir, p.file), []byte(p.body), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&k, "- path: %s\n  target:\n    kind: %s\n    labelSelector: %s\n", p.file, p.kind, p.labels)
	}
	if err := os.WriteFile(filepath.Join(patchesDir, "kustomization.yaml"), []byte(k.String()), 0o644); err != nil {
		return err
	}

	cat, err := exec.LookPath("cat")
	if err != nil {
		return err
	}
	for _, exec := range []struct{ dir, path string }{{"exec", podgraftPath}, {"exec-noop", cat}} {
		transformer, err := withExecAnnotation(graftConfig, exec.path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, exec.dir, "graft.yaml"), transformer, 0o644); err != nil {
			return err
		}
		kustomization := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- resources.yaml\ntransformers:\n- graft.yaml\n"
		if err := os.WriteFile(filepath.Join(dir, exec.dir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// withExecAnnotation returns the PodGraft with the annotation that makes
// kustomize run it as an exec KRM function:
//
//	config.kubernetes.io/function: |
//	  exec:
//	    path: <podgraftPath>
func withExecAnnotation(graftConfig []byte, podgraftPath string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(graftConfig, &doc); err != nil {
		return nil, fmt.Errorf("graft config: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("graft config: want one YAML mapping")
	}
	metadata := mappingValue(doc.Content[0], "metadata")
	annotations := mappingValue(metadata, "annotations")
	annotations.Content = append(annotations.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Value: "config.kubernetes.io/function"},
		&yaml.Node{Kind: yaml.ScalarNode, Style: yaml.LiteralStyle, Value: "exec:\n  path: " + podgraftPath + "\n"},
	)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// mappingValue returns the mapping under key in m, adding an empty one if absent.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			value := m.Content[i+1]
			if value.Kind != yaml.MappingNode { // e.g. "annotations:" with no value
				*value = yaml.Node{Kind: yaml.MappingNode}
			}
			// A flow mapping ({name: x}) is fine to extend, but write it in block style.
			value.Style = 0
			return value
		}
	}
	value := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
	return value
}
