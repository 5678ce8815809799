//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// functionImage is the tag the container tests build from the binary under
// test, and the one examples/container-function/graft.yaml names.
const functionImage = "ghcr.io/podgraft/podgraft:dev"

// envRequirePodman makes a machine without a working podman fail the
// container tests instead of skipping them; .ci/run sets it.
const envRequirePodman = "PODGRAFT_REQUIRE_PODMAN"

// containersConf holds the two settings podman needs on this project's
// machines (checked with Debian's podman 4.3.1): crun fails there ("cgroups
// in hybrid mode not supported"), and podman's default rlimits cannot be
// set ("setrlimit RLIMIT_NOFILE: operation not permitted"). The rest keeps
// podman's state and temporary files inside the engine's folder.
const containersConf = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
events_logger = "none"
tmp_dir = "%[1]s/libpod"
image_copy_tmp_dir = "%[1]s/tmp"

[network]
network_config_dir = "%[1]s/networks"
`

const storageConf = `[storage]
driver = "overlay"
graphroot = "%[1]s/storage"
runroot = "%[1]s/run"
`

// kustomize runs `docker` for container functions; this one is podman.
const dockerShim = "#!/bin/sh\nexec podman \"$@\"\n"

// containerEngine is a private podman: its own containers.conf, image
// store and temporary folders, and a `docker` that execs podman, all in one
// temporary folder. Tools run with Env see only it; the machine's podman
// settings and images are never read or changed.
type containerEngine struct {
	dir string
	// Path is what goes first on PATH: the docker shim, then podman's folder.
	Path string
	// Settings point podman at the engine's files.
	Settings []string
}

// Env is the environment that tools run with: the settings, and Path
// first on PATH.
func (e *containerEngine) Env() []string {
	return append(append([]string{}, e.Settings...), "PATH="+e.Path+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// newContainerEngine sets up an engine in dir. The reason is non-empty when
// podman cannot run a container here, saying why.
func newContainerEngine(dir string) (e *containerEngine, reason string, err error) {
	podman, err := exec.LookPath("podman")
	if err != nil {
		return nil, "podman is not on PATH (Debian: apt-get install podman runc)", nil
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return nil, "runc is not on PATH (Debian: apt-get install runc); podman needs it here, crun fails", nil
	}
	shims := filepath.Join(dir, "bin")
	for _, d := range []string{shims, filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, "", err
		}
	}
	files := map[string]string{
		"containers.conf": fmt.Sprintf(containersConf, dir),
		"storage.conf":    fmt.Sprintf(storageConf, dir),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return nil, "", err
		}
	}
	if err := os.WriteFile(filepath.Join(shims, "docker"), []byte(dockerShim), 0o755); err != nil {
		return nil, "", err
	}
	e = &containerEngine{dir: dir, Path: shims + string(os.PathListSeparator) + filepath.Dir(podman)}
	e.Settings = []string{
		"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf"),
		"TMPDIR=" + filepath.Join(dir, "tmp"),
		"KPT_FN_RUNTIME=podman",
	}
	return e, "", nil
}

// podman runs podman in the engine and returns its stdout; the error
// carries stderr.
func (e *containerEngine) podman(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "podman", args...)
	cmd.Env = append(os.Environ(), e.Env()...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("podman %s: %v\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// buildImage builds the Dockerfile of the repository with binary as
// bin/podgraft, tagged tag. The context is a temporary copy of exactly what
// the Dockerfile reads, so that it is the binary under test that goes in.
func (e *containerEngine) buildImage(ctx context.Context, root, binary, version, tag string) error {
	ctxDir := filepath.Join(e.dir, "context")
	for src, dst := range map[string]string{
		filepath.Join(root, "Dockerfile"):                "Dockerfile",
		filepath.Join(root, ".dockerignore"):             ".dockerignore",
		filepath.Join(root, "deploy", "image", "passwd"): "deploy/image/passwd",
		filepath.Join(root, "deploy", "image", "group"):  "deploy/image/group",
		binary: "bin/podgraft",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		target := filepath.Join(ctxDir, dst)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o755); err != nil {
			return err
		}
	}
	_, err := e.podman(ctx, "", "build", "--quiet", "--build-arg", "VERSION="+version, "-t", tag, ctxDir)
	return err
}

// remove deletes the engine's folder. No container outlives its test
// (every run is --rm), and podman unmounts its store when a command ends;
// a podman killed half-way (a timed-out run) can leave the store's
// overlay folder mounted on itself, so what is still mounted below the
// folder is unmounted first.
func (e *containerEngine) remove() error {
	if mounts, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for line := range strings.SplitSeq(string(mounts), "\n") {
			fields := strings.Fields(line)
			if len(fields) > 4 && strings.HasPrefix(fields[4], e.dir+"/") {
				_ = syscall.Unmount(fields[4], 0)
			}
		}
	}
	return os.RemoveAll(e.dir)
}

// The package's engine, with functionImage built from the binary under
// test: set up on first use, removed by TestMain.
var engine struct {
	once    sync.Once
	e       *containerEngine
	version string // what the image's podgraft prints for `version`
	reason  string
	err     error
}

// requireContainers returns the package's engine with functionImage in
// it. Where podman cannot start a container the test is skipped with the
// reason, unless PODGRAFT_REQUIRE_PODMAN=1 (CI), where it fails.
func requireContainers(t *testing.T) *containerEngine {
	t.Helper()
	engine.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		dir, err := os.MkdirTemp("", "podgraft-e2e-podman-")
		if err != nil {
			engine.err = err
			return
		}
		engine.e, engine.reason, engine.err = newContainerEngine(dir)
		if engine.e == nil {
			_ = os.RemoveAll(dir)
			return
		}
		start := time.Now()
		bin := podgraftBin(t)
		out, err := exec.CommandContext(ctx, bin, "version").Output()
		if err != nil {
			engine.err = fmt.Errorf("%s version: %v", bin, err)
			return
		}
		engine.version = strings.TrimSpace(strings.TrimPrefix(string(out), "podgraft "))
		if err := engine.e.buildImage(ctx, repoRoot(t), bin, engine.version, functionImage); err != nil {
			engine.reason = "podman cannot build an image here: " + err.Error()
			return
		}
		// The smallest container run there is: it fails where podman's
		// runtime cannot start containers (the usual reason to skip).
		got, err := engine.e.podman(ctx, "", "run", "--rm", "--network", "none", functionImage, "version")
		if err != nil {
			engine.reason = "podman cannot start a container here: " + err.Error()
			return
		}
		if want := "podgraft " + engine.version + "\n"; got != want {
			engine.err = fmt.Errorf("the image's podgraft printed %q for version, want %q", got, want)
			return
		}
		fmt.Fprintf(os.Stderr, "e2e: image %s built and run with podman in %s\n", functionImage, time.Since(start).Round(100*time.Millisecond))
	})
	require.NoError(t, engine.err, "setting up the container engine")
	if engine.reason != "" {
		if os.Getenv(envRequirePodman) == "1" {
			t.Fatalf("%s=1, but %s", envRequirePodman, engine.reason)
		}
		t.Skipf("skipping the container test: %s", engine.reason)
	}
	return engine.e
}

// stopContainerEngine removes the package's engine (TestMain calls it).
func stopContainerEngine() error {
	if engine.e == nil {
		return nil
	}
	return engine.e.remove()
}
