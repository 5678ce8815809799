// Command podgraft grafts sidecars, init containers, probes and volumes
// onto Kubernetes pod templates. See the README.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// A stdout whose reader went away is an error reported with exit 1,
	// not a silent death by SIGPIPE.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
