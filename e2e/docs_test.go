//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/doccheck"
)

// docNeeds is what the blocks of one runnable tag need.
type docNeeds struct {
	helm   string // what `helm` is for them
	podman bool   // a container engine: podman, and docker as podman
	kpt    bool   // kpt on PATH
}

// e2eTags maps the runnable tags the e2e tests run to what their blocks
// need: the READMEs say `helm`, as users type it, and mark the Helm 4
// commands `<!-- runnable e2e helm4 -->`, the ones that run containers
// `podman`, and those that run kpt `kpt`.
var e2eTags = map[string]docNeeds{
	"e2e":            {helm: "helm3"},
	"e2e helm4":      {helm: "helm4"},
	"e2e kpt":        {helm: "helm3", kpt: true},
	"e2e podman":     {helm: "helm3", podman: true},
	"e2e podman kpt": {helm: "helm3", podman: true, kpt: true},
}

// TestDocsE2E runs every shell block that README.md and examples/*/README.md
// mark `<!-- runnable e2e -->` (or another tag of e2eTags) exactly as
// written, from the repository root, with `bash -euo pipefail`, the way a
// user with the tools installed would paste it: bin/ and bin/tools/ on
// PATH, and `helm` on PATH being bin/tools/helm3 (helm4 for `e2e helm4`).
// Blocks tagged podman get a private container engine, new and empty, one
// per README (engine_test.go): they build the images they run, and the
// machine's podman settings and images are never touched. Blocks tagged
// kpt are skipped where kpt is not on PATH, as the kpt tests are.
// Helm's homes are temporary, one set per README and Helm version, so the
// blocks of one README share them in order (a plugin installed in one
// block is there in the next), and Helm 3 never sees a Helm 4 plugin.
// A failing block is reported as file:line with its output.
//
// The blocks run ./bin/podgraft and kustomize exec functions run
// ../../bin/podgraft, so bin/podgraft must be the binary under test:
// `make e2e` builds it first.
func TestDocsE2E(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	_, err := os.Stat(filepath.Join(root, "bin", "podgraft"))
	require.NoError(t, err, "the READMEs run bin/podgraft: run `make build` (make e2e does)")
	if p := os.Getenv("PODGRAFT_BIN"); p != "" {
		same, err := sameFile(p, filepath.Join(root, "bin", "podgraft"))
		require.NoError(t, err)
		if !same {
			t.Logf("note: PODGRAFT_BIN=%s, but the READMEs' commands run bin/podgraft", p)
		}
	}
	files, err := doccheck.MarkdownFiles(root)
	require.NoError(t, err)
	blocks, err := doccheck.All(files...)
	require.NoError(t, err)

	// One directory per Helm version holding a `helm` that is it.
	shims := map[string]string{}
	for _, helm := range []string{"helm3", "helm4"} {
		dir := filepath.Join(t.TempDir(), helm)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.Symlink(tool(t, helm), filepath.Join(dir, "helm")))
		shims[helm] = dir
	}
	// `go install` in a README installs into a temporary GOBIN, not the user's.
	gobin := t.TempDir()
	homes := map[string][]string{}           // file + tag: HELM_* settings
	engines := map[string]*containerEngine{} // file + tag
	toolsBin := filepath.Dir(tool(t, "kustomize"))

	ran := 0
	for _, b := range blocks {
		rel, err := filepath.Rel(root, b.File)
		require.NoError(t, err)
		where := rel + ":" + strconv.Itoa(b.Line)
		if b.Tag == "" {
			continue // the unit tests run these (cmd/podgraft TestDocsRunAsWritten)
		}
		needs, known := e2eTags[b.Tag]
		helm := needs.helm
		if !known {
			t.Errorf("%s: unknown marker <!-- runnable %s -->: nothing runs it (known: <!-- runnable -->, %s)", where, b.Tag, knownTags())
			continue
		}
		key := rel + "\x00" + b.Tag
		if homes[key] == nil {
			dir := t.TempDir()
			homes[key] = []string{
				"HELM_DATA_HOME=" + filepath.Join(dir, "data"),
				"HELM_CONFIG_HOME=" + filepath.Join(dir, "config"),
				"HELM_CACHE_HOME=" + filepath.Join(dir, "cache"),
			}
		}
		path := []string{shims[helm], filepath.Join(root, "bin"), toolsBin}
		parent := t
		ran++
		t.Run(where, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Minute)
			env := append([]string{"GOBIN=" + gobin}, homes[key]...)
			path := append([]string{}, path...)
			if needs.kpt {
				if _, err := exec.LookPath("kpt"); err != nil {
					t.Skip("kpt is not on PATH: the kpt blocks need it (https://kpt.dev/installation/); skipping")
				}
			}
			if needs.podman {
				requireContainers(t) // skips (or fails in CI) where podman cannot run containers
				if engines[key] == nil {
					e, reason, err := newContainerEngine(parent.TempDir())
					require.NoError(t, err)
					require.Empty(t, reason)
					engines[key] = e
				}
				path = append(path, engines[key].Path)
				env = append(env, engines[key].Settings...)
			}
			env = append(env, "PATH="+strings.Join(append(path, os.Getenv("PATH")), string(os.PathListSeparator)))
			cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", b.Shell)
			cmd.Dir = root
			// Inherited HELM_* settings (HELM_PLUGINS above all) would
			// point Helm at the user's homes.
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "HELM_") && !strings.HasPrefix(kv, "PATH=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			t.Logf("%s (helm = %s) ran in %s", where, helm, time.Since(start).Round(10*time.Millisecond))
			require.NoError(t, err, "%s failed (bash -euo pipefail, from the repository root, helm = %s):\n%s\n--- output ---\n%s", where, helm, b.Shell, out.String())
		})
	}
	require.NotZero(t, ran, "no README marks a block <!-- runnable e2e -->")
}

func knownTags() string {
	var tags []string
	for tag := range e2eTags {
		tags = append(tags, "<!-- runnable "+tag+" -->")
	}
	sort.Strings(tags)
	return strings.Join(tags, ", ")
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}
