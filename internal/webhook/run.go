package webhook

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// Exit codes, as podgraft's.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `podgraft-webhook is a mutating admission webhook that grafts Pods on CREATE
with PodGraft configs, the same way podgraft grafts them at render time.

Usage:
  podgraft-webhook --config DIR --tls-cert-file tls.crt --tls-private-key-file tls.key

It serves POST /mutate (AdmissionReview v1, TLS 1.2 or newer), /healthz and
/readyz on --listen, and /metrics, /healthz and /readyz over plain HTTP on
--metrics-listen. Certificates and configs are re-read when they change; a
config change that does not load is logged and counted, and the previous
configs keep serving. SIGTERM stops it gracefully.

Flags:
`

// Run is the whole command. main only calls it.
func Run(version string, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "version" {
		fmt.Fprintln(stdout, "podgraft-webhook", version)
		return exitOK
	}
	o, f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "podgraft-webhook: usage:", err)
		return exitUsage
	}
	if f.version {
		fmt.Fprintln(stdout, "podgraft-webhook", version)
		return exitOK
	}
	if f.check {
		return check(o.Configs, stdout, stderr)
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	handler := slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	o.Log = slog.New(handler).With("version", version)
	// The certificate watcher logs through controller-runtime's logger.
	ctrllog.SetLogger(logr.FromSlogHandler(handler))

	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := Serve(ctx, o); err != nil {
		fmt.Fprintln(stderr, "podgraft-webhook: error:", err)
		return exitError
	}
	return exitOK
}

// flags are the command's own switches, beside Options.
type flags struct{ verbose, version, check bool }

func parseFlags(args []string, stderr io.Writer) (o Options, f flags, err error) {
	fs := flag.NewFlagSet("podgraft-webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var configs pathFlag
	var namespaces listFlag
	fs.Var(&configs, "config", "PodGraft file, or folder of them (*.yaml, *.yml, *.json), e.g. a mounted ConfigMap; repeatable")
	fs.StringVar(&o.CertFile, "tls-cert-file", "", "serving certificate (PEM), re-read when it changes")
	fs.StringVar(&o.KeyFile, "tls-private-key-file", "", "its private key (PEM), re-read when it changes")
	fs.StringVar(&o.Listen, "listen", ":8443", "address of the TLS listener: /mutate, /healthz, /readyz")
	fs.StringVar(&o.MetricsListen, "metrics-listen", ":9090", `address of the plain HTTP listener: /metrics, /healthz, /readyz ("" for none)`)
	fs.StringVar(&o.OnError, "on-error", onErrorDeny, "a graft that cannot be applied to a Pod (a conflict, a missing imageFrom): deny refuses the Pod with the reason, allow admits it ungrafted with a warning")
	fs.Var(&namespaces, "generated-namespaces", "namespaces where the output of podgraft generate was applied (repeatable, comma-separated; * for all): a Pod elsewhere that mounts a generated ConfigMap, Secret or claim gets a warning")
	fs.IntVar(&o.MaxInFlight, "max-in-flight", 4*runtime.GOMAXPROCS(0), "reviews grafted at once; the rest wait for a slot while their deadline allows, then are shed with 503")
	fs.IntVar(&o.GraftCache, "graft-cache", 256, "recent grafts kept, so that identical Pods (a ReplicaSet scaling up) cost one graft; 0 grafts every review")
	fs.DurationVar(&o.ReloadInterval, "reload-interval", 5*time.Second, "how often the configs are re-read")
	fs.DurationVar(&o.CertInterval, "cert-reload-interval", 10*time.Second, "how often the certificate is re-read besides on file events")
	fs.DurationVar(&o.ShutdownDelay, "shutdown-delay", 0, "after SIGTERM, keep serving (not ready) this long so that the Service stops sending reviews")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 25*time.Second, "then wait this long at most for the reviews in flight")
	fs.BoolVar(&f.check, "check", false, "load the --config files, refuse what admission cannot do, and exit: 0 when the webhook would start with them")
	fs.BoolVar(&f.verbose, "v", false, "log at debug level")
	fs.BoolVar(&f.version, "version", false, "print the version")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err = fs.Parse(args); err != nil {
		return o, f, err
	}
	if f.version {
		return o, f, nil
	}
	o.Configs, o.GeneratedNamespaces = configs, namespaces
	switch {
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected arguments %q: configs are given with --config", fs.Args())
	case len(o.Configs) == 0:
		err = errors.New("--config is required: a PodGraft file or a folder of them")
	case f.check:
	case o.CertFile == "" || o.KeyFile == "":
		err = errors.New("--tls-cert-file and --tls-private-key-file are required: the API server calls webhooks over TLS only")
	case o.OnError != onErrorDeny && o.OnError != onErrorAllow:
		err = fmt.Errorf("--on-error must be %s or %s, not %q", onErrorDeny, onErrorAllow, o.OnError)
	case o.GraftCache < 0:
		err = fmt.Errorf("--graft-cache must be 0 or more, not %d", o.GraftCache)
	case o.MaxInFlight < 1:
		err = fmt.Errorf("--max-in-flight must be at least 1, not %d", o.MaxInFlight)
	case o.ReloadInterval <= 0 || o.CertInterval <= 0:
		err = errors.New("--reload-interval and --cert-reload-interval must be positive")
	}
	return o, f, err
}

// check is --check: the configs' start-up checks alone.
func check(paths []string, stdout, stderr io.Writer) int {
	files, err := configFiles(paths)
	if err == nil {
		var e *engine
		if e, err = loadEngine(files); err == nil {
			fmt.Fprintf(stdout, "podgraft-webhook: %d PodGraft(s) in %d file(s) would serve: %s\n", len(e.names()), len(files), strings.Join(e.names(), ", "))
			return exitOK
		}
	}
	fmt.Fprintln(stderr, "podgraft-webhook: error:", err)
	return exitError
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// pathFlag is a repeatable flag of paths, taken as given.
type pathFlag []string

func (p *pathFlag) String() string     { return strings.Join(*p, ",") }
func (p *pathFlag) Set(v string) error { *p = append(*p, v); return nil }

// tuneGC sets the garbage collector for a server whose live heap is a few
// MiB and each of whose reviews allocates about 130 KiB: at Go's default
// (GOGC=100) it collects every few dozen reviews. GOGC=400 collects a
// quarter as often, for about a tenth less CPU per review than GOGC=200
// in make bench-webhook, and a 40 MiB soft limit keeps the heap in bounds
// under load: the peak RSS stayed at 55 MiB with 300 concurrent reviews,
// as with GOGC=200. (When a review allocated 680 KiB, GOGC=400 took the
// RSS past 64 MiB.) GOGC and GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(40 << 20)
	}
}
