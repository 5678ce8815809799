// Command podgraft grafts sidecars, init containers, probes and volumes
// onto Kubernetes pod templates. See the README.
package main

import "os"

func main() {
	os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
