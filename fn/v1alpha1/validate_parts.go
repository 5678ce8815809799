package v1alpha1

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateContainerParts checks what the API server checks in the ports
// and env of a grafted container (sidecar or init container); clashes
// between containers are validateClashes'.
func validateContainerParts(p *field.Path, c corev1.Container) field.ErrorList {
	var errs field.ErrorList
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		if port.Name != "" {
			for _, msg := range validation.IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
			}
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(pp.Child("containerPort"), "the port number"))
		} else {
			for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
				errs = append(errs, field.Invalid(pp.Child("containerPort"), port.ContainerPort, msg))
			}
		}
		if port.HostPort != 0 {
			for _, msg := range validation.IsValidPortNum(int(port.HostPort)) {
				errs = append(errs, field.Invalid(pp.Child("hostPort"), port.HostPort, msg))
			}
		}
	}
	for i, e := range c.Env {
		np := p.Child("env").Index(i).Child("name")
		if e.Name == "" {
			errs = append(errs, field.Required(np, "the variable's name"))
			continue
		}
		for _, msg := range validation.IsRelaxedEnvVarName(e.Name) {
			errs = append(errs, field.Invalid(np, e.Name, msg))
		}
	}
	return errs
}

// validateLifetimeParts checks the probes and lifecycle hooks of a sidecar,
// which runs for the pod's lifetime, as the API server does.
func validateLifetimeParts(p *field.Path, c corev1.Container) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateKubeProbe(p.Child("readinessProbe"), c.ReadinessProbe, false)...)
	errs = append(errs, validateKubeProbe(p.Child("livenessProbe"), c.LivenessProbe, true)...)
	errs = append(errs, validateKubeProbe(p.Child("startupProbe"), c.StartupProbe, true)...)
	if c.Lifecycle != nil {
		errs = append(errs, validateHook(p.Child("lifecycle", "postStart"), c.Lifecycle.PostStart)...)
		errs = append(errs, validateHook(p.Child("lifecycle", "preStop"), c.Lifecycle.PreStop)...)
	}
	return errs
}

// validateHook checks a lifecycle hook: exactly one handler, and what it
// needs. A sleep's upper bound is the pod's terminationGracePeriodSeconds,
// which the workload sets.
func validateHook(p *field.Path, h *corev1.LifecycleHandler) field.ErrorList {
	if h == nil {
		return nil
	}
	var errs field.ErrorList
	var handlers []string
	if h.Exec != nil {
		handlers = append(handlers, "exec")
		if len(h.Exec.Command) == 0 {
			errs = append(errs, field.Required(p.Child("exec", "command"), "the command to run"))
		}
	}
	if h.HTTPGet != nil {
		handlers = append(handlers, "httpGet")
		errs = append(errs, validateProbePort(p.Child("httpGet", "port"), h.HTTPGet.Port)...)
	}
	if h.TCPSocket != nil {
		handlers = append(handlers, "tcpSocket")
		errs = append(errs, validateProbePort(p.Child("tcpSocket", "port"), h.TCPSocket.Port)...)
	}
	if h.Sleep != nil {
		handlers = append(handlers, "sleep")
		if h.Sleep.Seconds < 0 {
			errs = append(errs, field.Invalid(p.Child("sleep", "seconds"), h.Sleep.Seconds, "must be greater than or equal to 0"))
		}
	}
	switch len(handlers) {
	case 0:
		errs = append(errs, field.Required(p, "one handler: exec, httpGet, tcpSocket or sleep"))
	case 1:
	default:
		errs = append(errs, field.Forbidden(p, fmt.Sprintf("hook with %d handlers (%s): a hook takes exactly one of exec, httpGet, tcpSocket, sleep",
			len(handlers), strings.Join(handlers, ", "))))
	}
	return errs
}
