package testcluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvToolsBin names the environment variable that points at the directory
// holding the etcd and kube-apiserver binaries (and helm3, helm4, kustomize).
// The Makefile sets it; the default is <repo>/bin/tools.
const EnvToolsBin = "PODGRAFT_TOOLS_BIN"

const (
	// serviceCIDR is the cluster IP range. Nothing routes to it; kube-apiserver
	// only needs it to allocate Service IPs.
	serviceCIDR = "10.0.0.0/24"
	// startTimeout bounds how long etcd plus kube-apiserver may take to become
	// ready. A cold start takes ~5-15 s; a loaded 2-core CI box can be slower.
	startTimeout = 3 * time.Minute
	// stopTimeout is how long each process gets after SIGTERM before SIGKILL.
	stopTimeout = 15 * time.Second
	// logTailLines is how much of each log a failed test prints.
	logTailLines = 60
)

var serviceIP = net.IPv4(10, 0, 0, 1)

// Cluster is a running etcd + kube-apiserver pair on loopback. Create one with
// Start (tests) or StartForHuman (tools, TestMain). All methods are safe for
// concurrent use.
type Cluster struct {
	// Dir holds everything the cluster writes: certificates, etcd data, the
	// kubeconfig, logs and the helm home directories.
	Dir string
	// Kubeconfig is the path of a kubeconfig with a token user, the CA
	// embedded, and namespace "default". helm and kubectl accept it.
	Kubeconfig string
	// Server is the API server URL, https://127.0.0.1:<port>.
	Server string
	// Token is the bearer token of a system:masters user.
	Token string
	// CAFile is the PEM CA certificate that signed the serving certificate.
	CAFile string
	// EtcdURL is etcd's client URL, http://127.0.0.1:<port>.
	EtcdURL string

	client *http.Client
	etcd   *process
	kas    *process

	mu        sync.Mutex
	discovery map[string][]apiResource // groupVersion -> resources
	stopOnce  sync.Once
	stopErr   error
}

// Start starts a fresh cluster in a temporary directory for the test. It fails
// the test if the binaries are missing or the cluster does not become ready.
// The cluster is stopped when the test and its subtests finish (kube-apiserver
// first, then etcd); if the test failed, the tail of both logs is printed.
func Start(t testing.TB) *Cluster {
	t.Helper()
	// Called before t.Cleanup below so that the directory is removed only after
	// the processes writing into it have stopped (cleanups run last-in first-out).
	dir := t.TempDir()
	c, err := start(dir, t.Logf)
	if err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	t.Cleanup(func() {
		// Read the logs before stopping, or the tail is all shutdown chatter.
		failed := t.Failed()
		var etcdLog, kasLog string
		if failed {
			etcdLog, kasLog = c.etcd.tail(logTailLines), c.kas.tail(logTailLines)
		}
		if err := c.Stop(); err != nil {
			t.Errorf("testcluster: stop: %v", err)
			if !failed {
				failed = true
				etcdLog, kasLog = c.etcd.tail(logTailLines), c.kas.tail(logTailLines)
			}
		}
		if failed {
			t.Logf("testcluster: last lines of the etcd log (%s):\n%s", c.etcd.logPath, etcdLog)
			t.Logf("testcluster: last lines of the kube-apiserver log (%s):\n%s", c.kas.logPath, kasLog)
		}
	})
	return c
}

// StartForHuman starts a cluster in dir (created if missing; it should be
// empty) and returns once it is ready. The caller must call Stop. Logs are
// kept in dir/etcd.log and dir/kube-apiserver.log. Besides `make cluster`, it
// suits a TestMain that shares one cluster among a package's tests.
func StartForHuman(dir string) (*Cluster, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return start(abs, func(string, ...any) {})
}

// ToolsBin is the directory the binaries are taken from: $PODGRAFT_TOOLS_BIN,
// else bin/tools in the enclosing podgraft repository.
func ToolsBin() string {
	if d := os.Getenv(EnvToolsBin); d != "" {
		return d
	}
	if root, err := repoRoot(); err == nil {
		return filepath.Join(root, "bin", "tools")
	}
	return filepath.Join("bin", "tools")
}

// repoRoot walks up from the working directory to the podgraft go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/podgraft/podgraft\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the podgraft repository")
		}
		dir = parent
	}
}

func start(dir string, logf func(string, ...any)) (*Cluster, error) {
	bin := ToolsBin()
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return nil, fmt.Errorf("%s not found in %s (set %s or run `make tools`): %w", name, bin, EnvToolsBin, err)
		}
	}
	// The ports are picked free but released before the processes bind them,
	// so another process can take one in between: retry with new ports.
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		c, err := startOnce(dir, bin, attempt, logf)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
		logf("testcluster: port collision, retrying: %v", err)
	}
	return nil, lastErr
}

var errPortTaken = errors.New("address already in use")

func startOnce(dir, bin string, attempt int, logf func(string, ...any)) (c *Cluster, err error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, kasPort := ports[0], ports[1], ports[2]
	run := dir
	if attempt > 1 {
		run = filepath.Join(dir, "attempt-"+strconv.Itoa(attempt))
	}

	p, err := newPKI(filepath.Join(run, "pki"), serviceIP)
	if err != nil {
		return nil, fmt.Errorf("generate certificates: %w", err)
	}
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	tokenFile := filepath.Join(run, "tokens.csv")
	// token,user,uid,"group1,group2"
	if err := os.WriteFile(tokenFile, []byte(token+`,podgraft-admin,podgraft-admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caPEM)
	c = &Cluster{
		Dir:        run,
		Kubeconfig: filepath.Join(run, "kubeconfig"),
		Server:     "https://127.0.0.1:" + strconv.Itoa(kasPort),
		Token:      token,
		CAFile:     p.caFile,
		EtcdURL:    "http://127.0.0.1:" + strconv.Itoa(etcdPort),
		client: &http.Client{
			Timeout: 60 * time.Second,
			Transport: &http.Transport{
				TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
				MaxIdleConnsPerHost: 16,
			},
		},
		discovery: map[string][]apiResource{},
	}
	if err := c.writeKubeconfig(p.caPEM); err != nil {
		return nil, err
	}
	for _, d := range []string{"cache", "config", "data"} {
		if err := os.MkdirAll(filepath.Join(run, "helm", d), 0o700); err != nil {
			return nil, err
		}
	}

	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	c.etcd, err = startProcess(filepath.Join(bin, "etcd"), filepath.Join(run, "etcd.log"),
		"--name=default",
		"--data-dir="+filepath.Join(run, "etcd-data"),
		"--listen-client-urls="+c.EtcdURL,
		"--advertise-client-urls="+c.EtcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--log-level=warn",
		// Test data is disposable: skipping fsync makes etcd much faster on
		// shared disks.
		"--unsafe-no-fsync=true",
	)
	if err != nil {
		return nil, err
	}
	// From here on, a failure must not leave processes behind.
	defer func() {
		if err != nil {
			_ = c.Stop()
			err = fmt.Errorf("%w\n--- etcd log (tail) ---\n%s\n--- kube-apiserver log (tail) ---\n%s",
				err, c.etcd.tail(logTailLines), c.kas.tail(logTailLines))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	plain := &http.Client{Timeout: 5 * time.Second}
	if err = waitFor(ctx, c.etcd, "etcd", func() bool {
		resp, err := plain.Get(c.EtcdURL + "/health")
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"health":"true"`))
	}); err != nil {
		return c, err
	}

	c.kas, err = startProcess(filepath.Join(bin, "kube-apiserver"), filepath.Join(run, "kube-apiserver.log"),
		"--etcd-servers="+c.EtcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(kasPort),
		"--cert-dir="+p.certDirArg,
		"--tls-cert-file="+p.certFile,
		"--tls-private-key-file="+p.keyFile,
		"--token-auth-file="+tokenFile,
		"--authorization-mode=AlwaysAllow",
		// Many real charts run privileged DaemonSets.
		"--allow-privileged=true",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+p.saPubFile,
		"--service-account-signing-key-file="+p.saKeyFile,
		// There is no controller-manager to create the default ServiceAccount
		// each namespace needs, so its admission plugin would reject every Pod.
		"--disable-admission-plugins=ServiceAccount",
		"--service-cluster-ip-range="+serviceCIDR,
		// The "kubernetes" Endpoints may not point at loopback, so the default
		// lease reconciler would log a validation error every few seconds.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	)
	if err != nil {
		return c, err
	}
	if err = waitFor(ctx, c.kas, "kube-apiserver", func() bool {
		// /readyz covers etcd and the post-start hooks; the default namespace
		// is created a moment later by a controller, and helm installs into it.
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		defer pcancel()
		if _, err := c.Do(pctx, http.MethodGet, "/readyz", "", nil); err != nil {
			return false
		}
		_, err := c.Do(pctx, http.MethodGet, "/api/v1/namespaces/default", "", nil)
		return err == nil
	}); err != nil {
		return c, err
	}
	logf("testcluster: kube-apiserver ready at %s (kubeconfig %s)", c.Server, c.Kubeconfig)
	return c, nil
}

// waitFor polls ready until it returns true, the process exits, or ctx ends.
func waitFor(ctx context.Context, p *process, name string, ready func() bool) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready() {
			return nil
		}
		select {
		case <-p.done:
			if strings.Contains(p.tail(200), "address already in use") {
				return fmt.Errorf("%s exited: %w", name, errPortTaken)
			}
			return fmt.Errorf("%s exited before becoming ready: %w", name, p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s", name, startTimeout)
		case <-tick.C:
		}
	}
}

// Stop stops kube-apiserver, then etcd (kube-apiserver hangs on SIGTERM once
// etcd is gone), each with SIGTERM and, after a timeout, SIGKILL. It is
// idempotent.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.stopErr = errors.Join(c.kas.stop(stopTimeout), c.etcd.stop(stopTimeout))
		if t, ok := c.client.Transport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
	})
	return c.stopErr
}

// Env returns the environment variables to add to os.Environ() when running
// helm (or kubectl) against the cluster: KUBECONFIG and private HELM_*_HOME
// directories below Dir, so tests never touch the user's helm setup.
// HELM_PLUGINS is set to its default below HELM_DATA_HOME, overriding any
// outer value (a HELM_PLUGINS pointing elsewhere hides installed plugins).
func (c *Cluster) Env() []string {
	h := filepath.Join(c.Dir, "helm")
	return []string{
		"KUBECONFIG=" + c.Kubeconfig,
		"HELM_CACHE_HOME=" + filepath.Join(h, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(h, "config"),
		"HELM_DATA_HOME=" + filepath.Join(h, "data"),
		"HELM_PLUGINS=" + filepath.Join(h, "data", "plugins"),
	}
}

func (c *Cluster) writeKubeconfig(caPEM []byte) error {
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: podgraft-test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: podgraft-admin
  user:
    token: %s
contexts:
- name: podgraft-test
  context:
    cluster: podgraft-test
    user: podgraft-admin
    namespace: default
current-context: podgraft-test
`, c.Server, base64.StdEncoding.EncodeToString(caPEM), c.Token)
	return os.WriteFile(c.Kubeconfig, []byte(kc), 0o600)
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	// Hold every listener until all ports are known, so they are distinct.
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// process is a started binary whose stdout and stderr go to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

func startProcess(path, logPath string, args ...string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	p := &process{name: filepath.Base(path), cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM, waits up to timeout, then sends SIGKILL. A nil process
// (never started) is fine.
func (p *process) stop(timeout time.Duration) error {
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil // already gone (crashed or stopped); its log says why
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
		return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", p.name, timeout)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s (pid %d) survived SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// tail returns the last n lines of the process log.
func (p *process) tail(n int) string {
	if p == nil {
		return "(not started)"
	}
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
