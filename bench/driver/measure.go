package main

import (
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

// runOnce runs c with its stdout going to outFile and reports its cost. Peak
// RSS comes from wait4's rusage, which for a process that waited for its own
// children (kustomize running podgraft) is the largest of them all.
func runOnce(c command, outFile string, timeout time.Duration) (sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	// On timeout, kill the whole process group: kustomize's podgraft too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if c.stdin != "" {
		in, err := os.Open(c.stdin)
		if err != nil {
			return sample{}, err
		}
		defer in.Close()
		cmd.Stdin = in
	}
	out, err := os.Create(outFile)
	if err != nil {
		return sample{}, err
	}
	defer out.Close()
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr

	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if ctx.Err() != nil {
		return sample{}, fmt.Errorf("timed out after %s", timeout)
	}
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	usage := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{
		wall:   wall,
		cpu:    time.Duration(usage.Utime.Nano() + usage.Stime.Nano()),
		maxRSS: usage.Maxrss * 1024, // Linux reports KiB
	}, nil
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

func countNativeSidecars(file string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("restartPolicy: Always\n"))
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
