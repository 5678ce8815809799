// Command podgraft-webhook is podgraft's mutating admission webhook: it
// grafts Pods on CREATE with the same PodGraft configs and engine as the
// podgraft command. See the README and deploy/webhook.
package main

import (
	"os"

	"github.com/podgraft/podgraft/internal/webhook"
)

// version is stamped by the Makefile with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(webhook.Run(version, os.Args[1:], os.Stdout, os.Stderr))
}
