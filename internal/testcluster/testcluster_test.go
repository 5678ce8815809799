package testcluster

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
)

func TestSplitYAML(t *testing.T) {
	in := "# leading comment only\n---\na: 1\n--- # Source: chart/templates/x.yaml\nb: |\n  ---\n  kept\n---\n\n---\n# just a comment\n---\nc: 3\n"
	got := SplitYAML(in)
	want := []string{"a: 1\n", "b: |\n  ---\n  kept\n", "c: 3\n"}
	if len(got) != len(want) {
		t.Fatalf("SplitYAML: got %d documents %q, want %q", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("document %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestNewPKI(t *testing.T) {
	p, err := newPKI(t.TempDir(), serviceIP)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(p.certFile, p.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(p.caPEM) {
		t.Fatal("CA PEM does not parse")
	}
	for _, host := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("serving certificate not valid for %s: %v", host, err)
		}
	}
	if !leaf.IPAddresses[len(leaf.IPAddresses)-1].Equal(net.ParseIP("10.0.0.1")) {
		t.Errorf("service IP missing from SANs: %v", leaf.IPAddresses)
	}
	for _, f := range []string{p.saKeyFile, p.saPubFile, p.caFile} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}

func TestObjectRefPaths(t *testing.T) {
	deploy := objectRef{apiVersion: "apps/v1", namespace: "demo", name: "web", res: apiResource{Name: "deployments", Namespaced: true}}
	if got := deploy.itemPath(); got != "/apis/apps/v1/namespaces/demo/deployments/web" {
		t.Errorf("itemPath = %s", got)
	}
	ns := objectRef{apiVersion: "v1", name: "demo", res: apiResource{Name: "namespaces"}}
	if got := ns.itemPath(); got != "/api/v1/namespaces/demo" {
		t.Errorf("itemPath = %s", got)
	}
	all := objectRef{apiVersion: "v1", res: apiResource{Name: "configmaps", Namespaced: true}}
	if got := all.collectionPath(); got != "/api/v1/configmaps" {
		t.Errorf("collectionPath = %s", got)
	}
}
