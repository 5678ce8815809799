// Command driver runs the podgraft benchmarks of issue 7 and writes a Markdown
// report to stdout and to bench/results/latest.md. Run it from the repository
// root: `make bench`, or `go run ./bench/driver -h` for its knobs.
//
// Every case is a whole process, run as a user runs it: podgraft standalone
// and as a KRM function, against two baselines (a yaml.v3 floor and a kyaml
// round trip) and against kustomize doing the same injection with
// strategic-merge patches. A case whose binary or config is missing is
// reported as skipped, so that the harness runs before podgraft does.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type options struct {
	sizes       []int
	runs        int // repetitions below largeSize
	runsLarge   int // repetitions from largeSize up
	startupRuns int
	seed        uint64

	config    string // the PodGraft of cases c, d and g
	config10  string // ten PodGrafts, case c10
	example   string // examples/web-with-proxy's PodGraft, case cx
	smpConfig string // the PodGraft that the kustomize patches mirror, run by case f

	podgraft  string
	kustomize string
	goTool    string
	work      string
	out       string

	caseBudget time.Duration // stop repeating a case after this much time at one size
	slowLimit  time.Duration // skip a size whose projected single run is longer
	timeout    time.Duration // kill a single run after this long
	deadline   time.Duration // skip whatever would start after this much time
}

const (
	largeSize  = 10000
	mediumSize = 1000
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "spawn" {
		os.Exit(spawn(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	opts, err := parseFlags(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if _, err := os.Stat("go.mod"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: run from the repository root (make bench)")
		return 2
	}
	b := &bench{opts: opts, started: time.Now(), loadAtStart: loadAverage(), results: map[string]map[int]measurement{}}
	if err := b.buildHelpers(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if err := b.probeOverhead(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	for _, n := range opts.sizes {
		if err := b.runSize(n); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	b.runStartup()

	report := b.report()
	fmt.Print(report)
	err = os.MkdirAll(filepath.Dir(opts.out), 0o755)
	if err == nil {
		err = os.WriteFile(opts.out, []byte(report), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "bench: report written to %s after %s\n", opts.out, time.Since(b.started).Round(time.Second))
	return 0
}

func parseFlags(args []string) (options, error) {
	flags := flag.NewFlagSet("bench", flag.ContinueOnError)
	var opts options
	sizes := flags.String("sizes", "100,1000,10000", "workload counts to generate and measure, ascending")
	flags.IntVar(&opts.runs, "runs", 5, "runs per case below 10,000 workloads; the median is reported")
	flags.IntVar(&opts.runsLarge, "runs-large", 3, "runs per case from 10,000 workloads up")
	flags.IntVar(&opts.startupRuns, "startup-runs", 30, "runs of each side of the start-up case (g)")
	flags.Uint64Var(&opts.seed, "seed", 1, "generator seed")
	flags.StringVar(&opts.config, "config", "bench/testdata/graft.yaml", "PodGraft for the podgraft cases (c, d, g)")
	flags.StringVar(&opts.config10, "config10", "bench/testdata/grafts-10.yaml", "ten PodGrafts for case c10")
	flags.StringVar(&opts.example, "example", "examples/web-with-proxy/graft.yaml", "a heavier PodGraft for case cx")
	flags.StringVar(&opts.smpConfig, "smp-config", "bench/testdata/graft.yaml", "PodGraft that the kustomize patches (e) mirror; podgraft runs it in f")
	flags.StringVar(&opts.podgraft, "podgraft", "bin/podgraft", "podgraft binary")
	flags.StringVar(&opts.kustomize, "kustomize", "bin/tools/kustomize", "kustomize binary")
	flags.StringVar(&opts.goTool, "go", "go", "go command, to build the generator and baselines")
	flags.StringVar(&opts.work, "work", "bench/results/tmp", "directory for binaries, inputs and outputs")
	flags.StringVar(&opts.out, "out", "bench/results/latest.md", "where to write the Markdown report as well")
	flags.DurationVar(&opts.caseBudget, "case-budget", 90*time.Second, "stop repeating a case at one size once its runs took this long")
	flags.DurationVar(&opts.slowLimit, "slow-limit", 3*time.Minute, "skip a case at a size where one run is projected to take longer")
	flags.DurationVar(&opts.timeout, "timeout", 4*time.Minute, "kill a single run after this long")
	flags.DurationVar(&opts.deadline, "deadline", 10*time.Minute, "skip the cases that would start after this much time")
	if err := flags.Parse(args); err != nil {
		return opts, err
	}
	for _, field := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n <= 0 || (len(opts.sizes) > 0 && n <= opts.sizes[len(opts.sizes)-1]) {
			return opts, fmt.Errorf("-sizes: want ascending positive counts, got %q", *sizes)
		}
		opts.sizes = append(opts.sizes, n)
	}
	return opts, nil
}

// bench holds the run's state: built helpers and the measurements so far.
type bench struct {
	opts        options
	started     time.Time
	loadAtStart string // other work on the machine skews the figures: say how busy it was
	binDir      string // where the helpers below are built
	gen         string
	floor       string
	kyamlrt     string

	results map[string]map[int]measurement // case id → workloads → measurement
	inputs  map[int]int64                  // workloads → input bytes
	// frontedInputs: workloads → bytes of the fronted stream (af, cf)
	frontedInputs map[int]int64
	startup       map[string]measurement // "floor", "podgraft" → start-up measurement
	// overhead is each case's CPU time on one workload: what it costs
	// whatever the size. Projections leave it out, or it would hide how the
	// rest grows.
	overhead map[string]time.Duration
	notes    []string
}

// buildHelpers builds the generator and the baselines the way `make build`
// builds podgraft, so that start-up and speed compare like with like.
func (b *bench) buildHelpers() error {
	binDir, err := filepath.Abs(filepath.Join(b.opts.work, "bin"))
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: building bench/gen, bench/floor, bench/kyamlrt")
	cmd := exec.Command(b.opts.goTool, "build", "-trimpath", "-ldflags", "-s -w", "-o", binDir+"/",
		"./bench/gen", "./bench/floor", "./bench/kyamlrt")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the bench helpers: %w", err)
	}
	b.binDir = binDir
	b.gen, b.floor, b.kyamlrt = filepath.Join(binDir, "gen"), filepath.Join(binDir, "floor"), filepath.Join(binDir, "kyamlrt")
	return nil
}

// inputs are the files generated for one size.
type inputs struct {
	n            int
	dir          string
	stream       string // multi-document YAML
	resourceList string // the same items in a ResourceList, functionConfig = opts.config
	fronted      string // gen -profile fronted: what cx grafts, a quarter of it Services it fronts
	patchesDir   string // kustomization with strategic-merge patches
	execDir      string // kustomization with podgraft as exec transformer
	noopExecDir  string // kustomization with cat as exec transformer
}

// benchCase is one row of the report. command returns what to run for the
// given inputs, or why it cannot be run.
type benchCase struct {
	id      string
	title   string
	command func(in inputs) (command, string)
}

func (b *bench) cases() []benchCase {
	podgraftMissing := executable(b.opts.podgraft)
	if podgraftMissing != "" {
		podgraftMissing += " (make build)"
	}
	kustomizeMissing := executable(b.opts.kustomize)
	if kustomizeMissing != "" {
		kustomizeMissing += " (make tools)"
	}
	needs := firstNonEmpty // the first reason a case cannot run
	return []benchCase{
		{"a", "floor: yaml.v3, one document at a time, output buffered", func(in inputs) (command, string) {
			return command{path: b.floor, stdin: in.stream}, ""
		}},
		{"a*", "floor, output streamed (the memory floor)", func(in inputs) (command, string) {
			return command{path: b.floor, args: []string{"-stream"}, stdin: in.stream}, ""
		}},
		{"b", "kyaml: kio.ByteReader → kio.ByteWriter, no filters", func(in inputs) (command, string) {
			return command{path: b.kyamlrt, stdin: in.stream}, ""
		}},
		{"c", "podgraft -c graft.yaml input.yaml (standalone)", func(in inputs) (command, string) {
			return command{path: b.opts.podgraft, args: []string{"-c", b.opts.config, in.stream}},
				needs(podgraftMissing, fileMissing(b.opts.config))
		}},
		{"cx", "podgraft -c examples/web-with-proxy/graft.yaml input.yaml", func(in inputs) (command, string) {
			return command{path: b.opts.podgraft, args: []string{"-c", b.opts.example, in.stream}},
				needs(podgraftMissing, fileMissing(b.opts.example))
		}},
		{"af", "floor on the fronted stream", func(in inputs) (command, string) {
			return command{path: b.floor, stdin: in.fronted}, ""
		}},
		{"cf", "podgraft -c examples/web-with-proxy/graft.yaml fronted.yaml (every workload grafted, a quarter of the documents fronted Services)", func(in inputs) (command, string) {
			return command{path: b.opts.podgraft, args: []string{"-c", b.opts.example, in.fronted}},
				needs(podgraftMissing, fileMissing(b.opts.example))
		}},
		{"c10", "podgraft -c grafts-10.yaml input.yaml (10 PodGrafts)", func(in inputs) (command, string) {
			return command{path: b.opts.podgraft, args: []string{"-c", b.opts.config10, in.stream}},
				needs(podgraftMissing, fileMissing(b.opts.config10))
		}},
		{"d", "podgraft < resourcelist.yaml (KRM function)", func(in inputs) (command, string) {
			return command{path: b.opts.podgraft, stdin: in.resourceList},
				needs(podgraftMissing, fileMissing(b.opts.config))
		}},
		{"e", "kustomize build, strategic-merge patches", func(in inputs) (command, string) {
			return command{path: b.opts.kustomize, args: []string{"build", in.patchesDir}},
				needs(kustomizeMissing)
		}},
		{"f", "kustomize build, podgraft as exec KRM transformer", func(in inputs) (command, string) {
			return command{path: b.opts.kustomize, args: []string{"build", "--enable-alpha-plugins", "--enable-exec", in.execDir}},
				needs(kustomizeMissing, podgraftMissing, fileMissing(b.opts.smpConfig))
		}},
		{"f0", "kustomize build, cat as exec KRM transformer (f's floor)", func(in inputs) (command, string) {
			return command{path: b.opts.kustomize, args: []string{"build", "--enable-alpha-plugins", "--enable-exec", in.noopExecDir}},
				needs(kustomizeMissing, fileMissing(b.opts.smpConfig))
		}},
	}
}

// grafts reports whether case id is meant to graft sidecars, and so should
// have some in its output.
func grafts(id string) bool {
	return id != "a" && id != "a*" && id != "af" && id != "b" && id != "f0"
}

func fileMissing(path string) string {
	if _, err := os.Stat(path); err != nil {
		return "config " + path + " not found"
	}
	return ""
}

// generate writes the inputs for n workloads.
func (b *bench) generate(n int) (inputs, error) {
	dir := filepath.Join(b.opts.work, strconv.Itoa(n))
	if err := os.RemoveAll(dir); err != nil {
		return inputs{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return inputs{}, err
	}
	in := inputs{
		n:            n,
		dir:          dir,
		stream:       filepath.Join(dir, "input.yaml"),
		resourceList: filepath.Join(dir, "resourcelist.yaml"),
		fronted:      filepath.Join(dir, "fronted.yaml"),
		patchesDir:   filepath.Join(dir, "kustomize", "patches"),
		execDir:      filepath.Join(dir, "kustomize", "exec"),
		noopExecDir:  filepath.Join(dir, "kustomize", "exec-noop"),
	}
	common := []string{"-n", strconv.Itoa(n), "-seed", strconv.FormatUint(b.opts.seed, 10)}
	if err := b.runGen(in.stream, common...); err != nil {
		return in, err
	}
	if err := b.runGen(in.fronted, slices.Concat(common, []string{"-profile", "fronted"})...); err != nil {
		return in, err
	}
	if fileMissing(b.opts.config) == "" {
		if err := b.runGen(in.resourceList, slices.Concat(common, []string{"-format", "resourcelist", "-fnconfig", b.opts.config})...); err != nil {
			return in, err
		}
	}
	if executable(b.opts.kustomize) == "" && fileMissing(b.opts.smpConfig) == "" {
		args := slices.Concat(common, []string{"-kustomize", filepath.Join(dir, "kustomize"), "-fnconfig", b.opts.smpConfig, "-podgraft", b.opts.podgraft})
		if err := b.runGen("", args...); err != nil {
			return in, err
		}
	}
	info, err := os.Stat(in.stream)
	if err != nil {
		return in, err
	}
	fronted, err := os.Stat(in.fronted)
	if err != nil {
		return in, err
	}
	if b.inputs == nil {
		b.inputs, b.frontedInputs = map[int]int64{}, map[int]int64{}
	}
	b.inputs[n], b.frontedInputs[n] = info.Size(), fronted.Size()
	return in, nil
}

func (b *bench) runGen(outFile string, args ...string) error {
	cmd := exec.Command(b.gen, args...)
	cmd.Stderr = os.Stderr
	if outFile != "" {
		out, err := os.Create(outFile)
		if err != nil {
			return err
		}
		defer out.Close()
		cmd.Stdout = out
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("gen %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

func (b *bench) runSize(n int) error {
	fmt.Fprintf(os.Stderr, "bench: generating %s workloads\n", thousands(n))
	in, err := b.generate(n)
	if err != nil {
		return err
	}
	runs := b.opts.runs
	if n >= largeSize {
		runs = b.opts.runsLarge
	}
	for _, c := range b.cases() {
		if b.results[c.id] == nil {
			b.results[c.id] = map[int]measurement{}
		}
		cmd, missing := c.command(in)
		var m measurement
		switch {
		case missing != "":
			m.skipped = "skipped: " + missing
		case time.Since(b.started) > b.opts.deadline:
			m.skipped = fmt.Sprintf("skipped: past the %s deadline (-deadline)", b.opts.deadline)
		default:
			if projected, slow := b.tooSlow(c.id, n); slow {
				m.skipped = fmt.Sprintf("skipped: one run projected at %s of CPU, over the %s limit (-slow-limit)",
					projected.Round(time.Second), b.opts.slowLimit)
				b.notes = append(b.notes, fmt.Sprintf("%s at %s workloads %s.", c.id, thousands(n), m.skipped))
				break
			}
			fmt.Fprintf(os.Stderr, "bench: %-3s %6s workloads: %s\n", c.id, thousands(n), cmd)
			out := filepath.Join(in.dir, "out-"+strings.ReplaceAll(c.id, "*", "-stream")+".yaml")
			m = measure(cmd, out, runs, b.opts.caseBudget, b.opts.timeout)
		}
		if m.skipped != "" {
			fmt.Fprintf(os.Stderr, "bench: %-3s %6s workloads: %s\n", c.id, thousands(n), m.skipped)
		}
		if m.ok() && m.sidecars == 0 && grafts(c.id) {
			b.notes = append(b.notes, fmt.Sprintf("%s at %s workloads grafted no native sidecar: do its config's targets match the generated workloads?", c.id, thousands(n)))
		}
		b.results[c.id][n] = m
	}
	return nil
}

// probeOverhead runs every case once on a single workload.
func (b *bench) probeOverhead() error {
	fmt.Fprintln(os.Stderr, "bench: timing each case once on 1 workload (its fixed overhead)")
	in, err := b.generate(1)
	if err != nil {
		return err
	}
	b.overhead = map[string]time.Duration{}
	for _, c := range b.cases() {
		cmd, missing := c.command(in)
		if missing != "" {
			continue
		}
		if s, err := runOnce(cmd, filepath.Join(in.dir, "out.yaml"), b.opts.timeout); err == nil {
			b.overhead[c.id] = s.cpu
		}
	}
	return nil
}

// tooSlow projects one run of case id at n workloads from the two sizes
// measured before it, less the case's fixed overhead. It projects CPU time
// rather than wall time: other work on the machine skews CPU time less, and
// the sizes it projects from are small and quick, so easily skewed.
func (b *bench) tooSlow(id string, n int) (time.Duration, bool) {
	var measured []int
	for _, size := range b.opts.sizes {
		if size < n && b.results[id][size].ok() {
			measured = append(measured, size)
		}
	}
	if len(measured) == 0 {
		return 0, false
	}
	overhead := b.overhead[id]
	prevN := measured[len(measured)-1]
	prev := b.results[id][prevN].cpu - overhead
	prevPrevN, prevPrev := 0, time.Duration(0)
	if len(measured) >= 2 {
		prevPrevN = measured[len(measured)-2]
		prevPrev = b.results[id][prevPrevN].cpu - overhead
	}
	projected := overhead + projectTime(n, prevN, prevPrevN, prev, prevPrev)
	return projected, projected > b.opts.slowLimit
}

// runStartup measures case g: one small Deployment, where process start-up
// and config loading are all there is. The two sides alternate so that any
// drift in the machine hits both alike.
func (b *bench) runStartup() {
	const input = "bench/testdata/startup-deployment.yaml"
	floor := command{path: b.floor, stdin: input}
	podgraft := command{path: b.opts.podgraft, args: []string{"-c", b.opts.config, input}}
	b.startup = map[string]measurement{}
	missing := executable(b.opts.podgraft)
	if missing == "" {
		missing = fileMissing(b.opts.config)
	}
	if missing != "" {
		b.startup["podgraft"] = measurement{skipped: "skipped: " + missing}
	}
	fmt.Fprintf(os.Stderr, "bench: g   start-up, %d runs each: %s | %s\n", b.opts.startupRuns, floor, podgraft)
	out := filepath.Join(b.opts.work, "out-startup.yaml")
	samples := map[string][]sample{}
	for i := 0; i < b.opts.startupRuns; i++ {
		for _, side := range []struct {
			name string
			cmd  command
		}{{"floor", floor}, {"podgraft", podgraft}} {
			if b.startup[side.name].skipped != "" {
				continue
			}
			s, err := runOnce(side.cmd, out, b.opts.timeout)
			if err != nil {
				b.startup[side.name] = measurement{skipped: "failed: " + err.Error()}
				continue
			}
			samples[side.name] = append(samples[side.name], s)
		}
	}
	for name, s := range samples {
		if b.startup[name].skipped == "" {
			b.startup[name] = summarize(s)
		}
	}
}

// thousands formats 10000 as "10,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
