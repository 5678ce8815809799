package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Grafts that reach each other's sidecars: "*" mounts and glob probes
// select every container that runs for the pod's lifetime, the other
// grafts' sidecars included, whatever order the grafts come in.
var reachConfigs = map[string]string{
	"proxy": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: proxy}
spec:
  requireReadinessProbe: "off"
  sidecars:
    - name: proxy
      image: envoyproxy/envoy:v1.31.0
      ports: [{name: proxy-admin, containerPort: 9901}]
  volumes:
    - name: proxy-conf
      emptyDir: {}
      mounts: [{containers: [proxy], mountPath: /etc/envoy}]
`,
	"certs": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: certs}
spec:
  requireReadinessProbe: "off"
  volumes:
    - name: certs
      emptyDir: {}
      mounts: [{containers: ["*"], mountPath: /etc/certs, readOnly: true}]
  probes:
    - containers: ["proxy*", "agent*"]
      liveness: {tcpSocket: {port: 9901}, periodSeconds: 20}
`,
	"agent": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: agent}
spec:
  requireReadinessProbe: "off"
  sidecars:
    - name: agent
      image: datadog/agent:7
      native: false
  volumes:
    - name: agent-run
      emptyDir: {}
      mounts: [{containers: ["*"], mountPath: /var/run/agent}]
  probes:
    - containers: [agent]
      readiness: {exec: {command: [agent, health]}}
`,
	// named reaches the other grafts' sidecars by their exact names, so it
	// needs them in the pod when it runs.
	"named": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: named}
spec:
  requireReadinessProbe: "off"
  volumes:
    - name: tokens
      emptyDir: {}
      mounts: [{containers: [proxy, web], mountPath: /var/run/tokens}]
  probes:
    - containers: [agent]
      startup: {exec: {command: [agent, ready]}, failureThreshold: 30}
`,
}

const reachInput = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: shop/web:1.2
          ports:
            - name: http
              containerPort: 3000
`

func newReachProps(t *testing.T) props {
	dir := t.TempDir()
	for name, body := range reachConfigs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(body), 0o644))
	}
	return props{t: t, dir: dir}
}

func permutations(items []string) [][]string {
	if len(items) <= 1 {
		return [][]string{append([]string{}, items...)}
	}
	var out [][]string
	for i := range items {
		rest := append(append([]string{}, items[:i]...), items[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{items[i]}, p...))
		}
	}
	return out
}

// Every order of three grafts that reach each other's sidecars, applied
// together (-c in any order) or one after another in any sequence, gives
// the same pod, byte for byte; --check passes on it; taking any one out,
// in any order, leaves what the others alone give.
func TestPropertyThreeGraftsAnyOrder(t *testing.T) {
	grafts := []string{"agent", "certs", "proxy"}
	p := newReachProps(t)
	want := p.apply(reachInput, grafts...)
	require.Contains(t, want, "/etc/certs", "certs mounts into the pod")
	require.Equal(t, 3, strings.Count(want, "mountPath: /etc/certs"), "certs' \"*\" reaches web, proxy and agent")
	require.Equal(t, 3, strings.Count(want, "mountPath: /var/run/agent"), "agent's \"*\" reaches web, proxy and agent")
	require.Equal(t, 2, strings.Count(want, "livenessProbe:"), "certs' glob probes reach proxy and agent")
	for _, order := range permutations(grafts) {
		name := strings.Join(order, ",")
		t.Run("together/"+name, func(t *testing.T) {
			p := props{t: t, dir: p.dir}
			require.Equal(t, want, p.apply(reachInput, order...))
		})
		t.Run("one after another/"+name, func(t *testing.T) {
			p := props{t: t, dir: p.dir}
			out := reachInput
			for _, g := range order {
				out = p.apply(out, g)
			}
			require.Equal(t, want, out)
			_, stderr, code := runCLI(t, []byte(out), "--check", "-c", filepath.Join(p.dir, "agent.yaml"), "-c", filepath.Join(p.dir, "certs.yaml"), "-c", filepath.Join(p.dir, "proxy.yaml"), "-")
			require.Equal(t, 0, code, "--check passes: %s", stderr)
		})
		t.Run("removed one after another/"+name, func(t *testing.T) {
			p := props{t: t, dir: p.dir}
			out, left := want, append([]string{}, grafts...)
			for _, g := range order {
				out = p.remove(out, g)
				left = without(left, g)
				if len(left) > 0 {
					require.Equal(t, p.apply(reachInput, left...), out, "without %s: what %v alone give", g, left)
				}
			}
			require.Equal(t, reachInput, out)
		})
	}
}

func without(items []string, drop string) []string {
	var out []string
	for _, it := range items {
		if it != drop {
			out = append(out, it)
		}
	}
	return out
}

// Exact names reach another graft's sidecars too, in any order: a mount
// for a container the pod does not have yet is kept for it, and the graft
// that adds the container gives it the mount.
func TestPropertyNamedReachAnyOrder(t *testing.T) {
	all := []string{"agent", "certs", "named", "proxy"}
	p := newReachProps(t)
	want := p.apply(reachInput, all...)
	require.Equal(t, 2, strings.Count(want, "mountPath: /var/run/tokens"), "named mounts into web and proxy")
	require.Contains(t, want, "startupProbe:")
	for _, order := range permutations(all) {
		t.Run("together/"+strings.Join(order, ","), func(t *testing.T) {
			p := props{t: t, dir: p.dir}
			require.Equal(t, want, p.apply(reachInput, order...))
		})
	}
	for _, order := range permutations(all) {
		t.Run("one after another/"+strings.Join(order, ","), func(t *testing.T) {
			p := props{t: t, dir: p.dir}
			out := reachInput
			for _, g := range order {
				out = p.apply(out, g)
			}
			require.Equal(t, want, out)
		})
	}
	for _, g := range []string{"agent", "proxy"} {
		t.Run("out and back/"+g, func(t *testing.T) {
			p := props{t: t, dir: p.dir}
			out := p.remove(want, g)
			require.NotContains(t, out, "name: "+g+"\n", "%s's sidecar is gone", g)
			require.NotContains(t, out, `"`+g+`:`, "no record lists a part of %s any more", g)
			require.Equal(t, want, p.apply(out, g), "putting %s back gives it the named graft's parts again", g)
		})
	}
}
