// Package testcluster runs a real, throwaway Kubernetes control plane (etcd
// plus kube-apiserver, the binaries `make tools` builds into bin/tools) on
// loopback for podgraft's end-to-end tests, and talks to it with nothing but
// net/http.
//
// # Starting
//
//	c := testcluster.Start(t) // fails the test if bin/tools lacks the binaries
//
// Start picks free ports, generates a CA, a serving certificate and a service
// account key in a t.TempDir, writes a static token file, starts etcd and
// then kube-apiserver, and waits for /readyz and the "default" namespace
// (about 5-15 s). When the test ends it stops kube-apiserver before etcd
// (SIGTERM, then SIGKILL after 15 s) and, if the test failed, logs the tail of
// both processes' logs. Binaries come from $PODGRAFT_TOOLS_BIN (set by the
// Makefile), else <repo>/bin/tools.
//
// To share one cluster among a package's tests, start it in TestMain with
// StartForHuman(dir) and call Stop at the end; `make cluster` does the same
// for a person (internal/testcluster/cmd/cluster).
//
// The API server runs with token authentication (a system:masters user),
// --authorization-mode=AlwaysAllow, --allow-privileged=true and the
// ServiceAccount admission plugin disabled. There is no controller-manager,
// scheduler or kubelet: objects are validated, defaulted and stored, but
// Deployments never get ReplicaSets, Pods are never scheduled, and namespaces
// get no default ServiceAccount. Note that the server accepts pod templates
// without an image; do not rely on it to catch that.
//
// # Running helm (or kubectl) against it
//
//	cmd := exec.Command(filepath.Join(testcluster.ToolsBin(), "helm3"), "install", ...)
//	cmd.Env = append(os.Environ(), c.Env()...)
//
// Env sets KUBECONFIG (c.Kubeconfig: token user, embedded CA, namespace
// "default") and HELM_CACHE_HOME, HELM_CONFIG_HOME, HELM_DATA_HOME and
// HELM_PLUGINS below c.Dir, so helm never reads or writes the user's setup
// and `helm plugin install` lands in the cluster's own data home.
//
// # Objects
//
// All helpers take a context and find the REST resource of an
// apiVersion+kind through API discovery (cached; a miss is retried for up to
// 10 s so kinds of a just-created CRD are found):
//
//	c.CreateNamespace(ctx, "demo", map[string]string{"team": "a"})
//	obj, err := c.Create(ctx, yamlDoc, true)    // POST; true: ?dryRun=All
//	obj, err := c.Apply(ctx, yamlDoc, false)    // server-side apply, create or update
//	err := c.ApplyAll(ctx, multiDocStream, false) // every document of helm/kustomize output
//	obj, err := c.Get(ctx, "apps/v1", "Deployment", "demo", "web")
//	objs, err := c.List(ctx, "v1", "ConfigMap", "demo", "app=web") // "" namespace: all
//	err := c.Delete(ctx, "apps/v1", "Deployment", "demo", "web")
//	b, err := c.Do(ctx, "GET", "/api/v1/namespaces", "", nil) // raw escape hatch
//
// Create, Apply and ApplyAll use fieldValidation=Strict: an unknown or
// duplicated field is an error, not a warning, so a malformed manifest from
// podgraft fails the test. A namespaced object without a namespace goes to
// "default". Objects come back as map[string]any (JSON-decoded).
//
// A rejected request returns a *StatusError whose Message is the server's
// own explanation, e.g. `Deployment.apps "web" is invalid:
// spec.template.spec.containers: Required value`; IsInvalid, IsNotFound and
// IsAlreadyExists classify it. SplitYAML splits a multi-document stream.
package testcluster
