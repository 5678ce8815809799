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
			inputMiB := float64(b.inputSize(c.id, n)) / mib
			if !m.ok() {
				fmt.Fprintf(&r, "| %s | %s | %s | %.1f | – | %s | | | | |\n", c.id, c.title, thousands(n), inputMiB, m.skipped)
				continue
			}
			fmt.Fprintf(&r, "| %s | %s | %s | %.1f | %d | %.2f%s | %.2f | %.1f | %.0f | %d |\n",
				c.id, c.title, thousands(n), inputMiB, m.runs, m.wall.Seconds(), starredIf(m.starved()), m.cpu.Seconds(),
				inputMiB/m.wall.Seconds(), float64(m.maxRSS)/mib, m.sidecars)
		}
	}

	placeholders := inputs{stream: "N/input.yaml", resourceList: "N/resourcelist.yaml", fronted: "N/fronted.yaml",
		patchesDir: "N/kustomize/patches", execDir: "N/kustomize/exec", noopExecDir: "N/kustomize/exec-noop"}
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
		fmt.Fprintf(&r, "| %s | %d | %.1f%s | %.0f |\n", side, m.runs, float64(m.wall.Microseconds())/1000, starredIf(m.starved()), float64(m.maxRSS)/mib)
	}
	if b.anyStarved() {
		r.WriteString("\n† wall time over 1.5 × CPU time: the process waited for a core, so other work on the machine inflated it. " +
			"Checks on such figures are marked † too; rerun on a quiet machine, or read the CPU ratio.\n")
	}

	r.WriteString("\n### Targets\n\n| check | target | measured | result |\n|---|---|---|---|\n")
	for _, c := range b.checks() {
		fmt.Fprintf(&r, "| %s | %s | %s | %s |\n", c.name, c.target, c.measured, c.result)
	}

	notes := b.notes
	if f0, e := b.results["f0"][mediumSize], b.results["e"][mediumSize]; f0.ok() && e.ok() {
		notes = append(notes, fmt.Sprintf("f0/e at %s is %.2f (CPU %.2f): kustomize's own round trip through an exec function that does nothing, "+
			"the part of f/e that podgraft cannot change.", thousands(mediumSize), f0.wall.Seconds()/e.wall.Seconds(), f0.cpu.Seconds()/e.cpu.Seconds()))
	}
	if len(notes) > 0 {
		r.WriteString("\nNotes:\n\n")
		for _, note := range notes {
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

// checks compares the measurements with issue 7's targets. Time ratios are of
// wall time, as the targets are; the CPU-time ratio beside them tells whether
// a result is the program or other work on the machine.
func (b *bench) checks() []checkResult {
	large, medium := thousands(largeSize), thousands(mediumSize)
	var out []checkResult
	add := func(name, target string, measured string, pass bool, skipped string, starved ...measurement) {
		result := "FAIL"
		switch {
		case skipped != "":
			measured, result = "–", skipped
		case pass:
			result = "PASS"
		}
		for _, m := range starved {
			if m.starved() && skipped == "" {
				result += " †"
				break
			}
		}
		out = append(out, checkResult{name, target, measured, result})
	}
	// timeCheck compares case id at n with case baseID at baseN.
	timeCheck := func(name string, id string, n int, baseID string, baseN int, atMost, atLeast float64) {
		m, why := b.get(id, n)
		base, baseWhy := b.get(baseID, baseN)
		why = firstNonEmpty(why, baseWhy)
		wall := m.wall.Seconds() / base.wall.Seconds()
		cpu := m.cpu.Seconds() / base.cpu.Seconds()
		target, pass := fmt.Sprintf("≤ %g", atMost), wall <= atMost
		if atLeast > 0 {
			target, pass = fmt.Sprintf("≥ %g", atLeast), wall >= atLeast
		}
		add(name, target, fmt.Sprintf("%.2f (CPU %.2f)", wall, cpu), pass, why, m, base)
	}

	timeCheck("c/a time at "+large, "c", largeSize, "a", largeSize, 1.2, 0)
	timeCheck("cx/a time at "+large, "cx", largeSize, "a", largeSize, 1.2, 0)
	timeCheck("cf/af time at "+large+" (fronted stream)", "cf", largeSize, "af", largeSize, 1.2, 0)
	// Issue 14: splicing and reading only headers put standalone mode
	// below the floor that decodes and encodes every document.
	timeCheck("c/a time at "+large+" (issue 14)", "c", largeSize, "a", largeSize, 0.9, 0)
	timeCheck("cx/a time at "+large+" (issue 14)", "cx", largeSize, "a", largeSize, 0.9, 0)

	for _, id := range []string{"c", "cx", "cf"} {
		m, why := b.get(id, largeSize)
		size := b.inputSize(id, largeSize)
		limit := 3*float64(size)/mib + 64
		target := "≤ 3 × input + 64 MiB"
		if size > 0 {
			target += fmt.Sprintf(" (%.0f MiB)", limit)
		}
		add("peak RSS of "+id+" at "+large, target,
			fmt.Sprintf("%.0f MiB", float64(m.maxRSS)/mib), float64(m.maxRSS)/mib <= limit, why)
	}

	timeCheck("d/b time at "+large, "d", largeSize, "b", largeSize, 1.3, 0)

	d, why := b.get("d", largeSize)
	kyaml, kyamlWhy := b.get("b", largeSize)
	ratio := float64(d.maxRSS) / float64(kyaml.maxRSS)
	add("d/b peak RSS at "+large, "≤ 1.2", fmt.Sprintf("%.2f", ratio), ratio <= 1.2, firstNonEmpty(why, kyamlWhy))

	timeCheck("e/c time at "+medium, "e", mediumSize, "c", mediumSize, 0, 20)

	timeCheck("f/e time at "+medium, "f", mediumSize, "e", mediumSize, 1.1, 0)
	if _, why := b.get("e", largeSize); why == "" { // e rarely runs at 10,000
		timeCheck("f/e time at "+large, "f", largeSize, "e", largeSize, 1.1, 0)
	}

	floor, podgraft := b.startup["floor"], b.startup["podgraft"]
	why = firstNonEmpty(floor.skipped, podgraft.skipped)
	ratio = float64(podgraft.wall) / float64(floor.wall)
	add("g: start-up, podgraft/floor", "≤ 1.5", fmt.Sprintf("%.2f (CPU %.2f)", ratio, float64(podgraft.cpu)/float64(floor.cpu)), ratio <= 1.5, why, floor, podgraft)

	timeCheck(fmt.Sprintf("c time %s/%s", large, medium), "c", largeSize, "c", mediumSize, 11, 0)
	timeCheck("c10/c time at "+large+" (10 PodGrafts vs 1)", "c10", largeSize, "c", largeSize, 3, 0)
	return out
}

// inputSize is the size of the input case id reads at n workloads.
func (b *bench) inputSize(id string, n int) int64 {
	if id == "af" || id == "cf" {
		return b.frontedInputs[n]
	}
	return b.inputs[n]
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

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func starredIf(starved bool) string {
	if starved {
		return " †"
	}
	return ""
}

func (b *bench) anyStarved() bool {
	for _, sizes := range b.results {
		for _, m := range sizes {
			if m.starved() {
				return true
			}
		}
	}
	for _, m := range b.startup {
		if m.starved() {
			return true
		}
	}
	return false
}
