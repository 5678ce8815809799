// Command cluster runs podgraft's test cluster (etcd + kube-apiserver, see
// package testcluster) for a person: it prints the kubeconfig and how to use
// it, waits for Ctrl-C, then stops both processes in order. `make cluster`
// runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/podgraft/podgraft/internal/testcluster"
)

// marker marks a directory this command created, so that a later run may
// clear it without risking a directory the user chose for something else.
const marker = ".podgraft-testcluster"

func main() {
	dir := flag.String("dir", filepath.Join("bin", "cluster"), "directory for certificates, etcd data, logs and the kubeconfig (recreated on each run)")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := resetDir(abs); err != nil {
		return err
	}
	fmt.Printf("starting etcd and kube-apiserver from %s ...\n", testcluster.ToolsBin())
	start := time.Now()
	c, err := testcluster.StartForHuman(abs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	version, verr := c.ServerVersion(ctx)
	cancel()
	if verr != nil {
		version = "unknown version: " + verr.Error()
	}
	tools := testcluster.ToolsBin()
	fmt.Printf(`
podgraft test cluster is ready after %s: kube-apiserver %s at %s

  kubeconfig:  %s
  logs:        %s/etcd.log, %s/kube-apiserver.log

Use it from another shell (token auth, all requests allowed, no nodes: Pods
are stored but never scheduled):

  export KUBECONFIG=%s
  %s/helm3 install demo <chart> --namespace demo --create-namespace \
      --post-renderer %s
  %s/helm3 list -A

kubectl works too, if you have one. The data is thrown away on the next run.
Press Ctrl-C to stop the cluster.
`, time.Since(start).Round(time.Second), version, c.Server,
		c.Kubeconfig, c.Dir, c.Dir, c.Kubeconfig, tools, podgraftBin(), tools)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	fmt.Println("\nstopping kube-apiserver, then etcd ...")
	if err := c.Stop(); err != nil {
		return err
	}
	fmt.Println("stopped.")
	return nil
}

// podgraftBin is the podgraft binary to suggest as post-renderer.
func podgraftBin() string {
	if p := os.Getenv("PODGRAFT_BIN"); p != "" {
		return p
	}
	return filepath.Join("bin", "podgraft")
}

// resetDir empties dir if this command created it, and creates it.
func resetDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return err
	case len(entries) == 0:
	default:
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return fmt.Errorf("%s is not empty and was not created by this command; choose another -dir", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, marker), nil, 0o600)
}
