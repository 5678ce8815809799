package fn_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn"
)

const volumesHdr = "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: edge}\nspec:\n  volumes:\n"

func TestValidateVolumes(t *testing.T) {
	tests := map[string]struct{ volumes, want string }{
		"no source":        {"  - {name: v}", "spec.volumes[0]: Required value: a volume source"},
		"two sources":      {"  - {name: v, emptyDir: {}, hostPath: {path: /x}}", "spec.volumes[0].emptyDir: Forbidden: may not be specified together with hostPath"},
		"files and source": {"  - {name: v, secret: {secretName: s}, files: {a: b}}", "spec.volumes[0].files: Forbidden: may not be specified together with secret"},
		"secret true without files": {"  - {name: v, secret: true, emptyDir: {}}",
			"spec.volumes[0].secret: Forbidden: secret: true only applies to a volume generated from files or fromFiles"},
		"secret source without a name": {"  - {name: v, secret: {optional: true}}", "spec.volumes[0].secret.secretName: Required value"},
		"secret source unknown field":  {"  - {name: v, secret: {secretNam: s}}", `spec.volumes[0].secret.secretNam: Unsupported value: unknown field`},
		"secret of the wrong type":     {"  - {name: v, secret: yes-please, files: {a: b}}", "spec.volumes[0].secret: expected true, false or a secret volume source"},
		"bad name":                     {"  - {name: V_1, emptyDir: {}}", `spec.volumes[0].name: Invalid value: "V_1"`},
		"duplicate name":               {"  - {name: v, emptyDir: {}}\n  - {name: v, emptyDir: {}}", "spec.volumes[1].name: Duplicate value"},
		"bad isolate":                  {"  - {name: v, hostPath: {path: /x}, isolate: pod}", `spec.volumes[0].isolate: Unsupported value: "pod"`},
		"isolate without hostPath":     {"  - {name: v, emptyDir: {}, isolate: namespace}", "spec.volumes[0].isolate: Forbidden: only applies to a hostPath volume"},
		"isolate a file":               {"  - {name: v, hostPath: {path: /x, type: File}, isolate: namespace}", `spec.volumes[0].hostPath.type: Invalid value: "File"`},
		"relative hostPath":            {"  - {name: v, hostPath: {path: var/x}}", `spec.volumes[0].hostPath.path: Invalid value: "var/x": must be an absolute path`},
		"hostPath with ..":             {"  - {name: v, hostPath: {path: /var/../etc}}", "must not contain '..'"},
		"claim without a claim volume": {"  - {name: v, emptyDir: {}, claim: {storage: 1Gi}}", "spec.volumes[0].claim: Forbidden: only applies to a persistentVolumeClaim volume"},
		"bad storage":                  {"  - {name: v, persistentVolumeClaim: {claimName: c}, claim: {storage: lots}}", `spec.volumes[0].claim.storage: Invalid value: "lots"`},
		"zero storage":                 {"  - {name: v, persistentVolumeClaim: {claimName: c}, claim: {storage: '0'}}", "must be greater than zero"},
		"missing storage":              {"  - {name: v, persistentVolumeClaim: {claimName: c}, claim: {}}", "spec.volumes[0].claim.storage: Required value"},
		"bad access mode":              {"  - {name: v, persistentVolumeClaim: {claimName: c}, claim: {storage: 1Gi, accessModes: [RWX]}}", `spec.volumes[0].claim.accessModes[0]: Unsupported value: "RWX"`},
		"claim without a name":         {"  - {name: v, persistentVolumeClaim: {}}", "spec.volumes[0].persistentVolumeClaim.claimName: Required value"},
		"per-replica names the template": {"  - {name: v, persistentVolumeClaim: {claimName: c}, claim: {storage: 1Gi, perReplica: true}}",
			`spec.volumes[0].persistentVolumeClaim.claimName: Invalid value: "c": with claim.perReplica the volumeClaimTemplates entry is named after the volume`},
		"bad file key":          {"  - {name: v, files: {'a b': x}}", `spec.volumes[0].files[a b]: Invalid value: "a b"`},
		"file key twice":        {"  - {name: v, files: {nginx.conf: x}, fromFiles: [conf/nginx.conf]}", "spec.volumes[0].fromFiles[0]: Duplicate value: \"nginx.conf (also at spec.volumes[0].files[nginx.conf])"},
		"fromFiles escapes":     {"  - {name: v, fromFiles: [../x]}", `spec.volumes[0].fromFiles[0]: Invalid value: "../x": must not leave the config's folder`},
		"fromFiles absolute":    {"  - {name: v, fromFiles: [/etc/passwd]}", "not an absolute path"},
		"mount without targets": {"  - {name: v, emptyDir: {}, mounts: [{mountPath: /x}]}", "spec.volumes[0].mounts[0].containers: Required value"},
		"mount bad glob":        {"  - {name: v, emptyDir: {}, mounts: [{containers: ['[x'], mountPath: /x}]}", `spec.volumes[0].mounts[0].containers[0]: Invalid value: "[x": is not a valid glob`},
		"mount subPath escapes": {"  - {name: v, emptyDir: {}, mounts: [{containers: [web], mountPath: /x, subPath: /abs}]}", `spec.volumes[0].mounts[0].subPath: Invalid value: "/abs": must be a relative path`},
		"allowedHostPaths must be absolute": {"  - {name: v, emptyDir: {}}\n  policy: {allowedHostPaths: [var/cache]}",
			`spec.policy.allowedHostPaths[0]: Invalid value: "var/cache": must be an absolute path`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := fn.DecodeConfig(yaml.MustParse(volumesHdr+tc.volumes+"\n").YNode(), "graft.yaml, document 1", t.TempDir())
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDecodeVolumes(t *testing.T) {
	cfg, err := decodeConfig(t, volumesHdr+`  - {name: tls, secret: {secretName: shop-tls}}
  - {name: creds, secret: true, files: {password: x}}
  - {name: data, persistentVolumeClaim: {claimName: d}, claim: {storage: 1Gi}}
  sidecars:
    - {name: envoy, image: envoy, ports: [{containerPort: 10000}], fronts: {port: 3000, via: 10000}}
`, "graft.yaml, document 1", t.TempDir())
	require.NoError(t, err)
	v := cfg.Spec.Volumes
	require.Equal(t, "shop-tls", v[0].Secret.Source.SecretName, "a mapping is a secret volume source")
	require.True(t, v[1].Secret.Generate, "true generates a Secret from the files")
	require.Equal(t, "ReadWriteOnce", string(v[2].Claim.AccessModes[0]), "a claim defaults to ReadWriteOnce")
	require.Equal(t, int32(3000), cfg.Spec.Sidecars[0].Fronts.Port.IntVal, "fronts takes port numbers")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestFromFiles(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.txt"), "top secret")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "conf", "nginx.conf"), "events {}\n")
	writeFile(t, filepath.Join(dir, "big.bin"), strings.Repeat("x", fn.MaxFileSize+1))
	writeFile(t, filepath.Join(dir, "limit.bin"), strings.Repeat("x", fn.MaxFileSize))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "leak.txt")))
	require.NoError(t, os.Symlink("conf/nginx.conf", filepath.Join(dir, "alias.conf")))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "elsewhere")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644))

	load := func(files string) (*fn.Config, error) {
		return fn.DecodeConfig(yaml.MustParse(volumesHdr+"  - {name: conf, fromFiles: ["+files+"]}\n").YNode(), "graft.yaml, document 1", dir)
	}
	cfg, err := load("conf/nginx.conf, alias.conf, limit.bin")
	require.NoError(t, err, "a symlink that stays inside the folder is fine, and so is a file of exactly 1 MiB")
	require.Equal(t, "events {}\n", string(cfg.Files["conf"]["nginx.conf"]))
	require.Equal(t, "events {}\n", string(cfg.Files["conf"]["alias.conf"]))

	for files, want := range map[string]string{
		"leak.txt":              `spec.volumes[0].fromFiles[0]: Invalid value: "leak.txt": is a symlink to ` + filepath.Join(outside, "secret.txt"),
		"elsewhere/secret.txt":  "outside the config's folder",
		"missing.conf":          `spec.volumes[0].fromFiles[0]: Invalid value: "missing.conf": no such file`,
		"conf":                  "is not a regular file (a directory)",
		"pipe":                  "is not a regular file (a named pipe)",
		"big.bin":               "files may be at most 1048576 bytes (1 MiB)",
		"conf/nginx.conf, nope": `spec.volumes[0].fromFiles[1]: Invalid value: "nope"`,
	} {
		t.Run(files, func(t *testing.T) {
			_, err := load(files)
			require.Error(t, err)
			require.Contains(t, err.Error(), want)
		})
	}
}

func TestFromFilesContentIsInTheHash(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	doc := volumesHdr + "  - {name: conf, fromFiles: [nginx.conf]}\n"
	writeFile(t, conf, "a")
	a, err := fn.DecodeConfig(yaml.MustParse(doc).YNode(), "graft.yaml, document 1", dir)
	require.NoError(t, err)
	writeFile(t, conf, "b")
	b, err := fn.DecodeConfig(yaml.MustParse(doc).YNode(), "graft.yaml, document 1", dir)
	require.NoError(t, err)
	require.NotEqual(t, a.Hash, b.Hash, "a changed file makes the record stale, so the workloads are grafted again")
}
