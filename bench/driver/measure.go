package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// command is one whole-process run: podgraft and its baselines are measured
// as a user runs them, start-up and all.
type command struct {
	path  string
	args  []string
	stdin string // a file, or "" for none
}

func (c command) String() string {
	s := strings.Join(append([]string{c.path}, c.args...), " ")
	if c.stdin != "" {
		s += " < " + c.stdin
	}
	return s
}

// sample is what one run cost.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // bytes
}

// runOnce runs c with its stdout going to outFile and reports its cost.
//
// The run goes through a fresh copy of this program ("driver spawn"), which
// starts c and reports what wait4 says about it. Starting c straight from the
// driver would skew its peak RSS: Go starts processes with vfork, and Linux
// counts the parent's peak RSS, inherited at exec, in the child's maxrss.
// The spawner's is a few MiB; the driver's grows with the files it reads.
func runOnce(c command, outFile string, timeout time.Duration) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append([]string{"spawn", outFile, c.stdin, c.path}, c.args...)
	cmd := exec.CommandContext(ctx, self, args...)
	// On timeout, kill the whole process group: the spawner, c, and c's
	// children (kustomize's podgraft).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	err = cmd.Run()
	if ctx.Err() != nil {
		return sample{}, fmt.Errorf("timed out after %s", timeout)
	}
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	var wall, cpu time.Duration
	var maxRSS int64
	if _, err := fmt.Sscan(stdout.String(), &wall, &cpu, &maxRSS); err != nil {
		return sample{}, fmt.Errorf("reading the spawner's report %q: %w", stdout.String(), err)
	}
	return sample{wall: wall, cpu: cpu, maxRSS: maxRSS}, nil
}

// spawn is "driver spawn OUT IN PATH ARGS...": it runs PATH with stdin from
// IN (none if empty) and stdout to OUT, passes its stderr and exit code on,
// and prints "wall-ns cpu-ns maxrss-bytes". wait4's rusage covers the children
// that PATH waited for, so kustomize's peak includes podgraft's.
func spawn(args []string) int {
	if len(args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: driver spawn OUT IN PATH [ARGS...]")
		return 2
	}
	outFile, inFile, path := args[0], args[1], args[2]
	cmd := exec.Command(path, args[3:]...)
	cmd.Stderr = os.Stderr
	if inFile != "" {
		in, err := os.Open(inFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer in.Close()
		cmd.Stdin = in
	}
	out, err := os.Create(outFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer out.Close()
	cmd.Stdout = out

	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	usage := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := usage.Utime.Nano() + usage.Stime.Nano()
	fmt.Printf("%d %d %d\n", wall.Nanoseconds(), cpu, usage.Maxrss*1024) // Linux reports KiB
	return 0
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if s == "" {
		return "(no stderr)"
	}
	return s
}

// measurement summarises the runs of one case at one size.
type measurement struct {
	runs     int
	wall     time.Duration // median
	cpu      time.Duration // median
	maxRSS   int64         // the peak over all runs
	sidecars int           // "restartPolicy: Always" lines in the output: native sidecars grafted
	skipped  string        // why it was not measured; empty when it was
}

func (m measurement) ok() bool { return m.skipped == "" && m.runs > 0 }

// starved reports a wall time well over the CPU time. The programs measured
// are CPU-bound on files in the page cache, so that means they waited for a
// core: other work on the machine, and wall times that cannot be trusted.
func (m measurement) starved() bool { return m.ok() && m.wall > m.cpu*3/2 }

// measure runs c up to runs times, stopping early once budget is spent (a
// case that takes minutes is not worth repeating five times).
func measure(c command, outFile string, runs int, budget, timeout time.Duration) measurement {
	var samples []sample
	var spent time.Duration
	for len(samples) < runs && (len(samples) == 0 || spent < budget) {
		s, err := runOnce(c, outFile, timeout)
		if err != nil {
			return measurement{skipped: "failed: " + err.Error()}
		}
		samples = append(samples, s)
		spent += s.wall
	}
	m := summarize(samples)
	m.sidecars = countNativeSidecars(outFile)
	return m
}

func summarize(samples []sample) measurement {
	m := measurement{runs: len(samples)}
	walls := make([]time.Duration, len(samples))
	cpus := make([]time.Duration, len(samples))
	for i, s := range samples {
		walls[i], cpus[i] = s.wall, s.cpu
		m.maxRSS = max(m.maxRSS, s.maxRSS)
	}
	m.wall, m.cpu = median(walls), median(cpus)
	return m
}

func median(values []time.Duration) time.Duration {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	middle := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[middle]
	}
	return (sorted[middle-1] + sorted[middle]) / 2
}

// countNativeSidecars reads file line by line rather than whole, to keep the
// driver small (see runOnce).
func countNativeSidecars(file string) int {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	count := 0
	lines := bufio.NewScanner(f)
	lines.Buffer(make([]byte, 64*1024), 16<<20)
	for lines.Scan() {
		if bytes.Equal(bytes.TrimSpace(lines.Bytes()), []byte("restartPolicy: Always")) {
			count++
		}
	}
	return count
}

// projectTime estimates the time at size n from the two previous sizes,
// assuming time grows as n^k, with k fitted from them, between 1 and 3.
func projectTime(n, prevN, prevPrevN int, prev, prevPrev time.Duration) time.Duration {
	k := 1.0
	if prevPrev > 0 && prev > 0 && prevN > prevPrevN {
		k = math.Log(float64(prev)/float64(prevPrev)) / math.Log(float64(prevN)/float64(prevPrevN))
		k = min(3, max(1, k))
	}
	return time.Duration(float64(max(prev, 0)) * math.Pow(float64(n)/float64(prevN), k))
}

// executable reports why path cannot be run, or "" when it can.
func executable(path string) string {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return path + " not found"
	}
	if err != nil {
		return err.Error()
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return path + " is not executable"
	}
	return ""
}
