// Package transformers is podgraft's graft engine.
//
// A Graft is one compiled PodGraft. For each resource it selects once,
// builds one pod value per pod template (the resource, the template, its
// pod spec, the parsed graft record, whether anything changed, and the
// results), runs the steps in one fixed order, and saves the record once:
//
//	reconcile   take out what a stale or untargeted entry of this graft added
//	conflicts   find every clash before anything is written
//	containers  sidecars and init containers, laid out canonically
//	volumes     volumes, claim templates and mounts
//	env         env variables and envFrom sources (spec.env)
//	podMeta     the template's labels, annotations and imagePullSecrets
//	            (spec.pod), and kubectl's default container
//	security    the "restricted" profile on this graft's containers
//	probes      startup, liveness and readiness probes
//	reach       other grafts' globbed mounts, probes and env on this
//	            graft's containers
//
// Steps are plain functions of the pod value; write helpers set its
// changed flag, and steps return their results through it. An Engine runs
// every Graft of a run on each resource, in name order, then checks
// readiness. What spans documents (generated ConfigMaps, Secrets and
// claims, fronted Services) is a Plan per Graft, fed by each resource's
// outcome and finished once the whole input was seen.
package transformers
