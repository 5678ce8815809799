package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

const mib = 1 << 20

func (b *bench) report() string {
	var r strings.Builder
	fmt.Fprintf(&r, "## podgraft benchmarks\n\n")
	fmt.Fprintf(&r, "%s\n\n", b.machine())
	fmt.Fprintf(&r, "Seed %d. PodGraft: `%s` (c, d, g), `%s` (cx), `%s` (c10); the kustomize patches (e) graft what `%s` grafts, which f runs through podgraft. "+
		"Each case is a whole process; time is the median of the runs, peak RSS the largest; "+
		"\"sidecars out\" counts `restartPolicy: Always` in the output, to show that the cases graft alike.\n\n",
		b.opts.seed, b.opts.config, b.opts.example, b.opts.config10, b.opts.smpConfig)

	r.WriteString("| case | what | workloads | input MiB | runs | median s | CPU s | MiB/s | peak RSS MiB | sidecars out |\n")
	r.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range b.cases() {
		for _, n := range b.opts.sizes {
			m, ran := b.results[c.id][n]
			if !ran {
				continue
			}
			inputMiB := float64(b.inputs[n]) / mib
			if !m.ok() {
				fmt.Fprintf(&r, "| %s | %s | %s | %.1f | – | %s | | | | |\n", c.id, c.title, thousands(n), inputMiB, m.skipped)
				continue
			}
			fmt.Fprintf(&r, "| %s | %s | %s | %.1f | %d | %.2f | %.2f | %.1f | %.0f | %d |\n",
				c.id, c.title, thousands(n), inputMiB, m.runs, m.wall.Seconds(), m.cpu.Seconds(),
				inputMiB/m.wall.Seconds(), float64(m.maxRSS)/mib, m.sidecars)
		}
	}

	placeholders := inputs{stream: "N/input.yaml", resourceList: "N/resourcelist.yaml",
		patchesDir: "N/kustomize/patches", execDir: "N/kustomize/exec"}
	fmt.Fprintf(&r, "\nCommands, with N = `%s/<workloads>`:\n\n", b.opts.work)
	for _, c := range b.cases() {
		cmd, _ := c.command(placeholders)
		fmt.Fprintf(&r, "- %s: `%s`\n", c.id, strings.ReplaceAll(cmd.String(), b.binDir+"/", ""))
	}

	fmt.Fprintf(&r, "\nStart-up (g), one small Deployment (`bench/testdata/startup-deployment.yaml`), %d runs each:\n\n", b.opts.startupRuns)
	r.WriteString("| side | runs | median ms | peak RSS MiB |\n|---|---:|---:|---:|\n")
	for _, side := range []string{"floor", "podgraft"} {
		m := b.startup[side]
		if !m.ok() {
			fmt.Fprintf(&r, "| %s | – | %s | |\n", side, m.skipped)
			continue
		}
		fmt.Fprintf(&r, "| %s | %d | %.1f | %.0f |\n", side, m.runs, float64(m.wall.Microseconds())/1000, float64(m.maxRSS)/mib)
	}

	r.WriteString("\n### Targets\n\n| check | target | measured | result |\n|---|---|---|---|\n")
	for _, c := range b.checks() {
		fmt.Fprintf(&r, "| %s | %s | %s | %s |\n", c.name, c.target, c.measured, c.result)
	}

	if len(b.notes) > 0 {
		r.WriteString("\nNotes:\n\n")
		for _, note := range b.notes {
			fmt.Fprintf(&r, "- %s\n", note)
		}
	}
	fmt.Fprintf(&r, "\nReproduce with `make bench` (`go run ./bench/driver -h` lists the knobs). Inputs and outputs stay in `%s`.\n", b.opts.work)
	return r.String()
}

// machine names what the figures were measured on.
func (b *bench) machine() string {
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		lines := bufio.NewScanner(f)
		for lines.Scan() {
			if name, found := strings.CutPrefix(lines.Text(), "model name"); found {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
		f.Close()
	}
	commit := "unknown commit"
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		commit = "commit " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("Machine: %s, %d cores, %s %s/%s; %s; %s; one-minute load average %s before the run, %s after it.",
		cpu, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), commit, b.loadAtStart, loadAverage())
}

// loadAverage is the one-minute load average, from /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(data)); err == nil && len(fields) > 0 {
		return fields[0]
	}
	return "unknown"
}

type checkResult struct {
	name, target, measured, result string
}

// checks compares the measurements with issue 7's targets.
func (b *bench) checks() []checkResult {
	large, medium := thousands(largeSize), thousands(mediumSize)
	var out []checkResult
	add := func(name, target string, measured string, pass bool, skipped string) {
		result := "FAIL"
		switch {
		case skipped != "":
			measured, result = "–", skipped
		case pass:
			result = "PASS"
		}
		out = append(out, checkResult{name, target, measured, result})
	}

	ratio, why := b.timeRatio("c", largeSize, "a", largeSize)
	add("c/a time at "+large, "≤ 1.3", fmt.Sprintf("%.2f", ratio), ratio <= 1.3, why)

	c, why := b.get("c", largeSize)
	limit := 3*float64(b.inputs[largeSize])/mib + 64
	target := "≤ 3 × input + 64 MiB"
	if b.inputs[largeSize] > 0 {
		target += fmt.Sprintf(" (%.0f MiB)", limit)
	}
	add("peak RSS of c at "+large, target,
		fmt.Sprintf("%.0f MiB", float64(c.maxRSS)/mib), float64(c.maxRSS)/mib <= limit, why)

	ratio, why = b.timeRatio("d", largeSize, "b", largeSize)
	add("d/b time at "+large, "≤ 1.3", fmt.Sprintf("%.2f", ratio), ratio <= 1.3, why)

	ratio, why = b.rssRatio("d", "b", largeSize)
	add("d/b peak RSS at "+large, "≤ 1.2", fmt.Sprintf("%.2f", ratio), ratio <= 1.2, why)

	ratio, why = b.timeRatio("e", mediumSize, "c", mediumSize)
	add("e/c time at "+medium, "≥ 20", fmt.Sprintf("%.1f", ratio), ratio >= 20, why)

	for _, n := range []int{mediumSize, largeSize} {
		ratio, why = b.timeRatio("f", n, "e", n)
		if n == largeSize && why != "" {
			continue // e rarely runs at 10,000; the row at 1,000 says enough
		}
		add("f/e time at "+thousands(n), "≤ 1.1", fmt.Sprintf("%.2f", ratio), ratio <= 1.1, why)
	}

	floor, podgraft := b.startup["floor"], b.startup["podgraft"]
	why = firstNonEmpty(floor.skipped, podgraft.skipped)
	ratio = float64(podgraft.wall) / float64(floor.wall)
	add("g: start-up, podgraft/floor", "≤ 1.5", fmt.Sprintf("%.2f", ratio), ratio <= 1.5, why)

	ratio, why = b.timeRatio("c", largeSize, "c", mediumSize)
	add(fmt.Sprintf("c time %s/%s", large, medium), "≤ 11", fmt.Sprintf("%.1f", ratio), ratio <= 11, why)

	ratio, why = b.timeRatio("c10", largeSize, "c", largeSize)
	add("c10/c time at "+large+" (10 PodGrafts vs 1)", "≤ 3", fmt.Sprintf("%.2f", ratio), ratio <= 3, why)
	return out
}

// get returns the measurement of case id at n workloads, or why there is none.
func (b *bench) get(id string, n int) (measurement, string) {
	m, ran := b.results[id][n]
	switch {
	case !ran:
		return m, fmt.Sprintf("skipped: %s workloads not run", thousands(n))
	case !m.ok():
		return m, fmt.Sprintf("skipped: %s at %s %s", id, thousands(n), strings.TrimPrefix(m.skipped, "skipped: "))
	}
	return m, ""
}

func (b *bench) timeRatio(id string, n int, baseID string, baseN int) (float64, string) {
	m, why := b.get(id, n)
	base, baseWhy := b.get(baseID, baseN)
	if why = firstNonEmpty(why, baseWhy); why != "" {
		return 0, why
	}
	return m.wall.Seconds() / base.wall.Seconds(), ""
}

func (b *bench) rssRatio(id, baseID string, n int) (float64, string) {
	m, why := b.get(id, n)
	base, baseWhy := b.get(baseID, n)
	if why = firstNonEmpty(why, baseWhy); why != "" {
		return 0, why
	}
	return float64(m.maxRSS) / float64(base.maxRSS), ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
