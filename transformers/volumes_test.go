package transformers_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

const volumePod = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      initContainers:
        - {name: setup, image: s}
        - {name: agent, image: a, restartPolicy: Always}
      containers:
        - name: web
          image: shop/web:1
          volumeMounts: [{name: tmp, mountPath: /tmp}]
        - {name: worker, image: shop/worker:1}
      volumes:
        - {name: tmp, emptyDir: {}}
`

// volume builds a GraftVolume from its YAML, with mounts given as
// "containers|mountPath" where containers are comma-separated.
func volume(t *testing.T, src string, mounts ...string) transformers.GraftVolume {
	t.Helper()
	node := yaml.MustParse(src).YNode()
	v := transformers.GraftVolume{Name: yaml.NewRNode(node).Field("name").Value.YNode().Value, Source: "spec.volumes[0]", Node: node}
	for i, m := range mounts {
		containers, mountPath, _ := strings.Cut(m, "|")
		v.Mounts = append(v.Mounts, transformers.GraftMount{
			Source:     "spec.volumes[0].mounts[" + string(rune('0'+i)) + "]",
			Containers: strings.Split(containers, ","),
			MountPath:  mountPath,
			Node:       yaml.MustParse("mountPath: " + mountPath).YNode(),
		})
	}
	return v
}

// mountsOf lists "<container>:<volume>:<mountPath>" for every container.
func mountsOf(t *testing.T, r *yaml.RNode) []string {
	t.Helper()
	var out []string
	for _, list := range []string{"initContainers", "containers"} {
		seq, err := r.Pipe(yaml.Lookup("spec", "template", "spec", list))
		require.NoError(t, err)
		if seq == nil {
			continue
		}
		for _, c := range seq.Content() {
			cn := yaml.NewRNode(c)
			vm := cn.Field("volumeMounts")
			if vm == nil {
				continue
			}
			for _, m := range vm.Value.Content() {
				mn := yaml.NewRNode(m)
				out = append(out, cn.Field("name").Value.YNode().Value+":"+mn.Field("name").Value.YNode().Value+":"+mn.Field("mountPath").Value.YNode().Value)
			}
		}
	}
	return out
}

func TestVolumesMountTargets(t *testing.T) {
	tests := map[string]struct {
		mounts []string
		want   []string
	}{
		"star is every container that runs for the pod's lifetime": {
			mounts: []string{"*|/s"},
			want:   []string{"agent:s:/s", "web:tmp:/tmp", "web:s:/s", "worker:s:/s"},
		},
		"an init container that runs to completion is mounted when named": {
			mounts: []string{"setup|/s"},
			want:   []string{"setup:s:/s", "web:tmp:/tmp"},
		},
		"a glob does not reach a plain init container": {
			mounts: []string{"s*,w*|/s"},
			want:   []string{"web:tmp:/tmp", "web:s:/s", "worker:s:/s"},
		},
		"two mounts of one volume": {
			mounts: []string{"web|/a", "worker|/b"},
			want:   []string{"web:tmp:/tmp", "web:s:/a", "worker:s:/b"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := yaml.MustParse(volumePod)
			_, err := transformers.Volumes{Graft: "g", Items: []transformers.GraftVolume{volume(t, "name: s\nemptyDir: {}", tc.mounts...)}}.Filter([]*yaml.RNode{d})
			require.NoError(t, err)
			require.Equal(t, tc.want, mountsOf(t, d))
		})
	}
}

func TestVolumesRecordAndReuse(t *testing.T) {
	d := yaml.MustParse(volumePod)
	items := []transformers.GraftVolume{
		volume(t, "name: s\nemptyDir: {}", "web|/s"),
		// Same name and source as the pod's own volume: used as it is.
		volume(t, "name: tmp\nemptyDir: {}", "worker|/tmp"),
		// Exactly the mount the pod already has: used as it is.
		volume(t, "name: tmp\nemptyDir: {}", "web|/tmp"),
	}
	_, err := transformers.Volumes{Graft: "g", Items: items}.Filter([]*yaml.RNode{d})
	require.NoError(t, err)
	tmpls, err := transformers.Locator{}.Templates(d)
	require.NoError(t, err)
	rec, err := transformers.LoadRecord(tmpls[0])
	require.NoError(t, err)
	require.Equal(t, []string{"s"}, rec["g"].Volumes, "a volume the pod had is not recorded, so removal leaves it")
	require.Equal(t, []string{"web:/s", "worker:/tmp"}, rec["g"].Mounts)
	vols, err := d.Pipe(yaml.Lookup("spec", "template", "spec", "volumes"))
	require.NoError(t, err)
	require.Len(t, vols.Content(), 2)
}

func TestVolumesErrors(t *testing.T) {
	tests := map[string]struct {
		items   []transformers.GraftVolume
		allowed []string
		want    string
	}{
		"mount names no container": {
			items: []transformers.GraftVolume{volume(t, "name: s\nemptyDir: {}", "web,nginx|/s")},
			want:  `g: spec.volumes[0].mounts[0].containers names "nginx", but the pod has no such container`,
		},
		"glob matches nothing": {
			items: []transformers.GraftVolume{volume(t, "name: s\nemptyDir: {}", "proxy-*|/s")},
			want:  `spec.volumes[0].mounts[0].containers (proxy-*) matches no container of the pod`,
		},
		"volume name clash": {
			items: []transformers.GraftVolume{volume(t, "name: tmp\nhostPath: {path: /tmp}", "web|/x")},
			want:  `volume "tmp" (spec.volumes[0], hostPath) clashes with the pod's own volume "tmp" (emptyDir)`,
		},
		"mountPath taken": {
			items: []transformers.GraftVolume{volume(t, "name: s\nemptyDir: {}", "web|/tmp/")},
			want:  `mounts volume "s" at "/tmp/" in container "web", but the pod's own mount of volume "tmp" is already there`,
		},
		"two mounts at one path": {
			items: []transformers.GraftVolume{volume(t, "name: s\nemptyDir: {}", "*|/x", "web|/x")},
			want:  `spec.volumes[0].mounts[0] and spec.volumes[0].mounts[1] both mount at "/x" in container "web"`,
		},
		"hostPath outside the policy": {
			items:   []transformers.GraftVolume{volume(t, "name: c\nhostPath: {path: /var/cachex}", "web|/c")},
			allowed: []string{"/var/cache"},
			want:    `"/var/cachex" is outside spec.policy.allowedHostPaths (/var/cache)`,
		},
		"per-replica claim on a Deployment": {
			items: []transformers.GraftVolume{func() transformers.GraftVolume {
				v := volume(t, "name: d\npersistentVolumeClaim: {}", "web|/d")
				v.Claim = &transformers.Claim{Storage: "1Gi", PerReplica: true}
				return v
			}()},
			want: "only a StatefulSet has",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := yaml.MustParse(volumePod)
			before := d.MustString()
			_, err := transformers.Volumes{Graft: "g", Items: tc.items, AllowedHostPaths: tc.allowed}.Filter([]*yaml.RNode{d})
			require.Error(t, err)
			var rs framework.Results
			require.ErrorAs(t, err, &rs)
			require.Contains(t, rs.Error(), tc.want)
			require.Equal(t, "Deployment", rs[0].ResourceRef.Kind, "errors name the resource")
			require.Equal(t, before, d.MustString(), "nothing is written when a check fails")
		})
	}
}

// A volume or mount another graft added is never shared, even when it is
// the same: removing that graft would take it away from under this one.
func TestVolumesAnotherGraftsVolume(t *testing.T) {
	d := yaml.MustParse(volumePod)
	_, err := transformers.Volumes{Graft: "a", Items: []transformers.GraftVolume{volume(t, "name: s\nemptyDir: {}", "web|/s")}}.Filter([]*yaml.RNode{d})
	require.NoError(t, err)
	_, err = transformers.Volumes{Graft: "b", Items: []transformers.GraftVolume{volume(t, "name: s\nemptyDir: {}", "worker|/s")}}.Filter([]*yaml.RNode{d})
	require.ErrorContains(t, err, `b: volume "s" (spec.volumes[0], emptyDir) clashes with a's volume "s" (emptyDir)`)
	_, err = transformers.Volumes{Graft: "b", Items: []transformers.GraftVolume{volume(t, "name: t\nemptyDir: {}", "web|/s")}}.Filter([]*yaml.RNode{d})
	require.ErrorContains(t, err, `but a's mount of volume "s" is already there`)
}

func TestVolumesHostPathIsolation(t *testing.T) {
	tests := map[string]struct {
		isolate, namespace, path, want string
		allowed                        []string
	}{
		"none cleans the path":         {isolate: transformers.IsolateNone, namespace: "shop", path: "/var/cache//x/", want: "/var/cache/x"},
		"namespace":                    {isolate: transformers.IsolateNamespace, namespace: "shop", path: "/var/cache", want: "/var/cache/shop"},
		"workload":                     {isolate: transformers.IsolateWorkload, namespace: "shop", path: "/var/cache", want: "/var/cache/shop/web"},
		"policy checks the final path": {isolate: transformers.IsolateNamespace, namespace: "shop", path: "/var/cache", want: "/var/cache/shop", allowed: []string{"/var/cache/"}},
		"policy root allows all":       {isolate: transformers.IsolateNone, namespace: "shop", path: "/data", want: "/data", allowed: []string{"/"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := yaml.MustParse(strings.Replace(volumePod, "namespace: shop", "namespace: "+tc.namespace, 1))
			v := volume(t, "name: c\nhostPath: {path: "+tc.path+"}", "web|/c")
			v.Isolate = tc.isolate
			_, err := transformers.Volumes{Graft: "g", Items: []transformers.GraftVolume{v}, AllowedHostPaths: tc.allowed}.Filter([]*yaml.RNode{d})
			require.NoError(t, err)
			got, err := d.Pipe(yaml.Lookup("spec", "template", "spec", "volumes", "[name=c]", "hostPath", "path"))
			require.NoError(t, err)
			require.Equal(t, tc.want, got.YNode().Value)
		})
	}
	t.Run("isolation needs a namespace", func(t *testing.T) {
		d := yaml.MustParse(strings.Replace(volumePod, "namespace: shop", "labels: {}", 1))
		v := volume(t, "name: c\nhostPath: {path: /var/cache}", "web|/c")
		v.Isolate = transformers.IsolateNamespace
		_, err := transformers.Volumes{Graft: "g", Items: []transformers.GraftVolume{v}}.Filter([]*yaml.RNode{d})
		require.ErrorContains(t, err, "the workload has no namespace")
	})
}

func TestVolumesClaimTemplates(t *testing.T) {
	sts := yaml.MustParse(`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: db, image: postgres}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`)
	v := volume(t, "name: wal\npersistentVolumeClaim: {}", "db|/wal")
	v.Claim = &transformers.Claim{AccessModes: []string{"ReadWriteOnce"}, Storage: "2Gi", StorageClassName: "ssd", PerReplica: true}
	f := transformers.Volumes{Graft: "g", Items: []transformers.GraftVolume{v}}
	_, err := f.Filter([]*yaml.RNode{sts})
	require.NoError(t, err)
	templates, err := sts.Pipe(yaml.Lookup("spec", "volumeClaimTemplates"))
	require.NoError(t, err)
	require.Len(t, templates.Content(), 2, "the claim becomes a volumeClaimTemplates entry")
	require.Equal(t, "metadata:\n  name: wal\nspec:\n  accessModes:\n  - ReadWriteOnce\n  storageClassName: ssd\n  resources:\n    requests:\n      storage: 2Gi\n",
		yaml.NewRNode(templates.Content()[1]).MustString())
	vols, err := sts.Pipe(yaml.Lookup("spec", "template", "spec", "volumes"))
	require.NoError(t, err)
	require.Nil(t, vols, "no pod volume: the StatefulSet controller provides it")

	// Removal takes the entry out by metadata.name.
	_, err = transformers.Reconcile{Graft: "g", Remove: true}.Filter([]*yaml.RNode{sts})
	require.NoError(t, err)
	names, err := sts.Pipe(yaml.Lookup("spec", "volumeClaimTemplates"))
	require.NoError(t, err)
	require.Len(t, names.Content(), 1)
}
