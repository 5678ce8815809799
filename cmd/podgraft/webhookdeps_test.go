package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKRMBinaryLinksNoWebhook: the KRM function's binary links none of the
// admission webhook's server, TLS watching, metrics or patching code, so
// that its start-up (bench case g) and size do not grow with the webhook.
func TestKRMBinaryLinksNoWebhook(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	forbidden := []string{
		"github.com/podgraft/podgraft/internal/webhook",
		"github.com/podgraft/podgraft/internal/testcerts",
		"github.com/prometheus/",
		"sigs.k8s.io/controller-runtime",
		"gomodules.xyz/jsonpatch",
		"github.com/fsnotify/fsnotify",
		"k8s.io/client-go",
		"k8s.io/api/admission",
	}
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/podgraft/podgraft/fn", "the list is podgraft's")
	for _, dep := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("cmd/podgraft links %s: webhook code belongs in cmd/podgraft-webhook only", dep)
			}
		}
	}
}
