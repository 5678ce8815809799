package schemagen

// descriptions are the schema's descriptions of podgraft's own types and
// fields, keyed "Type" and "Type.jsonField". They are written for users
// (editors show them on hover), so they live here rather than in Go doc
// comments written for developers. A test fails when a field of a type in
// package fn has none.
var descriptions = map[string]string{
	"PodGraft":            "Declares, once, the sidecars, init containers, probes and volumes that podgraft grafts onto every pod template it targets.",
	"PodGraft.apiVersion": "Always podgraft.dev/v1alpha1.",
	"PodGraft.kind":       "Always PodGraft.",
	"PodGraft.metadata":   "Names this graft; the name appears in the graft record and in results.",
	"PodGraft.spec":       "What this graft adds, and to which workloads.",

	"Metadata":             "The part of Kubernetes object metadata a PodGraft uses.",
	"Metadata.name":        "Names this graft in the podgraft.dev/grafts record and in results, and prefixes generated ConfigMaps, Secrets and claims. A DNS-1123 label.",
	"Metadata.namespace":   "Ignored by podgraft; accepted so that kustomize and kpt can set it.",
	"Metadata.labels":      "Ignored by podgraft; accepted so that kustomize and kpt can set their own.",
	"Metadata.annotations": "Carries kustomize and kpt settings such as config.kubernetes.io/function and config.kubernetes.io/local-config.",

	"Spec":                       "What a PodGraft adds and where.",
	"Spec.targets":               "Which workloads to graft. Every field given must match (AND); when omitted, every pod template is targeted.",
	"Spec.exclude":               "Workloads to leave alone, in the same shape as targets; any field that matches excludes.",
	"Spec.podTemplates":          "Where custom kinds keep their pod template, so that podgraft can graft them too.",
	"Spec.sidecars":              "Containers that run alongside the app for the pod's lifetime: Kubernetes Container fields plus native, placement and fronts.",
	"Spec.initContainers":        "Containers that run to completion, in order, before the app starts: Kubernetes Container fields plus imageFrom and placement.",
	"Spec.probes":                "Startup, liveness and readiness probes to fill on the app containers.",
	"Spec.requireReadinessProbe": "What to do with an app container that declares ports but has no readiness probe after grafting: off, warning (default) or error.",
	"Spec.volumes":               "Pod volumes (any Kubernetes volume source) with their mounts, and helpers that generate the ConfigMap, Secret or claim behind them.",
	"Spec.env":                   "Environment variables and envFrom sources to add to containers, after their own.",
	"Spec.pod":                   "Labels and annotations for the pod template's metadata, and imagePullSecrets for its spec.",
	"Spec.securityProfile":       "none (default), or restricted: grafted containers get the Pod Security \"restricted\" settings where they are unset.",
	"Spec.policy":                "Limits on what this graft may do.",
	"Spec.remove":                "Take out everything this PodGraft added (for KRM pipelines, where there is no --remove flag).",

	"Selector":               "Picks workloads by kind, name, namespace, labels and annotations.",
	"Selector.kinds":         "Kinds to match: Kind, or group/Kind for custom kinds.",
	"Selector.names":         "Shell globs matched against metadata.name.",
	"Selector.namespaces":    "Shell globs matched against metadata.namespace.",
	"Selector.labelSelector": "A Kubernetes label selector over the workload's labels, e.g. \"app.kubernetes.io/part-of=shop,tier notin (batch)\".",
	"Selector.annotations":   "Annotations the workload must carry, with these values.",
	"Selector.helmHooks":     "Whether resources with a helm.sh/hook annotation match. Default false: hooks are skipped.",

	"PodTemplateKind":       "Where a custom kind keeps its pod template.",
	"PodTemplateKind.group": "The API group of the kind, e.g. argoproj.io.",
	"PodTemplateKind.kind":  "The kind, e.g. Rollout.",
	"PodTemplateKind.path":  "Slash-separated path to the pod template, e.g. spec/template.",

	"Sidecar":           "A container that runs alongside the app for the pod's lifetime.",
	"Sidecar.native":    "true (default): an init container with restartPolicy: Always, a native sidecar (Kubernetes >= 1.29), so Jobs still finish. false: a regular container.",
	"Sidecar.placement": "Where the container goes in its list: first, last (default), before:<container> or after:<container>.",
	"Sidecar.fronts":    "Re-point Services that target an app port to a port of this sidecar, so that all inbound traffic passes it.",

	"Fronts":      "Re-points Services from an app port to a sidecar port.",
	"Fronts.port": "The app's port, by name or number, whose Services are re-pointed.",
	"Fronts.via":  "The sidecar's own port, by name or number, that receives the traffic.",

	"InitContainer":           "A container that runs to completion before the app starts.",
	"InitContainer.imageFrom": "Copy image and imagePullPolicy from this app container; \"*\" means the first app container. Set either image or imageFrom.",
	"InitContainer.placement": "Where the container goes among the init containers: first, last (default), before:<container> or after:<container>.",

	"ProbeSet":            "Probes to fill on the selected containers.",
	"ProbeSet.containers": "Container names or globs. Default: the app containers that declare ports.",
	"ProbeSet.readiness":  "The readiness probe to set.",
	"ProbeSet.liveness":   "The liveness probe to set.",
	"ProbeSet.startup":    "The startup probe to set.",
	"ProbeSet.override":   "Replace probes the containers already have. Default false: only fill probes that are missing.",

	"Volume":           "A pod volume (any Kubernetes volume source) plus where to mount it and the helpers that generate what backs it.",
	"Volume.files":     "File contents by key: podgraft generates a ConfigMap (a Secret with secret: true) named <graft>-<volume>-<hash> in each target namespace and mounts it.",
	"Volume.fromFiles": "Files whose contents go into the generated ConfigMap or Secret, relative to the config file (standalone) or the working directory (KRM); they must not escape it.",
	"Volume.secret":    "true: files and fromFiles generate a Secret rather than a ConfigMap; a mapping: a secret volume source (secretName, items, defaultMode, optional), as in a pod.",
	"Volume.isolate":   "For hostPath volumes: none (default), namespace or workload appends /<namespace>[/<name>] to the path, so that tenants never share files.",
	"Volume.claim":     "Generate the PersistentVolumeClaim that persistentVolumeClaim.claimName names, in each target namespace, unless the input already has it.",
	"Volume.mounts":    "Where to mount the volume.",

	"Claim":                  "The PersistentVolumeClaim to generate.",
	"Claim.accessModes":      "Access modes, e.g. [ReadWriteMany] for storage shared between pods.",
	"Claim.storageClassName": "The storage class to request.",
	"Claim.storage":          "The size to request, e.g. 10Gi.",
	"Claim.perReplica":       "On a StatefulSet, add a volumeClaimTemplates entry (one claim per replica) instead of one shared claim.",
	"Claim.keep":             "Default true: annotate the generated claim so that helm uninstall, an upgrade that no longer generates it, Argo CD pruning and kpt live never delete it and its data. false: the claim goes with the release.",

	"Mount":                "Mounts the volume into containers.",
	"Mount.containers":     "Names or globs of the containers (app or grafted) that get the mount.",
	"Mount.initContainers": "Names or globs of the init containers that run to completion and get the mount.",

	"EnvSet":                "Variables and envFrom sources for the selected containers, appended after their own, in order.",
	"EnvSet.containers":     "Names or globs of the containers that get the variables. Default, when initContainers is not given either: the app containers (not grafted ones). \"*\": app containers and every graft's sidecars.",
	"EnvSet.initContainers": "Names or globs of the init containers that run to completion and get the variables. Default: none.",
	"EnvSet.vars":           "Kubernetes EnvVar entries: name with value or valueFrom. A $(VAR) reference expands to a variable earlier in the list.",
	"EnvSet.from":           "Kubernetes EnvFromSource entries: configMapRef or secretRef, with an optional prefix.",
	"EnvSet.override":       "Default false: a variable the container already sets is kept, with a warning. true: it is replaced, and put back as written on removal.",

	"PodFields":                  "What goes onto the pod template itself, never onto the workload or its selector.",
	"PodFields.labels":           "Labels for the pod template's metadata.",
	"PodFields.annotations":      "Annotations for the pod template's metadata.",
	"PodFields.imagePullSecrets": "Secrets for pulling images, added by name when the pod does not have them.",
	"PodFields.override":         "Default false: a label or annotation the template has with another value is a conflict. true: it is replaced, and put back as written on removal.",
	"MountFields.mountPath":      "Path inside the containers.",
	"MountFields.subPath":        "Mount only this path (or key) of the volume.",
	"MountFields.readOnly":       "Mount read-only.",

	"Policy":                  "Limits on what a graft may do.",
	"Policy.allowedHostPaths": "When set, a hostPath volume outside these path prefixes is an error.",
}
