package main

import (
	"io"

	"github.com/podgraft/podgraft/fn"
)

// runCheck is --check: a drift report. It reads the stream like a real run
// but writes nothing to stdout. Every workload whose graft is missing or out
// of date (with --remove: still present) is an error line on stderr, in the
// format of every other result, and the exit code is 1; when everything is
// current it prints nothing (one info line per workload with -v) and exits 0.
func runCheck(opts options, p *fn.Processor, inputs []fn.Input, stderr io.Writer) int {
	if _, err := fn.RunStream(p, inputs); err != nil {
		reportFailure(p, err, opts.verbose, stderr)
		return exitError
	}
	report(p.Results.Items, opts.verbose, stderr)
	return exitOK
}
