//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/internal/testcluster"
)

// update rewrites the golden files under e2e/testdata from the current
// output: go test -tags e2e ./e2e -run TestKustomize -update. Read the diff
// before committing.
var update = flag.Bool("update", false, "rewrite the e2e golden files from the current output")

// One cluster for the whole package: starting etcd and kube-apiserver costs
// 5-15 s, so the tests share it (each in its own namespaces) instead of
// calling testcluster.Start each. It starts on first use, so a run of only
// the tests that do not need it (-run TestKpt) does not wait for it.
var shared struct {
	once sync.Once
	dir  string
	c    *testcluster.Cluster
	err  error
}

// The podgraft binary the tools execute: $PODGRAFT_BIN, else built once.
var binary struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared.c != nil {
		if code != 0 {
			// The harness's own tail printing is per test; here the logs stay
			// on disk and the paths are printed.
			fmt.Fprintf(os.Stderr, "e2e: the shared cluster's files are kept in %s (etcd.log, kube-apiserver.log)\n%s\n",
				shared.c.Dir, tail(filepath.Join(shared.c.Dir, "kube-apiserver.log"), 30))
		}
		if err := shared.c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stopping the shared cluster:", err)
			code = 1
		}
		if code == 0 {
			_ = os.RemoveAll(shared.dir)
		}
	}
	if err := stopContainerEngine(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: removing the container engine's folder:", err)
		code = 1
	}
	if binary.path != "" && os.Getenv("PODGRAFT_BIN") == "" {
		_ = os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// cluster returns the package's shared cluster, starting it on first use.
func cluster(t testing.TB) *testcluster.Cluster {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "podgraft-e2e-")
		if shared.err != nil {
			return
		}
		start := time.Now()
		shared.c, shared.err = testcluster.StartForHuman(shared.dir)
		if shared.err == nil {
			fmt.Fprintf(os.Stderr, "e2e: shared cluster ready in %s at %s\n", time.Since(start).Round(100*time.Millisecond), shared.c.Server)
		}
	})
	if shared.err != nil {
		t.Fatalf("starting the shared test cluster: %v", shared.err)
	}
	return shared.c
}

// podgraftBin is the podgraft binary that kustomize, kpt and helm run:
// $PODGRAFT_BIN (make e2e sets it to bin/podgraft), else one build for the
// whole package.
func podgraftBin(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		if b := os.Getenv("PODGRAFT_BIN"); b != "" {
			binary.path, binary.err = filepath.Abs(b)
			if binary.err == nil {
				_, binary.err = os.Stat(binary.path)
			}
			return
		}
		dir, err := os.MkdirTemp("", "podgraft-e2e-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "podgraft")
		build := exec.Command("go", "build", "-o", binary.path, "../cmd/podgraft")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build ../cmd/podgraft: %v\n%s", err, out)
		}
	})
	require.NoError(t, binary.err, "the podgraft binary (PODGRAFT_BIN=%q)", os.Getenv("PODGRAFT_BIN"))
	return binary.path
}

// tool is the path of a pinned tool in bin/tools (make tools builds them).
func tool(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(testcluster.ToolsBin(), name)
	_, err := os.Stat(p)
	require.NoError(t, err, "%s is missing from %s: run `make tools` (or set %s)", name, testcluster.ToolsBin(), testcluster.EnvToolsBin)
	return p
}

// repoRoot is the repository root, the parent of e2e/.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "the e2e tests run from e2e/ in the repository")
	return root
}

// testCtx is a context that ends with the test, bounded so that a hung tool
// fails the test instead of the whole run.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// cmdResult is what a finished command printed and how it exited.
type cmdResult struct {
	Stdout, Stderr string
	Err            error
}

// Output is everything the command printed, for failure messages.
func (r cmdResult) Output() string {
	return "--- stdout ---\n" + r.Stdout + "\n--- stderr ---\n" + r.Stderr
}

// run runs bin with args in dir, with env added to the environment.
func run(ctx context.Context, t testing.TB, dir string, env []string, bin string, args ...string) cmdResult {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("ran %s %s (%s)", filepath.Base(bin), strings.Join(args, " "), time.Since(start).Round(10*time.Millisecond))
	return cmdResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// runStdin runs bin with args and stdin in the test's directory.
func runStdin(ctx context.Context, t testing.TB, stdin, bin string, args ...string) cmdResult {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return cmdResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// createNamespace creates a namespace for one test; one that exists already
// (another test's golden data uses it) is fine.
func createNamespace(ctx context.Context, t testing.TB, c *testcluster.Cluster, name string, labels map[string]string) {
	t.Helper()
	err := c.CreateNamespace(ctx, name, labels)
	if testcluster.IsAlreadyExists(err) {
		return
	}
	require.NoError(t, err, "create namespace %s", name)
}

// copyDir copies the regular files of src (recursively) into dst.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	require.NoError(t, err)
}

// readTree maps every file below dir (relative, slash-separated) to its
// content, for byte-comparing a package before and after a tool ran.
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	require.NoError(t, err)
	return files
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		t.Logf("updated %s", path)
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; create it with -update")
	require.Equal(t, string(want), got, "output differs from %s (regenerate with -update and read the diff)", path)
}

// doc is one parsed document of a YAML stream.
type doc struct {
	Raw string
	Obj map[string]any
}

func (d doc) kind() string { return str(d.Obj, "kind") }
func (d doc) name() string { return str(d.Obj, "metadata", "name") }
func (d doc) id() string {
	if ns := str(d.Obj, "metadata", "namespace"); ns != "" {
		return d.kind() + " " + ns + "/" + d.name()
	}
	return d.kind() + " " + d.name()
}

// parseDocs splits a stream and parses every document.
func parseDocs(t testing.TB, stream string) []doc {
	t.Helper()
	var docs []doc
	for i, raw := range testcluster.SplitYAML(stream) {
		var obj map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(raw), &obj), "document %d:\n%s", i, raw)
		docs = append(docs, doc{Raw: raw, Obj: obj})
	}
	return docs
}

// findDoc returns the document of that kind and name.
func findDoc(t testing.TB, docs []doc, kind, name string) doc {
	t.Helper()
	for _, d := range docs {
		if d.kind() == kind && d.name() == name {
			return d
		}
	}
	require.Failf(t, "document not found", "no %s %s among %d documents", kind, name, len(docs))
	return doc{}
}

// str walks obj along keys and returns the string there, or "".
func str(obj map[string]any, keys ...string) string {
	v, _ := dig(obj, keys...).(string)
	return v
}

// dig walks nested maps; nil when a key is missing.
func dig(obj map[string]any, keys ...string) any {
	var cur any = obj
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// podTemplate returns the pod template of a workload object (Deployment,
// StatefulSet, DaemonSet, Job: spec.template; CronJob:
// spec.jobTemplate.spec.template; Pod: the object itself).
func podTemplate(t testing.TB, obj map[string]any) map[string]any {
	t.Helper()
	var tmpl any
	switch str(obj, "kind") {
	case "Pod":
		tmpl = obj
	case "CronJob":
		tmpl = dig(obj, "spec", "jobTemplate", "spec", "template")
	default:
		tmpl = dig(obj, "spec", "template")
	}
	m, ok := tmpl.(map[string]any)
	require.True(t, ok, "%s %s has no pod template", str(obj, "kind"), str(obj, "metadata", "name"))
	return m
}

// container is the part of a container the assertions look at.
type container struct {
	Name          string `json:"name"`
	Image         string `json:"image"`
	RestartPolicy string `json:"restartPolicy"`
	VolumeMounts  []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
}

// podSpec is the part of a pod spec the assertions look at.
type podSpec struct {
	InitContainers []container `json:"initContainers"`
	Containers     []container `json:"containers"`
	Volumes        []struct {
		Name      string `json:"name"`
		ConfigMap *struct {
			Name string `json:"name"`
		} `json:"configMap"`
	} `json:"volumes"`
}

// specOf decodes the pod spec of a workload object.
func specOf(t testing.TB, obj map[string]any) podSpec {
	t.Helper()
	b, err := json.Marshal(podTemplate(t, obj)["spec"])
	require.NoError(t, err)
	var s podSpec
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// countContainers counts the containers named name in both lists.
func (s podSpec) count(name string) int {
	n := 0
	for _, c := range append(append([]container{}, s.InitContainers...), s.Containers...) {
		if c.Name == name {
			n++
		}
	}
	return n
}

// find returns the container named name from either list.
func (s podSpec) find(name string) (container, bool) {
	for _, c := range append(append([]container{}, s.InitContainers...), s.Containers...) {
		if c.Name == name {
			return c, true
		}
	}
	return container{}, false
}

// configMapVolume is the ConfigMap name a volume refers to, or "".
func (s podSpec) configMapVolume(name string) string {
	for _, v := range s.Volumes {
		if v.Name == name && v.ConfigMap != nil {
			return v.ConfigMap.Name
		}
	}
	return ""
}

// graftRecord decodes the podgraft.dev/grafts annotation of a workload's pod
// template: graft name to its entry. nil when there is none.
func graftRecord(t testing.TB, obj map[string]any) map[string]map[string]any {
	t.Helper()
	raw := str(podTemplate(t, obj), "metadata", "annotations", "podgraft.dev/grafts")
	if raw == "" {
		return nil
	}
	var rec map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &rec), "podgraft.dev/grafts of %s %s", str(obj, "kind"), str(obj, "metadata", "name"))
	return rec
}

// jobCompleter plays the job controller the test cluster lacks: Helm waits
// for hook Jobs to complete, so it marks every Job of a namespace Complete
// through the status subresource, and keeps each Job as it was stored (hooks
// with hook-succeeded are deleted right after, so this is the only chance
// to look at them).
type jobCompleter struct {
	mu     sync.Mutex
	seen   []map[string]any
	cms    map[string][]string // Job uid: the ConfigMaps of the namespace when it ran
	done   map[string]bool     // uid
	errs   []error
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func completeJobs(t testing.TB, c *testcluster.Cluster, namespace string) *jobCompleter {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	jc := &jobCompleter{done: map[string]bool{}, cms: map[string][]string{}, cancel: cancel}
	jc.wg.Add(1)
	go func() {
		defer jc.wg.Done()
		tick := time.NewTicker(150 * time.Millisecond)
		defer tick.Stop()
		for {
			jc.poll(ctx, c, namespace)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(jc.stop)
	return jc
}

func (jc *jobCompleter) stop() {
	jc.cancel()
	jc.wg.Wait()
}

func (jc *jobCompleter) poll(ctx context.Context, c *testcluster.Cluster, namespace string) {
	jobs, err := c.List(ctx, "batch/v1", "Job", namespace, "")
	if err != nil {
		jc.fail(ctx, err)
		return
	}
	for _, job := range jobs {
		uid := str(job, "metadata", "uid")
		jc.mu.Lock()
		done := jc.done[uid]
		jc.mu.Unlock()
		if done {
			continue
		}
		cms, err := c.List(ctx, "v1", "ConfigMap", namespace, "")
		if err != nil {
			jc.fail(ctx, err)
			continue
		}
		var cmNames []string
		for _, cm := range cms {
			cmNames = append(cmNames, str(cm, "metadata", "name"))
		}
		now := time.Now().UTC().Format(time.RFC3339)
		patch := fmt.Sprintf(`{"status":{"startTime":%[1]q,"completionTime":%[1]q,"succeeded":1,"conditions":[`+
			`{"type":"SuccessCriteriaMet","status":"True","lastTransitionTime":%[1]q},`+
			`{"type":"Complete","status":"True","lastTransitionTime":%[1]q}]}}`, now)
		path := "/apis/batch/v1/namespaces/" + namespace + "/jobs/" + str(job, "metadata", "name") + "/status"
		if _, err := c.Do(ctx, http.MethodPatch, path, "application/merge-patch+json", []byte(patch)); err != nil {
			if !testcluster.IsNotFound(err) {
				jc.fail(ctx, err)
			}
			continue
		}
		jc.mu.Lock()
		jc.done[uid] = true
		jc.seen = append(jc.seen, job)
		jc.cms[uid] = cmNames
		jc.mu.Unlock()
	}
}

func (jc *jobCompleter) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return // stopping
	}
	jc.mu.Lock()
	jc.errs = append(jc.errs, err)
	jc.mu.Unlock()
}

// Jobs returns the Jobs completed so far named name, oldest first, as they
// were stored, and fails the test on any error the completer met.
func (jc *jobCompleter) Jobs(t testing.TB, name string) []map[string]any {
	t.Helper()
	jc.mu.Lock()
	defer jc.mu.Unlock()
	require.Empty(t, jc.errs, "the job completer failed")
	var out []map[string]any
	for _, j := range jc.seen {
		if str(j, "metadata", "name") == name {
			out = append(out, j)
		}
	}
	return out
}

// ConfigMapsWhenRun lists the ConfigMaps of the namespace at the moment the
// Job was completed (for a hook: before or after the release's resources).
func (jc *jobCompleter) ConfigMapsWhenRun(job map[string]any) []string {
	jc.mu.Lock()
	defer jc.mu.Unlock()
	return jc.cms[str(job, "metadata", "uid")]
}

// tail returns the last n lines of a file, for the failure report.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
