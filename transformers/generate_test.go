package transformers_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

func TestFileSetName(t *testing.T) {
	conf := &transformers.FileSet{Data: map[string][]byte{"nginx.conf": []byte("server {}\n")}}
	same := &transformers.FileSet{Data: map[string][]byte{"nginx.conf": []byte("server {}\n")}}
	changed := &transformers.FileSet{Data: map[string][]byte{"nginx.conf": []byte("server { listen 80; }\n")}}
	renamed := &transformers.FileSet{Data: map[string][]byte{"default.conf": []byte("server {}\n")}}
	secret := &transformers.FileSet{Secret: true, Data: map[string][]byte{"nginx.conf": []byte("server {}\n")}}

	require.Regexp(t, `^edge-conf-[0-9a-f]{10}$`, conf.Name("edge", "conf"))
	require.Equal(t, conf.Name("edge", "conf"), same.Name("edge", "conf"), "the name follows the content only")
	require.NotEqual(t, conf.Hash(), changed.Hash(), "a content change changes the name, so the pods roll")
	require.NotEqual(t, conf.Hash(), renamed.Hash(), "a key change changes the name")
	require.NotEqual(t, conf.Hash(), secret.Hash(), "a Secret and a ConfigMap of one content differ")
}

func TestFileSetResource(t *testing.T) {
	tests := map[string]struct {
		fs   *transformers.FileSet
		want string
	}{
		"text as block scalars, binary in binaryData": {
			fs: &transformers.FileSet{Data: map[string][]byte{
				"nginx.conf": []byte("events {}\nhttp {}\n"), "mode": []byte("on"), "icon": {0xff, 0x00},
			}},
			want: `apiVersion: v1
kind: ConfigMap
metadata:
  name: g-v-HASH
  namespace: shop
  labels:
    podgraft.dev/generated-by: g
data:
  mode: "on"
  nginx.conf: |
    events {}
    http {}
binaryData:
  icon: /wA=
`,
		},
		"a Secret holds base64 data": {
			fs: &transformers.FileSet{Secret: true, Data: map[string][]byte{"password": []byte("s3cr3t")}},
			want: `apiVersion: v1
kind: Secret
metadata:
  name: g-v-HASH
  namespace: shop
  labels:
    podgraft.dev/generated-by: g
type: Opaque
data:
  password: czNjcjN0
`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.fs.Resource("g", "v", "shop").MustString()
			require.Equal(t, tc.want, replaceHash(got, tc.fs.Hash()))
		})
	}
}

func replaceHash(s, hash string) string {
	out := []byte(s)
	for i := 0; i+len(hash) <= len(out); i++ {
		if string(out[i:i+len(hash)]) == hash {
			out = append(out[:i], append([]byte("HASH"), out[i+len(hash):]...)...)
		}
	}
	return string(out)
}

func workload(kind, ns, name string) *yaml.RNode {
	api := "apps/v1"
	return yaml.MustParse("apiVersion: " + api + "\nkind: " + kind + "\nmetadata: {name: " + name + ", namespace: " + ns + "}\n" +
		"spec:\n  template:\n    metadata: {labels: {app: " + name + "}}\n    spec:\n      containers: [{name: web, image: w, ports: [{name: http, containerPort: 3000}]}]\n")
}

func TestPlanGenerated(t *testing.T) {
	conf := &transformers.FileSet{Data: map[string][]byte{"a.conf": []byte("a")}}
	claim := transformers.GraftVolume{Name: "data", Node: yaml.MustParse("name: data\npersistentVolumeClaim: {claimName: shop-data}").YNode(),
		Claim: &transformers.Claim{AccessModes: []string{"ReadWriteOnce"}, Storage: "1Gi"}}
	newPlan := func(remove bool) *transformers.Plan {
		return &transformers.Plan{Graft: "g", Remove: remove, Results: &transformers.Results{}, Touched: &transformers.Touched{},
			Volumes: []transformers.GraftVolume{{Name: "conf", Files: conf}, claim}}
	}
	name := conf.Name("g", "conf")
	current := conf.Resource("g", "conf", "shop")
	stale := (&transformers.FileSet{Data: map[string][]byte{"a.conf": []byte("old")}}).Resource("g", "conf", "shop")
	otherGraft := conf.Resource("other", "conf", "shop")
	userPVC := yaml.MustParse("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: shop-data, namespace: blog}\nspec: {}\n")

	p := newPlan(false)
	_, err := p.Collect().Filter([]*yaml.RNode{workload("Deployment", "shop", "web"), workload("Deployment", "blog", "web"), workload("StatefulSet", "shop", "db")})
	require.NoError(t, err)
	out := transformers.Outcome{Drop: map[*yaml.RNode]bool{}}
	held := []*yaml.RNode{stale, current, otherGraft, userPVC}
	p.Finish(held, &out)

	require.True(t, out.Drop[stale], "a stale generated resource is dropped")
	require.False(t, out.Drop[current], "a current one stays where it is")
	require.False(t, out.Drop[otherGraft], "another graft's resources are left alone")
	require.False(t, p.Touched.Has(current), "an identical one is not even re-encoded")
	var added []string
	for _, r := range out.Added {
		added = append(added, r.GetKind()+"/"+r.GetNamespace()+"/"+r.GetName())
	}
	require.Equal(t, []string{"ConfigMap/blog/" + name, "PersistentVolumeClaim/shop/shop-data"}, added,
		"one per namespace, never duplicated, never where the input has it")

	// Removal drops every resource the graft generated, and only those.
	p = newPlan(true)
	out = transformers.Outcome{Drop: map[*yaml.RNode]bool{}}
	p.Finish(held, &out)
	require.True(t, out.Drop[stale])
	require.True(t, out.Drop[current])
	require.False(t, out.Drop[otherGraft])
	require.False(t, out.Drop[userPVC])
	require.Empty(t, out.Added)
}

func TestPlanUpdatesAGeneratedClaim(t *testing.T) {
	claim := transformers.GraftVolume{Name: "data", Node: yaml.MustParse("name: data\npersistentVolumeClaim: {claimName: shop-data}").YNode(),
		Claim: &transformers.Claim{AccessModes: []string{"ReadWriteOnce"}, Storage: "20Gi"}}
	p := &transformers.Plan{Graft: "g", Results: &transformers.Results{}, Touched: &transformers.Touched{}, Volumes: []transformers.GraftVolume{claim}}
	_, err := p.Collect().Filter([]*yaml.RNode{workload("Deployment", "shop", "web")})
	require.NoError(t, err)
	old := yaml.MustParse(`apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: shop-data
  namespace: shop
  labels: {podgraft.dev/generated-by: g}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
`)
	out := transformers.Outcome{Drop: map[*yaml.RNode]bool{}}
	p.Finish([]*yaml.RNode{old}, &out)
	require.Empty(t, out.Added)
	require.False(t, out.Drop[old])
	require.True(t, p.Touched.Has(old), "the claim is updated where it is")
	storage, err := old.Pipe(yaml.Lookup("spec", "resources", "requests", "storage"))
	require.NoError(t, err)
	require.Equal(t, "20Gi", storage.YNode().Value)
}
