//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The tests here run the built binary on hostile input and hold it to
// safety limits: time and peak memory (wait4's maxrss) with generous
// margins, exit codes, and no output but a clear error. They are limits,
// not benchmarks: bench/ measures speed.

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// podgraftBinary builds the command once per test run.
func podgraftBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "podgraft-hostile-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "podgraft")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, binaryErr)
	return binaryPath
}

type binaryRun struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
	maxRSS         int64 // bytes
}

// spawnEnv makes the test binary a spawner (see TestMain): it runs the
// command in its arguments and writes the command's wait4 peak RSS to the
// file named here. Starting podgraft straight from the test process would
// skew its peak RSS: Go starts processes with vfork, and Linux counts the
// parent's peak, inherited at exec, in the child's maxrss; the test process
// grows to hundreds of MiB, a fresh spawner is a few.
const spawnEnv = "PODGRAFT_TEST_SPAWN_REPORT"

func TestMain(m *testing.M) {
	if report := os.Getenv(spawnEnv); report != "" {
		os.Exit(spawn(report, os.Args[1], os.Args[2:]))
	}
	code := m.Run()
	if binaryPath != "" {
		_ = os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}

func spawn(report, path string, args []string) int {
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		fmt.Fprintln(os.Stderr, "spawn:", err)
		return 125
	}
	var maxRSS int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = ru.Maxrss << 10 // Linux reports KiB
	}
	code := cmd.ProcessState.ExitCode()
	if err := os.WriteFile(report, []byte(fmt.Sprintf("%d %d", code, maxRSS)), 0o600); err != nil {
		return 125
	}
	if code < 0 {
		return 125
	}
	return code
}

// runBinary runs the built podgraft with args and stdin, through a
// spawner, stdout going to a buffer unless configure sets cmd.Stdout.
func runBinary(t *testing.T, stdin io.Reader, configure func(*exec.Cmd), args ...string) binaryRun {
	t.Helper()
	report := filepath.Join(t.TempDir(), "spawn-report")
	cmd := exec.Command(os.Args[0], append([]string{podgraftBinary(t)}, args...)...)
	cmd.Env = append(os.Environ(), spawnEnv+"="+report)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	if configure != nil {
		configure(cmd)
	}
	start := time.Now()
	err := cmd.Run()
	r := binaryRun{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		require.NoError(t, err)
	}
	b, err := os.ReadFile(report)
	require.NoError(t, err, "the spawner failed; stderr:\n%s", r.stderr)
	_, err = fmt.Sscan(string(b), &r.code, &r.maxRSS)
	require.NoError(t, err)
	require.NotEqual(t, -1, r.code, "podgraft was killed by a signal; stderr:\n%s", r.stderr)
	return r
}

const (
	miB = int64(1) << 20
	giB = int64(1) << 30
)

func (r binaryRun) within(t *testing.T, d time.Duration, rss int64) {
	t.Helper()
	t.Logf("%s, peak RSS %d MiB (limits: %s, %d MiB)", r.elapsed.Round(time.Millisecond), r.maxRSS/miB, d, rss/miB)
	require.Less(t, r.elapsed, d, "too slow; stderr:\n%s", r.stderr)
	if r.maxRSS > 0 {
		require.Less(t, r.maxRSS, rss, "peak RSS %d MiB; stderr:\n%s", r.maxRSS/miB, r.stderr)
	}
}

const hostileConfig = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: edge}
spec:
  requireReadinessProbe: "off"
  sidecars:
    - {name: nginx, image: nginx:1.27-alpine}
`

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func laughs(levels int) string {
	var b strings.Builder
	b.WriteString("  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 9), ", "))
	}
	return b.String()
}

// TestBinaryAliasBomb: a billion laughs, in a resource, in the config and
// in a ResourceList, is refused in under a second and 256 MB.
func TestBinaryAliasBomb(t *testing.T) {
	cfg := writeTemp(t, "graft.yaml", hostileConfig)
	bomb := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol, namespace: shop}\ndata:\n" + laughs(12)
	bombCfg := writeTemp(t, "bomb.yaml", hostileConfig+"  x:\n"+strings.ReplaceAll(laughs(12), "  a", "    a"))
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n" +
		"  {apiVersion: podgraft.dev/v1alpha1, kind: PodGraft, metadata: {name: edge}, spec: {sidecars: [{name: nginx, image: nginx}]}}\nitems:\n- " +
		strings.ReplaceAll(strings.TrimSuffix(bomb, "\n"), "\n", "\n  ") + "\n"
	for name, tc := range map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"in a resource":     {stdin: bomb, args: []string{"-c", cfg}, want: "stdin: document 1 (ConfigMap shop/lol): YAML alias *a10"},
		"in the config":     {stdin: "", args: []string{"-c", bombCfg}, want: "bomb.yaml, document 1: YAML alias *a10"},
		"in a ResourceList": {stdin: rl, want: "ConfigMap shop/lol: YAML alias *a10"},
		"in --remove mode":  {stdin: bomb, args: []string{"--remove", "-c", cfg}, want: "(a YAML alias bomb?)"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runBinary(t, strings.NewReader(tc.stdin), nil, tc.args...)
			require.Equal(t, exitError, r.code, "stderr:\n%s", r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.Contains(t, r.stderr, "(a YAML alias bomb?)")
			if len(tc.args) > 0 {
				require.Empty(t, r.stdout)
			} else {
				require.Contains(t, r.stdout, "kind: ResourceList")
			}
			r.within(t, time.Second, 256*miB)
		})
	}
}

// generateStream writes about size bytes of Deployments, each followed by
// a ConfigMap holding a 20 KB value: podgraft grafts one and copies the
// other through. As items, it writes them as ResourceList items.
func generateStream(w io.Writer, size int64, items bool) (workloads int, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	pair := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-%d, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: web, image: shop/web:1.2}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d, namespace: shop}\ndata:\n  blob: %s\n---\n"
	if items {
		pair = "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web-%d, namespace: shop}\n  spec:\n    template:\n      spec:\n        containers:\n          - {name: web, image: shop/web:1.2}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cm-%d, namespace: shop}\n  data:\n    blob: %s\n"
	}
	blob := strings.Repeat("x", 20_000)
	var n int64
	for n < size {
		k, err := fmt.Fprintf(bw, pair, workloads, workloads, blob)
		if err != nil {
			return workloads, err
		}
		n += int64(k)
		workloads++
	}
	return workloads, bw.Flush()
}

// TestBinaryLargeInput: a 64 MB stream is processed whole, in bounded time
// and memory.
func TestBinaryLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 64 MB input")
	}
	cfg := writeTemp(t, "graft.yaml", hostileConfig)
	input := filepath.Join(t.TempDir(), "input.yaml")
	f, err := os.Create(input)
	require.NoError(t, err)
	workloads, err := generateStream(f, 64*miB, false)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	r := runBinary(t, nil, nil, "-c", cfg, input)
	require.Equal(t, exitOK, r.code, "stderr:\n%s", r.stderr)
	require.Equal(t, workloads, strings.Count(r.stdout, "restartPolicy: Always"), "every Deployment grafted once")
	require.Equal(t, workloads, strings.Count(r.stdout, "kind: ConfigMap"))
	r.within(t, 30*time.Second, 1*giB)
}

// TestBinaryInputTooLarge: inputs over the limits are refused cleanly, not
// by the out-of-memory killer: a 300 MB document, a 300 MB stream and a
// 70 MB ResourceList, each streamed into podgraft as it reads.
func TestBinaryInputTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 600 MB through podgraft")
	}
	cfg := writeTemp(t, "graft.yaml", hostileConfig)
	feed := func(write func(w *bufio.Writer) error) io.Reader {
		pr, pw := io.Pipe()
		go func() {
			w := bufio.NewWriterSize(pw, 1<<20)
			err := write(w)
			if err == nil {
				err = w.Flush()
			}
			_ = pw.CloseWithError(err)
		}()
		t.Cleanup(func() { _ = pr.Close() })
		return pr
	}
	t.Run("one document", func(t *testing.T) {
		r := runBinary(t, feed(func(w *bufio.Writer) error {
			fmt.Fprint(w, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\ndata:\n")
			line := "  k: " + strings.Repeat("v", 95) + "\n"
			for i := 0; i < 300*int(miB)/len(line); i++ {
				if _, err := w.WriteString(line); err != nil {
					return err // podgraft stopped reading
				}
			}
			return nil
		}), nil, "-c", cfg)
		require.Equal(t, exitError, r.code, "stderr:\n%s", r.stderr)
		require.Empty(t, r.stdout)
		require.Contains(t, r.stderr, "podgraft: error: stdin: document 1: this document is larger than 32 MiB, the limit podgraft sets to stay within memory")
		r.within(t, 5*time.Second, 256*miB)
	})
	t.Run("a stream", func(t *testing.T) {
		r := runBinary(t, feed(func(w *bufio.Writer) error {
			_, err := generateStream(w, 300*miB, false)
			return err
		}), nil, "-c", cfg)
		require.Equal(t, exitError, r.code, "stderr:\n%s", r.stderr)
		require.Empty(t, r.stdout)
		require.Contains(t, r.stderr, "podgraft: error: stdin: document ")
		require.Contains(t, r.stderr, ": the input is larger than 256 MiB, the limit podgraft sets to stay within memory")
		r.within(t, 30*time.Second, 2*giB)
	})
	t.Run("a stream, --diff", func(t *testing.T) {
		r := runBinary(t, feed(func(w *bufio.Writer) error {
			_, err := generateStream(w, 300*miB, false)
			return err
		}), nil, "--diff", "-c", cfg)
		require.Equal(t, exitDiffError, r.code, "stderr:\n%s", r.stderr)
		require.Empty(t, r.stdout)
		require.Contains(t, r.stderr, "podgraft: error: reading stdin: the input is larger than 256 MiB")
		r.within(t, 30*time.Second, 2*giB)
	})
	t.Run("ResourceList", func(t *testing.T) {
		r := runBinary(t, feed(func(w *bufio.Writer) error {
			fmt.Fprint(w, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
			_, err := generateStream(w, 70*miB, true)
			return err
		}), nil)
		require.Equal(t, exitError, r.code, "stderr:\n%s", r.stderr)
		require.Contains(t, r.stdout, "kind: ResourceList")
		require.Contains(t, r.stdout, "the input is larger than 64 MiB")
		r.within(t, 10*time.Second, 512*miB)
	})
}

// TestBinaryDeepNesting: 100,000 nested lists fail cleanly and fast.
func TestBinaryDeepNesting(t *testing.T) {
	cfg := writeTemp(t, "graft.yaml", hostileConfig)
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n"
	r := runBinary(t, strings.NewReader(doc), nil, "-c", cfg)
	require.Equal(t, exitError, r.code, "stderr:\n%s", r.stderr)
	require.Contains(t, r.stderr, "exceeded max depth of 10000")
	r.within(t, time.Second, 256*miB)
}

const smallInput = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: web, image: shop/web:1.2}\n"

func smallResourceList() string {
	return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n" +
		"  {apiVersion: podgraft.dev/v1alpha1, kind: PodGraft, metadata: {name: edge}, spec: {sidecars: [{name: nginx, image: nginx}]}}\nitems:\n- " +
		strings.ReplaceAll(strings.TrimSuffix(smallInput, "\n"), "\n", "\n  ") + "\n"
}

// TestBinaryWriteFailures: a full disk and a closed pipe are errors with
// exit 1 and a message, not silence (nor a death by SIGPIPE).
func TestBinaryWriteFailures(t *testing.T) {
	cfg := writeTemp(t, "graft.yaml", hostileConfig)
	devFull := func(t *testing.T) func(*exec.Cmd) {
		f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skip("no /dev/full here")
		}
		t.Cleanup(func() { _ = f.Close() })
		return func(c *exec.Cmd) { c.Stdout = f }
	}
	closedPipe := func(t *testing.T) func(*exec.Cmd) {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		require.NoError(t, r.Close())
		t.Cleanup(func() { _ = w.Close() })
		return func(c *exec.Cmd) { c.Stdout = w }
	}
	for name, tc := range map[string]struct {
		stdout func(*testing.T) func(*exec.Cmd)
		stdin  string
		args   []string
		want   string
	}{
		"standalone, full disk":   {stdout: devFull, stdin: smallInput, args: []string{"-c", cfg}, want: "podgraft: error: writing the output: write /dev/stdout: no space left on device"},
		"standalone, closed pipe": {stdout: closedPipe, stdin: smallInput, args: []string{"-c", cfg}, want: "podgraft: error: writing the output: write /dev/stdout: broken pipe"},
		"KRM, full disk":          {stdout: devFull, stdin: smallResourceList(), want: "podgraft: error: writing the ResourceList: write /dev/stdout: no space left on device"},
		"KRM, closed pipe":        {stdout: closedPipe, stdin: smallResourceList(), want: "podgraft: error: writing the ResourceList: write /dev/stdout: broken pipe"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runBinary(t, strings.NewReader(tc.stdin), tc.stdout(t), tc.args...)
			require.Equal(t, exitError, r.code, "stderr:\n%s", r.stderr)
			require.Contains(t, r.stderr, tc.want)
		})
	}
}

// failingWriter fails every write, like a full disk.
type failingWriter struct{ writes int }

func (w *failingWriter) Write([]byte) (int, error) {
	w.writes++
	return 0, errors.New("no space left on device")
}

// TestRunWriteFailure is TestBinaryWriteFailures in-process: Run writes
// once, after the whole run, and reports the failure.
func TestRunWriteFailure(t *testing.T) {
	cfg := writeTemp(t, "graft.yaml", hostileConfig)
	for name, tc := range map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"standalone": {stdin: smallInput, args: []string{"-c", cfg, "-"}, want: "podgraft: error: writing the output: no space left on device"},
		"KRM":        {stdin: smallResourceList(), want: "podgraft: error: writing the ResourceList: no space left on device"},
	} {
		t.Run(name, func(t *testing.T) {
			var errb bytes.Buffer
			w := &failingWriter{}
			code := Run(tc.args, strings.NewReader(tc.stdin), w, &errb)
			require.Equal(t, exitError, code)
			require.Contains(t, errb.String(), tc.want)
			require.Equal(t, 1, w.writes, "the output is written in one piece")
		})
	}
}

// copyDir copies an example into dir with modes anyone can read.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	}))
}

// worldReadable opens the path from / down to dir to other users.
func worldReadable(t *testing.T, dir string) {
	t.Helper()
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		if fi.Mode().Perm()&0o005 != 0o005 {
			require.NoError(t, os.Chmod(d, fi.Mode().Perm()|0o005))
		}
	}
}

// TestBinaryUnprivileged: podgraft needs no privilege. Run as root, it
// runs the example as nobody (uid 65534) and gets the same output.
func TestBinaryUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not root: every test here already runs unprivileged")
	}
	dir := t.TempDir()
	copyDir(t, "../../examples/web-with-proxy", filepath.Join(dir, "example"))
	bin := filepath.Join(dir, "podgraft")
	b, err := os.ReadFile(podgraftBinary(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, b, 0o755))
	worldReadable(t, dir)
	example := filepath.Join(dir, "example")
	args := []string{"-c", filepath.Join(example, "graft.yaml"), filepath.Join(example, "input.yaml")}

	asRoot, err := exec.Command(bin, args...).Output()
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Dir = example
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Env = []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	asNobody, err := cmd.Output()
	require.NoError(t, err, "stderr:\n%s", stderr.String())
	require.Equal(t, string(asRoot), string(asNobody))
	want, err := os.ReadFile(filepath.Join(example, "expected.yaml"))
	require.NoError(t, err)
	require.Equal(t, string(want), string(asNobody))
}

// TestBinaryNoNetworkNoWrites traces the system calls of a run (when
// strace is there and may trace): podgraft opens no socket and opens no
// file for writing, in both modes, on an example that reads fromFiles.
func TestBinaryNoNetworkNoWrites(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed; TestImports still checks the code")
	}
	if out, err := exec.Command(strace, "-f", "-qq", "-e", "trace=none", "true").CombinedOutput(); err != nil {
		t.Skipf("strace cannot trace here (%v): %s", err, out)
	}
	example, err := filepath.Abs("../../examples/web-with-proxy")
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		stdin string
		args  []string
	}{
		"standalone": {args: []string{"-c", filepath.Join(example, "graft.yaml"), filepath.Join(example, "input.yaml")}},
		"KRM":        {stdin: smallResourceList()},
	} {
		t.Run(name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "strace.log")
			args := append([]string{"-f", "-qq", "-o", log, "-e", "trace=%network,openat,open,creat,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,symlink,symlinkat,link,linkat,truncate,chmod,fchmodat", podgraftBinary(t)}, tc.args...)
			cmd := exec.Command(strace, args...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			out, err := cmd.Output()
			require.NoError(t, err)
			require.NotEmpty(t, out)
			trace, err := os.ReadFile(log)
			require.NoError(t, err)
			write := regexp.MustCompile(`O_WRONLY|O_RDWR|O_CREAT|O_TRUNC`)
			if name == "standalone" {
				require.Contains(t, string(trace), `input.yaml", O_RDONLY`, "the trace misses the input file: is strace tracing?")
			}
			for _, line := range strings.Split(string(trace), "\n") {
				call := strings.TrimLeft(line, "0123456789 ")
				switch {
				case call == "", strings.HasPrefix(call, "+++"), strings.HasPrefix(call, "---"), strings.HasPrefix(call, "<..."):
				case strings.HasPrefix(call, "openat(") || strings.HasPrefix(call, "open("):
					require.False(t, write.MatchString(call), "podgraft opened a file for writing: %s", call)
				default:
					t.Errorf("podgraft made a network or file-changing system call: %s", call)
				}
			}
		})
	}
}

// TestImports: podgraft's own packages import nothing that reaches the
// network or runs programs, and call nothing that writes files. Networking
// code is linked in only through kyaml's OpenAPI dependencies (which the
// trace above shows are never used); a new dependency that brings it in
// shows up here for review.
func TestImports(t *testing.T) {
	forbidden := regexp.MustCompile(`^(net|net/.*|os/exec|plugin|crypto/tls|golang\.org/x/net/.*)$`)
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}|{{.Module}}|{{join .Imports \" \"}}", ".").Output()
	require.NoError(t, err)
	// Third-party packages allowed to import net/http or os/exec, each
	// for code podgraft does not call: loading OpenAPI documents by URL,
	// apimachinery's HTTP helpers, and the HTTP/2 implementation itself.
	allowed := []string{
		"github.com/go-openapi/swag/loading",
		"github.com/google/gnostic-models/compiler",
		"k8s.io/apimachinery/pkg/util/net",
		"k8s.io/apimachinery/pkg/util/runtime",
		"golang.org/x/net/http2",
		"golang.org/x/net/http/httpguts",
		"golang.org/x/net/idna",
		"golang.org/x/net/internal/httpcommon",
		"golang.org/x/net/http2/hpack",
		"k8s.io/kube-openapi/pkg/validation/strfmt",
		"k8s.io/kube-openapi/pkg/validation/spec",
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg, module, imports := parts[0], parts[1], strings.Fields(parts[2])
		if module == "<nil>" || module == "" {
			continue // the standard library
		}
		for _, imp := range imports {
			if !forbidden.MatchString(imp) {
				continue
			}
			if strings.HasPrefix(pkg, "github.com/podgraft/podgraft") {
				t.Errorf("%s imports %s: podgraft never touches the network or runs programs", pkg, imp)
			} else if (imp == "net/http" || imp == "os/exec") && !slices.Contains(allowed, pkg) {
				t.Errorf("%s (module %s) imports %s: review what it does and add it to the allowed list if podgraft cannot reach it", pkg, module, imp)
			}
		}
	}

	// No call that writes files, in podgraft's non-test code.
	writers := map[string]bool{"Create": true, "CreateTemp": true, "WriteFile": true, "Mkdir": true, "MkdirAll": true, "MkdirTemp": true,
		"Remove": true, "RemoveAll": true, "Rename": true, "Symlink": true, "Link": true, "Chmod": true, "Chown": true, "Truncate": true, "OpenFile": true}
	for _, dir := range []string{".", "../../fn", "../../transformers"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			if file == "copybinary.go" {
				continue // `podgraft copy-binary DIR` writes one file, itself, when asked to; the grafting modes never reach it
			}
			if file == "logfile.go" {
				continue // --log-file appends to the one file it names, when asked to (TestLogFile)
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
			require.NoError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "os" || x.Name == "ioutil") && writers[sel.Sel.Name] {
					t.Errorf("%s calls %s.%s: podgraft never writes files", file, x.Name, sel.Sel.Name)
				}
				return true
			})
		}
	}
}

// TestBadInputFromFiles covers the fromFiles rules that need files no
// repository can hold: a file over 1 MiB, a named pipe (which would block
// a reader that opened it), a device (as root), a file nobody may read (as
// a user). Each case runs in standalone mode and, from the config's
// folder, in KRM mode; none may hang.
func TestBadInputFromFiles(t *testing.T) {
	for name, tc := range map[string]struct {
		setup func(t *testing.T, path string)
		want  string // "" for success
	}{
		"exactly 1 MiB": {setup: func(t *testing.T, p string) {
			require.NoError(t, os.WriteFile(p, bytes.Repeat([]byte("x"), 1<<20), 0o644))
		}},
		"over 1 MiB": {setup: func(t *testing.T, p string) {
			require.NoError(t, os.WriteFile(p, bytes.Repeat([]byte("x"), 1<<20+1), 0o644))
		}, want: `spec.volumes[0].fromFiles[0]: Invalid value: "conf.txt": is 1048577 bytes; files may be at most 1048576 bytes (1 MiB)`},
		"named pipe": {setup: func(t *testing.T, p string) {
			require.NoError(t, syscall.Mkfifo(p, 0o644))
		}, want: `spec.volumes[0].fromFiles[0]: Invalid value: "conf.txt": is not a regular file (a named pipe)`},
		"device": {setup: func(t *testing.T, p string) {
			if os.Geteuid() != 0 {
				t.Skip("only root may create a device node")
			}
			require.NoError(t, syscall.Mknod(p, syscall.S_IFCHR|0o644, int(unix1x3())))
		}, want: `spec.volumes[0].fromFiles[0]: Invalid value: "conf.txt": is not a regular file (a device)`},
		"symlink to a device": {setup: func(t *testing.T, p string) {
			require.NoError(t, os.Symlink("/dev/zero", p))
		}, want: `spec.volumes[0].fromFiles[0]: Invalid value: "conf.txt": is a symlink to /dev/zero, outside the config's folder`},
		"unreadable": {setup: func(t *testing.T, p string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads every file")
			}
			require.NoError(t, os.WriteFile(p, []byte("x"), 0o000))
		}, want: `spec.volumes[0].fromFiles[0]: Invalid value: "conf.txt": cannot read it: permission denied`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, filepath.Join(dir, "conf.txt"))
			graft := "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: edge}\nspec:\n  volumes:\n    - name: conf\n      fromFiles: [conf.txt]\n      mounts: [{containers: [web], mountPath: /etc/conf}]\n"
			cfg := filepath.Join(dir, "graft.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(graft), 0o644))
			input := "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: web, image: web}]\n"

			var stdout, stderr string
			var code int
			withTimeout(t, func() { stdout, stderr, code = runCLI(t, []byte(input), "-c", cfg, "-") })
			if tc.want == "" {
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
			} else {
				require.Equal(t, exitError, code, "stderr: %s", stderr)
				require.Empty(t, stdout)
				require.Contains(t, stderr, "podgraft: error: PodGraft edge ("+cfg+", document 1): "+tc.want)
			}

			t.Chdir(dir) // KRM mode reads fromFiles from the working directory
			rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n" + indent(graft) + "items:\n- " + strings.ReplaceAll(strings.TrimSuffix(input, "\n"), "\n", "\n  ") + "\n"
			withTimeout(t, func() { stdout, stderr, code = runCLI(t, []byte(rl)) })
			msgs := resultMessages(t, parseResourceList(t, stdout))
			if tc.want == "" {
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
				return
			}
			require.Equal(t, exitError, code, "stderr: %s", stderr)
			require.Contains(t, msgs, "podgraft: error: PodGraft edge: "+tc.want)
		})
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// unix1x3 is the device number of /dev/null (major 1, minor 3).
func unix1x3() uint64 { return 1<<8 | 3 }

// withTimeout fails the test when f does not return within ten seconds,
// rather than hanging the whole run (a named pipe would block a reader).
func withTimeout(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("podgraft did not return within 10s")
	}
}
