//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/internal/testcerts"
)

// TestWebhookDeploy renders deploy/webhook with kustomize and with Helm 3
// and 4, checks what the manifests must say, has the API server validate
// them (server-side dry run; cert-manager's kinds are checked here only,
// its CRDs are not installed), admits the Deployment's pod template in a
// namespace enforcing Pod Security "restricted", and runs the webhook with
// the Deployment's own arguments.
func TestWebhookDeploy(t *testing.T) {
	t.Parallel()
	c := cluster(t)
	ctx := testCtx(t, 5*time.Minute)
	root := repoRoot(t)
	ca, err := testcerts.NewCA("podgraft-deploy-test")
	require.NoError(t, err)
	caBundle := base64.StdEncoding.EncodeToString(ca.PEM)

	for name, tc := range map[string]struct {
		render        func() cmdResult
		namespace     string
		fullname      string
		failurePolicy string
		onError       string
		certManager   bool
	}{
		"kustomize base": {
			render:    func() cmdResult { return run(ctx, t, root, nil, tool(t, "kustomize"), "build", "deploy/webhook/base") },
			namespace: "podgraft-system", fullname: "podgraft-webhook", failurePolicy: "Fail", onError: "deny", certManager: true,
		},
		"helm3 chart, defaults": {
			render: func() cmdResult {
				return run(ctx, t, root, nil, tool(t, "helm3"), "template", "podgraft-webhook", "deploy/webhook/chart", "--namespace", "podgraft-helm3")
			},
			namespace: "podgraft-helm3", fullname: "podgraft-webhook", failurePolicy: "Fail", onError: "deny", certManager: true,
		},
		"helm4 chart, without cert-manager, Ignore, allow": {
			render: func() cmdResult {
				return run(ctx, t, root, nil, tool(t, "helm4"), "template", "edge", "deploy/webhook/chart", "--namespace", "podgraft-helm4",
					"--set", "failurePolicy=Ignore", "--set", "onError=allow", "--set", "tls.certManager.enabled=false",
					"--set", "tls.secretName=edge-tls", "--set", "tls.caBundle="+caBundle, "--set", "generatedNamespaces={shop,blog}")
			},
			namespace: "podgraft-helm4", fullname: "edge-podgraft-webhook", failurePolicy: "Ignore", onError: "allow",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each waits out the Deployment's --shutdown-delay
			res := tc.render()
			require.NoError(t, res.Err, res.Output())
			docs := parseDocs(t, res.Stdout)
			kinds := map[string]doc{}
			for _, d := range docs {
				_, dup := kinds[d.kind()]
				require.False(t, dup || d.kind() == "", "one %q only", d.kind())
				kinds[d.kind()] = d
			}
			want := []string{"ConfigMap", "Deployment", "MutatingWebhookConfiguration", "PodDisruptionBudget", "Service", "ServiceAccount"}
			if tc.certManager {
				want = append(want, "Certificate", "Issuer")
			}
			for _, k := range want {
				require.Contains(t, kinds, k)
			}
			deployment := decodeDoc[deploymentView](t, kinds["Deployment"])
			webhooks := decodeDoc[webhookConfigView](t, kinds["MutatingWebhookConfiguration"])
			service := decodeDoc[serviceView](t, kinds["Service"])
			pdb := decodeDoc[pdbView](t, kinds["PodDisruptionBudget"])
			pod := deployment.Spec.Template

			// The Deployment.
			require.Equal(t, tc.namespace, deployment.Metadata.Namespace)
			require.Equal(t, 2, deployment.Spec.Replicas)
			require.Len(t, pod.Spec.TopologySpreadConstraints, 2)
			for _, tsc := range pod.Spec.TopologySpreadConstraints {
				require.Equal(t, deployment.Spec.Selector.MatchLabels, tsc.LabelSelector.MatchLabels, "spreads its own Pods")
			}
			require.True(t, pod.Spec.SecurityContext.RunAsNonRoot)
			require.Equal(t, "RuntimeDefault", pod.Spec.SecurityContext.SeccompProfile.Type)
			require.False(t, pod.Spec.AutomountServiceAccountToken, "no API calls, no token")
			require.Len(t, pod.Spec.Containers, 1)
			ctr := pod.Spec.Containers[0]
			require.False(t, ctr.SecurityContext.AllowPrivilegeEscalation)
			require.True(t, ctr.SecurityContext.ReadOnlyRootFilesystem)
			require.Equal(t, []string{"ALL"}, ctr.SecurityContext.Capabilities.Drop)
			require.NotEmpty(t, ctr.Resources.Requests["cpu"])
			require.NotEmpty(t, ctr.Resources.Requests["memory"])
			require.NotEmpty(t, ctr.Resources.Limits["memory"])
			require.Equal(t, "/readyz", ctr.ReadinessProbe.HTTPGet.Path)
			require.Equal(t, "/healthz", ctr.LivenessProbe.HTTPGet.Path)
			require.Contains(t, ctr.Args, "--on-error="+tc.onError)
			// The PodDisruptionBudget and Service select the Deployment's Pods.
			require.Equal(t, deployment.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels)
			require.Equal(t, 1, pdb.Spec.MinAvailable)
			for k, v := range service.Spec.Selector {
				require.Equal(t, v, pod.Metadata.Labels[k], "the Service selects the Pods")
			}
			require.Equal(t, "https", service.port(443), "443 goes to the container's https port")

			// The webhook configuration.
			require.Len(t, webhooks.Webhooks, 1)
			wh := webhooks.Webhooks[0]
			require.Equal(t, tc.failurePolicy, wh.FailurePolicy)
			require.Equal(t, 5, wh.TimeoutSeconds)
			require.Equal(t, "None", wh.SideEffects)
			require.Equal(t, "IfNeeded", wh.ReinvocationPolicy)
			require.Equal(t, []string{"v1"}, wh.AdmissionReviewVersions)
			require.Equal(t, tc.fullname, wh.ClientConfig.Service.Name)
			require.Equal(t, service.Metadata.Name, wh.ClientConfig.Service.Name)
			require.Equal(t, tc.namespace, wh.ClientConfig.Service.Namespace)
			require.Equal(t, "/mutate", wh.ClientConfig.Service.Path)
			require.Equal(t, 443, wh.ClientConfig.Service.Port)
			require.Equal(t, []string{"pods"}, wh.Rules[0].Resources)
			require.Equal(t, []string{"CREATE"}, wh.Rules[0].Operations)
			excluded := map[string][]string{}
			for _, e := range wh.NamespaceSelector.MatchExpressions {
				require.Equal(t, "NotIn", e.Operator)
				excluded[e.Key] = e.Values
			}
			require.ElementsMatch(t, []string{"kube-system", tc.namespace}, excluded["kubernetes.io/metadata.name"])
			require.Equal(t, []string{"false"}, excluded["podgraft.dev/inject"])

			// TLS: cert-manager's Certificate for the Service, whose Secret the
			// Deployment mounts, and the cainjector annotation; or a caBundle.
			secret := pod.volume("tls").Secret.SecretName
			if tc.certManager {
				cert := decodeDoc[certificateView](t, kinds["Certificate"])
				require.Equal(t, secret, cert.Spec.SecretName)
				require.Contains(t, cert.Spec.DNSNames, service.Metadata.Name+"."+tc.namespace+".svc")
				require.Equal(t, tc.namespace+"/"+cert.Metadata.Name, webhooks.Metadata.Annotations["cert-manager.io/inject-ca-from"])
				require.Equal(t, "Issuer", cert.Spec.IssuerRef.Kind)
				require.Equal(t, kinds["Issuer"].name(), cert.Spec.IssuerRef.Name)
			} else {
				require.Equal(t, "edge-tls", secret)
				require.Equal(t, caBundle, wh.ClientConfig.CABundle)
				require.NotContains(t, webhooks.Metadata.Annotations, "cert-manager.io/inject-ca-from")
				require.Contains(t, ctr.Args, "--generated-namespaces=shop,blog")
			}

			// The API server accepts every object.
			createNamespace(ctx, t, c, tc.namespace, map[string]string{
				"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
			})
			for _, d := range docs {
				if strings.HasPrefix(str(d.Obj, "apiVersion"), "cert-manager.io/") || d.kind() == "Namespace" {
					continue
				}
				_, err := c.Apply(ctx, d.Raw, true)
				require.NoError(t, err, "%s:\n%s", d.id(), d.Raw)
			}
			if ns, ok := kinds["Namespace"]; ok {
				_, err := c.Apply(ctx, ns.Raw, true)
				require.NoError(t, err)
				require.Equal(t, "restricted", str(ns.Obj, "metadata", "labels", "pod-security.kubernetes.io/enforce"))
				require.Equal(t, "false", str(ns.Obj, "metadata", "labels", "podgraft.dev/inject"))
			}
			// Its Pods meet Pod Security "restricted".
			podDoc, err := json.Marshal(map[string]any{
				"apiVersion": "v1", "kind": "Pod",
				"metadata": map[string]any{"name": "webhook", "namespace": tc.namespace},
				"spec":     podTemplate(t, kinds["Deployment"].Obj)["spec"],
			})
			require.NoError(t, err)
			_, err = c.Create(ctx, string(podDoc), true)
			require.NoError(t, err, "the webhook's Pod in a namespace enforcing restricted")

			// The webhook starts with the Deployment's arguments and the
			// ConfigMap's PodGrafts, answers its probes, and stops on SIGTERM.
			runAsDeployed(ctx, t, ca, ctr, str(kinds["ConfigMap"].Obj, "metadata", "name"), pod, kinds["ConfigMap"].Obj)
		})
	}
}

// runAsDeployed runs podgraft-webhook with the container's arguments, the
// mounted paths mapped to local folders and the ports to free loopback ones.
func runAsDeployed(ctx context.Context, t *testing.T, ca *testcerts.CA, ctr containerView, configMap string, pod podTemplateView, cm map[string]any) {
	t.Helper()
	grafts, certs := t.TempDir(), t.TempDir()
	data, _ := cm["data"].(map[string]any)
	require.NotEmpty(t, data, "the ConfigMap holds PodGrafts")
	for key, content := range data {
		require.NoError(t, os.WriteFile(filepath.Join(grafts, key), []byte(content.(string)), 0o644))
	}
	pair, err := ca.Issue()
	require.NoError(t, err)
	_, _, err = pair.Write(certs)
	require.NoError(t, err)
	mounts := map[string]string{}
	for _, m := range ctr.VolumeMounts {
		v := pod.volume(m.Name)
		switch {
		case v.ConfigMap != nil:
			require.Equal(t, configMap, v.ConfigMap.Name, "the Deployment mounts the ConfigMap")
			mounts[m.MountPath] = grafts
		case v.Secret != nil:
			mounts[m.MountPath] = certs
		}
	}
	require.Len(t, mounts, 2, "the grafts and the certificate are mounted")
	port, metrics := strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t))
	var args []string
	for _, a := range ctr.Args {
		for from, to := range mounts {
			a = strings.ReplaceAll(a, from, to)
		}
		a = strings.Replace(a, "--listen=:8443", "--listen=127.0.0.1:"+port, 1)
		a = strings.Replace(a, "--metrics-listen=:9090", "--metrics-listen=127.0.0.1:"+metrics, 1)
		args = append(args, a)
	}
	check := exec.CommandContext(ctx, webhookBin(t), append([]string{"--check"}, args...)...)
	out, err := check.CombinedOutput()
	require.NoError(t, err, "podgraft-webhook --check %s:\n%s", strings.Join(args, " "), out)

	cmd := exec.CommandContext(ctx, webhookBin(t), args...)
	logs := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	w := &webhookProc{CA: ca, addr: "127.0.0.1:" + port, tlsConfig: trusting(ca)}
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://127.0.0.1:" + metrics + ctr.ReadinessProbe.HTTPGet.Path)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "not ready after 30s:\n%s", logs.String())
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, pair.Serial.String(), w.servedSerial(t))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		require.NoError(t, err, "exit after SIGTERM:\n%s", logs.String())
		done <- nil
	case <-time.After(30 * time.Second):
		t.Fatalf("did not stop within 30s of SIGTERM:\n%s", logs.String())
	}
	require.Contains(t, logs.String(), "msg=stopped")
}

func decodeDoc[T any](t *testing.T, d doc) T {
	t.Helper()
	var v T
	require.NoError(t, yaml.Unmarshal([]byte(d.Raw), &v), d.Raw)
	return v
}

type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type containerView struct {
	Args            []string `json:"args"`
	SecurityContext struct {
		AllowPrivilegeEscalation bool `json:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool `json:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `json:"drop"`
		} `json:"capabilities"`
	} `json:"securityContext"`
	Resources struct {
		Requests map[string]string `json:"requests"`
		Limits   map[string]string `json:"limits"`
	} `json:"resources"`
	ReadinessProbe, LivenessProbe struct {
		HTTPGet struct {
			Path string `json:"path"`
		} `json:"httpGet"`
	}
	VolumeMounts []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
}

type podTemplateView struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		AutomountServiceAccountToken bool `json:"automountServiceAccountToken"`
		SecurityContext              struct {
			RunAsNonRoot   bool `json:"runAsNonRoot"`
			SeccompProfile struct {
				Type string `json:"type"`
			} `json:"seccompProfile"`
		} `json:"securityContext"`
		TopologySpreadConstraints []struct {
			LabelSelector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"labelSelector"`
		} `json:"topologySpreadConstraints"`
		Containers []containerView `json:"containers"`
		Volumes    []volumeView    `json:"volumes"`
	} `json:"spec"`
}

type volumeView struct {
	Name      string `json:"name"`
	ConfigMap *struct {
		Name string `json:"name"`
	} `json:"configMap"`
	Secret *struct {
		SecretName string `json:"secretName"`
	} `json:"secret"`
}

func (p podTemplateView) volume(name string) volumeView {
	for _, v := range p.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	return volumeView{}
}

type deploymentView struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Replicas int `json:"replicas"`
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template podTemplateView `json:"template"`
	} `json:"spec"`
}

type serviceView struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		Selector map[string]string `json:"selector"`
		Ports    []struct {
			Port       int    `json:"port"`
			TargetPort string `json:"targetPort"`
		} `json:"ports"`
	} `json:"spec"`
}

func (s serviceView) port(n int) string {
	for _, p := range s.Spec.Ports {
		if p.Port == n {
			return p.TargetPort
		}
	}
	return ""
}

type pdbView struct {
	Spec struct {
		MinAvailable int `json:"minAvailable"`
		Selector     struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
	} `json:"spec"`
}

type webhookConfigView struct {
	Metadata objectMeta `json:"metadata"`
	Webhooks []struct {
		Name         string `json:"name"`
		ClientConfig struct {
			CABundle string `json:"caBundle"`
			Service  struct {
				Name, Namespace, Path string
				Port                  int
			} `json:"service"`
		} `json:"clientConfig"`
		Rules []struct {
			Resources  []string `json:"resources"`
			Operations []string `json:"operations"`
		} `json:"rules"`
		FailurePolicy           string   `json:"failurePolicy"`
		SideEffects             string   `json:"sideEffects"`
		TimeoutSeconds          int      `json:"timeoutSeconds"`
		ReinvocationPolicy      string   `json:"reinvocationPolicy"`
		AdmissionReviewVersions []string `json:"admissionReviewVersions"`
		NamespaceSelector       struct {
			MatchExpressions []struct {
				Key, Operator string
				Values        []string
			} `json:"matchExpressions"`
		} `json:"namespaceSelector"`
	} `json:"webhooks"`
}

type certificateView struct {
	Metadata objectMeta `json:"metadata"`
	Spec     struct {
		SecretName string   `json:"secretName"`
		DNSNames   []string `json:"dnsNames"`
		IssuerRef  struct {
			Kind, Name string
		} `json:"issuerRef"`
	} `json:"spec"`
}
