package transformers_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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

func replaceHash(s, hash string) string { return strings.ReplaceAll(s, hash, "HASH") }
