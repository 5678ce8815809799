package transformers

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// The steps, one table each, on the pod value.

func TestConflictsStep(t *testing.T) {
	const recorded = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  annotations:
    podgraft.dev/grafts: '{"logs":{"hash":"h","sidecars":["fluent","gone"]}}'
spec:
  initContainers:
  - {name: setup, image: s, ports: [{containerPort: 9000}]}
  - {name: fluent, image: f, restartPolicy: Always, ports: [{containerPort: 2020}]}
  containers:
  - name: web
    image: w
    ports:
    - {name: http, containerPort: 8080}
    - {name: dns, containerPort: 53, protocol: UDP}
    - {containerPort: 9090, hostPort: 80}
`
	tests := map[string]struct {
		spec string
		// want holds "<field>: <message fragment>"; none means no conflict.
		want []string
	}{
		"name of an app container": {spec: "  sidecars: [{name: web, image: x}]",
			want: []string{`spec.containers[0]: g cannot graft container "web": the name is already used by a container podgraft did not graft`}},
		"name of another graft's container": {spec: "  sidecars: [{name: fluent, image: x}]",
			want: []string{`spec.initContainers[1]: g cannot graft container "fluent": the name is already used by a container grafted by logs`}},
		"name another graft's record keeps": {spec: "  sidecars: [{name: gone, image: x}]",
			want: []string{`metadata.annotations.podgraft.dev/grafts: g cannot graft container "gone": the name belongs to logs, whose record lists it`}},
		"containerPort of an app container": {spec: "  sidecars: [{name: p, image: x, ports: [{containerPort: 8080}]}]",
			want: []string{`spec.containers[0].ports[0].containerPort: g cannot graft container "p" with containerPort 8080/TCP: the port is already used by container "web", which podgraft did not graft`}},
		"containerPort of a native sidecar": {spec: "  sidecars: [{name: p, image: x, ports: [{containerPort: 2020}]}]",
			want: []string{`spec.initContainers[1].ports[0].containerPort: g cannot graft container "p" with containerPort 2020/TCP: the port is already used by container "fluent", which was grafted by logs`}},
		"hostPort": {spec: "  sidecars: [{name: p, image: x, native: false, ports: [{containerPort: 81, hostPort: 80}]}]",
			want: []string{`hostPort 80/TCP: the port is already used by container "web"`}},
		"the same number in another protocol":    {spec: "  sidecars: [{name: p, image: x, ports: [{containerPort: 53}]}]"},
		"a plain init container's port":          {spec: "  sidecars: [{name: p, image: x, ports: [{containerPort: 9000}]}]"},
		"init containers' ports are not checked": {spec: "  initContainers: [{name: i, image: x, ports: [{containerPort: 8080}]}]"},
		"imageFrom a missing app container": {spec: "  initContainers: [{name: m, imageFrom: api}]",
			want: []string{`spec.containers: g: init container "m" has imageFrom "api", but the pod has no such app container`}},
		"placement anchor missing": {spec: "  sidecars: [{name: a, image: x, placement: 'before:web'}]",
			want: []string{`spec.initContainers: g: container "a" has placement "before:web", but spec.initContainers has no container "web"`}},
		"placement anchor of another graft": {spec: "  sidecars: [{name: a, image: x, placement: 'after:fluent'}]",
			want: []string{`spec.initContainers[1]: g: container "a" has placement "after:fluent", but "fluent" was grafted by logs`}},
		"placement anchor of the same graft": {spec: "  sidecars: [{name: a, image: x}, {name: b, image: x, placement: 'after:a'}]"},
		"every conflict at once": {spec: "  sidecars: [{name: web, image: x, ports: [{containerPort: 8080}]}]\n  initContainers: [{name: m, imageFrom: api}]",
			want: []string{`name is already used`, `containerPort 8080/TCP`, `imageFrom "api"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := compile(t, graft("g", tc.spec), Apply)
			p := withEntry(podOf(t, recorded), g)
			ok := g.conflicts(p)
			require.Equal(t, len(tc.want) == 0, ok, "%v", messages(p.results, true))
			require.Len(t, messages(p.results, true), len(tc.want))
			containsAll(t, messages(p.results, true), tc.want)
			require.False(t, p.changed, "conflicts changes nothing")
		})
	}
}

func TestContainersStep(t *testing.T) {
	tests := map[string]struct {
		spec            string
		kind            string // the resource kind: Pod by default
		inits, apps     []string
		warn            string
		restartPolicies map[string]string
	}{
		"a native sidecar is an init container with restartPolicy Always": {
			spec:  "  sidecars: [{name: proxy, image: envoy}]",
			inits: []string{"setup", "proxy"}, apps: []string{"web", "worker"},
			restartPolicies: map[string]string{"proxy": "Always", "setup": ""},
		},
		"a regular sidecar goes to containers": {
			spec:  "  sidecars: [{name: proxy, image: envoy, native: false}]",
			inits: []string{"setup"}, apps: []string{"web", "worker", "proxy"},
			restartPolicies: map[string]string{"proxy": ""},
		},
		"first, before and after": {
			spec:  "  sidecars: [{name: a, image: x, placement: first}, {name: b, image: x, native: false, placement: 'before:worker'}, {name: c, image: x, native: false, placement: 'after:web'}]",
			inits: []string{"a", "setup"}, apps: []string{"web", "c", "b", "worker"},
		},
		"sidecars before init containers of one placement": {
			spec:  "  initContainers: [{name: migrate, image: m, placement: first}]\n  sidecars: [{name: proxy, image: envoy, placement: first}]",
			inits: []string{"proxy", "migrate", "setup"}, apps: []string{"web", "worker"},
		},
		"a regular sidecar on a Job warns": {
			kind: "Job", spec: "  sidecars: [{name: proxy, image: envoy, native: false}]",
			inits: []string{"setup"}, apps: []string{"web", "worker", "proxy"},
			warn: "adds a regular (native: false) sidecar to a Job: the pod never completes while it runs",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := compile(t, graft("g", tc.spec), Apply)
			resource := appPod
			if tc.kind == "Job" {
				resource = appJob
			}
			p := withEntry(podOf(t, resource), g)
			require.True(t, g.containers(p))
			require.True(t, p.changed)
			require.Equal(t, tc.inits, names(p, "initContainers"))
			require.Equal(t, tc.apps, names(p, "containers"))
			for c, want := range tc.restartPolicies {
				for _, ct := range allContainers(p.spec) {
					if ct.name() == c {
						require.Equal(t, want, node.Str(ct.node, "restartPolicy"), c)
					}
				}
			}
			if tc.warn != "" {
				containsAll(t, messages(p.results, false), []string{tc.warn})
			} else {
				require.Empty(t, p.results)
			}
		})
	}
}

func TestContainersImageFrom(t *testing.T) {
	g := compile(t, graft("g", "  initContainers: [{name: migrate, imageFrom: web, command: [bin/migrate]}]"), Apply)
	p := withEntry(podOf(t, appPod), g)
	require.True(t, g.containers(p))
	migrate := containers(p.spec, "initContainers")[1].node
	require.Equal(t, []string{"name", "image", "imagePullPolicy", "command"}, keys(migrate), "image and pull policy right after name")
	require.Equal(t, "shop/web:1.2", node.Str(migrate, "image"))
	require.Equal(t, map[string]string{"migrate": "web"}, p.entry.ImageFrom, "recorded, so a new app image re-grafts")
}

func keys(m *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, m.Content[i].Value)
	}
	return out
}

func TestVolumesStep(t *testing.T) {
	tests := map[string]struct {
		resource string
		spec     string
		// mounts: "<container>:<mountPath>" the entry records.
		mounts  []string
		volumes []string
		errs    []string
		waiting []string
	}{
		"an emptyDir mounted into two containers": {
			spec:   "  volumes: [{name: scratch, emptyDir: {}, mounts: [{containers: [web, worker], mountPath: /scratch}]}]",
			mounts: []string{"web:/scratch", "worker:/scratch"}, volumes: []string{"scratch"},
		},
		"a glob matches lifetime containers, not the plain init container": {
			spec:   "  volumes: [{name: scratch, emptyDir: {}, mounts: [{containers: ['*'], mountPath: /scratch}]}]",
			mounts: []string{"web:/scratch", "worker:/scratch"}, volumes: []string{"scratch"},
		},
		"a named init container is mounted": {
			spec:   "  volumes: [{name: scratch, emptyDir: {}, mounts: [{containers: [setup], mountPath: /scratch}]}]",
			mounts: []string{"setup:/scratch"}, volumes: []string{"scratch"},
		},
		"a container the pod does not have waits for it": {
			spec:   "  volumes: [{name: scratch, emptyDir: {}, mounts: [{containers: [web, nginx], mountPath: /scratch}]}]",
			mounts: []string{"web:/scratch"}, volumes: []string{"scratch"},
			waiting: []string{`names "nginx", but the pod has no such container; it gets the mount when a graft adds it`},
		},
		"a volume name used with another source": {
			resource: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: web, image: w}]\n  volumes: [{name: scratch, hostPath: {path: /tmp}}]\n",
			spec:     "  volumes: [{name: scratch, emptyDir: {}}]",
			errs:     []string{`spec.volumes[0]: g: volume "scratch" (spec.volumes[0], emptyDir) clashes with the pod's own volume "scratch" (hostPath)`},
		},
		"the pod's own identical volume is used as it is": {
			resource: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: web, image: w}]\n  volumes: [{name: scratch, emptyDir: {}}]\n",
			spec:     "  volumes: [{name: scratch, emptyDir: {}, mounts: [{containers: [web], mountPath: /s}]}]",
			mounts:   []string{"web:/s"},
		},
		"two mounts at one path": {
			spec: "  volumes: [{name: a, emptyDir: {}, mounts: [{containers: [web], mountPath: /x}]}, {name: b, emptyDir: {}, mounts: [{containers: [web], mountPath: /x}]}]",
			errs: []string{`g: spec.volumes[0].mounts[0] and spec.volumes[1].mounts[0] both mount at "/x" in container "web"`},
		},
		"a hostPath isolated per namespace": {
			spec:   "  volumes: [{name: cache, hostPath: {path: /var/cache/shop}, isolate: namespace, mounts: [{containers: [web], mountPath: /cache}]}]",
			mounts: []string{"web:/cache"}, volumes: []string{"cache"},
		},
		"a hostPath outside the policy": {
			spec: "  volumes: [{name: cache, hostPath: {path: /etc}}]\n  policy: {allowedHostPaths: [/var/cache]}",
			errs: []string{`g: spec.volumes[0].hostPath.path: "/etc" is outside spec.policy.allowedHostPaths (/var/cache)`},
		},
		"files become a generated ConfigMap": {
			spec:   "  volumes: [{name: conf, files: {a.conf: x}, mounts: [{containers: [web], mountPath: /etc/a}]}]",
			mounts: []string{"web:/etc/a"}, volumes: []string{"conf"},
		},
		"perReplica only on a StatefulSet": {
			spec: "  volumes: [{name: data, persistentVolumeClaim: {claimName: data}, claim: {storage: 1Gi, perReplica: true}}]",
			errs: []string{"claim.perReplica adds a volumeClaimTemplates entry, which only a StatefulSet has"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resource := tc.resource
			if resource == "" {
				resource = appPod
			}
			g := compile(t, graft("g", tc.spec), Apply)
			p := withEntry(podOf(t, resource), g)
			ok := g.volumes(p)
			require.Equal(t, len(tc.errs) == 0, ok, "%v", messages(p.results, true))
			containsAll(t, messages(p.results, true), tc.errs)
			if !ok {
				return
			}
			require.Equal(t, tc.mounts, p.entry.Mounts)
			require.Equal(t, tc.volumes, p.entry.Volumes)
			var waiting []string
			for _, w := range p.waiting {
				waiting = append(waiting, w.result.Message)
			}
			require.Len(t, waiting, len(tc.waiting))
			containsAll(t, waiting, tc.waiting)
		})
	}
}

func TestVolumesHostPathAndFiles(t *testing.T) {
	g := compile(t, graft("g", "  volumes:\n  - {name: cache, hostPath: {path: /var/cache/shop}, isolate: workload, mounts: [{containers: [web], mountPath: /cache, subPath: go}]}\n  - {name: conf, files: {a.conf: x}, secret: true}"), Apply)
	p := withEntry(podOf(t, appPod), g)
	require.True(t, g.volumes(p))
	vols := node.Lookup(p.spec, "volumes").Content
	require.Equal(t, "/var/cache/shop", field(vols[0], "hostPath", "path"), "the namespace is resolved at runtime, not written into the path")
	web := containers(p.spec, "containers")[0].node
	mount := node.Lookup(web, "volumeMounts").Content[0]
	require.Equal(t, "$(PODGRAFT_NAMESPACE)/web/go", node.Str(mount, "subPathExpr"), "namespace, workload, then the user's subPath")
	require.Nil(t, node.Lookup(mount, "subPath"), "subPath and subPathExpr are exclusive")
	env := node.Lookup(web, "env").Content[0]
	require.Equal(t, "PODGRAFT_NAMESPACE", node.Str(env, "name"))
	require.Equal(t, "metadata.namespace", field(env, "valueFrom", "fieldRef", "fieldPath"))
	require.Equal(t, []string{"web:PODGRAFT_NAMESPACE"}, p.entry.Env)
	require.Equal(t, g.files["conf"].Name("g", "conf"), field(vols[1], "secret", "secretName"))
	require.Equal(t, []string{"Secret/" + g.files["conf"].Name("g", "conf")}, p.entry.Generated)
}

func TestSecurityStep(t *testing.T) {
	g := compile(t, graft("g", "  securityProfile: restricted\n  sidecars: [{name: proxy, image: envoy, securityContext: {runAsUser: 1000}}]"), Apply)
	p := withEntry(podOf(t, appPod), g)
	require.True(t, g.containers(p))
	require.True(t, g.security(p))
	proxy := containers(p.spec, "initContainers")[1].node
	sc := node.Lookup(proxy, "securityContext")
	require.Equal(t, []string{"runAsUser", "allowPrivilegeEscalation", "runAsNonRoot", "capabilities", "seccompProfile"}, keys(sc),
		"the user's fields stay, the restricted ones are added after them")
	require.Equal(t, "RuntimeDefault", field(sc, "seccompProfile", "type"))
	warnings := messages(p.results, false)
	containsAll(t, warnings, []string{`the pod's own containers would still violate Pod Security "restricted": setup, web, worker (allowPrivilegeEscalation is not false`})
	require.NotContains(t, warnings[0], "proxy", "the grafted container complies")
}

func TestProbesStep(t *testing.T) {
	tests := map[string]struct {
		resource string
		spec     string
		probes   []string // the entry's
		replaced []string
		errs     []string
		warn     string
	}{
		"by default the app containers with ports": {
			spec: "  probes: [{readiness: {httpGet: {path: /ready, port: http}}}]", probes: []string{"web:readiness"},
		},
		"only missing probes are filled": {
			resource: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: web, image: w, ports: [{name: http, containerPort: 80}], readinessProbe: {tcpSocket: {port: http}}}]\n",
			spec:     "  probes: [{readiness: {httpGet: {path: /ready, port: http}}, liveness: {tcpSocket: {port: http}}}]",
			probes:   []string{"web:liveness"},
		},
		"override replaces and keeps the user's probe": {
			resource: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: web, image: w, ports: [{name: http, containerPort: 80}], readinessProbe: {tcpSocket: {port: http}}}]\n",
			spec:     "  probes: [{override: true, readiness: {httpGet: {path: /ready, port: http}}}]",
			probes:   []string{"web:readiness"}, replaced: []string{"web:readiness"},
		},
		"a named port the container does not declare": {
			spec: "  probes: [{containers: [worker], readiness: {httpGet: {path: /ready, port: http}}}]",
			errs: []string{`spec.containers[1].readinessProbe.httpGet.port: g: container "worker" has no port named "http" (used by spec.probes[0].readiness.httpGet.port)`},
		},
		"a run-to-completion init container by name": {
			spec: "  probes: [{containers: [setup], liveness: {tcpSocket: {port: 1}}}]",
			errs: []string{`g: spec.probes[0] selects init container "setup", which runs to completion`},
		},
		"a probe another graft set": {
			resource: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, annotations: {podgraft.dev/grafts: '{\"other\":{\"hash\":\"h\",\"probes\":[\"web:liveness\"]}}'}}\nspec:\n  containers: [{name: web, image: w, livenessProbe: {tcpSocket: {port: 1}}}]\n",
			spec:     "  probes: [{containers: [web], liveness: {tcpSocket: {port: 2}}}]",
			errs:     []string{`would fill the liveness probe of container "web", but other set it; two grafts cannot own one probe`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resource := tc.resource
			if resource == "" {
				resource = appPod
			}
			g := compile(t, graft("g", tc.spec), Apply)
			p := withEntry(podOf(t, resource), g)
			ok := g.probes(p)
			require.Equal(t, len(tc.errs) == 0, ok, "%v", messages(p.results, true))
			containsAll(t, messages(p.results, true), tc.errs)
			if !ok {
				return
			}
			require.Equal(t, tc.probes, p.entry.Probes)
			var replaced []string
			for k := range p.entry.Replaced {
				replaced = append(replaced, k)
			}
			require.ElementsMatch(t, tc.replaced, replaced)
		})
	}
}

func TestReadinessCheck(t *testing.T) {
	policy := func(name, severity string) *Graft {
		return compile(t, "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: "+name+"}\nspec: {requireReadinessProbe: \""+severity+"\"}", Apply)
	}
	warn, strict, off := policy("w", "warning"), policy("s", "error"), policy("o", "off")
	r := yaml.MustParse(appPod)
	results := readiness(r, []*Graft{warn, off})
	require.Len(t, results, 1, "web has ports and no readiness probe; worker has no ports")
	require.Equal(t, framework.Warning, results[0].Severity)
	require.Contains(t, results[0].Message, `container "web" declares ports but has no readinessProbe`)
	results = readiness(r, []*Graft{warn, strict})
	require.Len(t, results, 1, "reported once")
	require.Equal(t, framework.Error, results[0].Severity, "at the strictest severity")
	require.Contains(t, results[0].Message, "(requireReadinessProbe: error in w, s)")
	require.Empty(t, readiness(r, []*Graft{off}))
}
