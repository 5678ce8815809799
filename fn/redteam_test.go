package fn

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// An escape in a double-quoted key can spell "podgraft.dev" without its
// bytes: a workload whose pod template carries its graft record as
// "podgraft\x2Edev/grafts" must still be read whole, or --remove, --check
// and a config that no longer targets it leave the old graft in place,
// unlike the full parse.
func TestHeaderScanSeesEscapedRecord(t *testing.T) {
	input := []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/part-of: other
spec:
  template:
    metadata:
      annotations:
        "podgraft\x2Edev/grafts": '{"shop-edge":{"hash":"39b14ce1a1","sidecars":["nginx"],"volumes":["static"],"mounts":["nginx:/srv/static","web:/srv/static"],"reach":[{"containers":["*"],"mount":{"name":"static","mountPath":"/srv/static"}}]}}'
    spec:
      initContainers:
      - name: nginx
        image: "nginx:1.27-alpine"
        ports:
        - name: proxy
          containerPort: 8080
        restartPolicy: Always
        volumeMounts:
        - name: static
          mountPath: /srv/static
      containers:
      - name: web
        image: web:1
        volumeMounts:
        - name: static
          mountPath: /srv/static
      volumes:
      - name: static
        emptyDir: {}
`)
	cfg := "../bench/testdata/graft.yaml"
	_, err := os.Stat(cfg)
	require.NoError(t, err)
	for _, mode := range []Mode{Apply, Remove, Check} {
		want := runWithHeaders(t, false, mode, []string{cfg}, input)
		require.NotContains(t, want, "podgraft\\x2Edev", "the full parse takes the graft out (mode %v)", mode)
		require.Equal(t, want, runWithHeaders(t, true, mode, []string{cfg}, input), "mode %v", mode)
	}
}
