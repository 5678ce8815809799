// Package guard holds podgraft's defences against hostile input, one
// concern a file: the limits (limits.go), the bounded reader that also
// refuses UTF-16 and UTF-32 (reader.go), alias bombs and cycles and the
// nesting depth (aliases.go), and duplicate mapping keys (duplicates.go).
// podgraft runs as a Helm post-renderer and a KRM function on whatever a
// chart or a pipeline produced, so every input must end in output or a
// clear error, in bounded time and memory.
package guard

import "fmt"

// Limits bound what one run reads and parses. They are a value handed to
// each run, so tests lower them without touching other tests.
type Limits struct {
	// Input bounds the input podgraft reads: the standalone stream (all
	// files together). Rendered releases are a few megabytes; a larger
	// input is refused with a clear error rather than risking the
	// out-of-memory killer, since parsed YAML takes about ten times its
	// text in memory.
	Input int64
	// ResourceList bounds the ResourceList of KRM mode, which is one YAML
	// document and is parsed whole: it takes about fifty times its size in
	// memory (kyaml's own reader and writer, which kustomize runs before
	// podgraft is called, take more), so 64 MiB is about 3 GiB.
	ResourceList int64
	// Config bounds one config file: configs are small, and one named by
	// mistake (a chart archive, a binary) is refused at once.
	Config int64
	// Document bounds one document of a stream, before it is parsed. The
	// API server accepts no request over 3 MiB.
	Document int64
	// Nodes bounds the YAML nodes (keys, values, list items) of one
	// resource. The API server accepts no request over 3 MiB, far below a
	// million nodes, while encoding a changed resource takes about 600
	// bytes of memory per node.
	Nodes int64
}

// Default limits.
const (
	MaxInputBytes        = 256 << 20
	MaxResourceListBytes = 64 << 20
	MaxConfigBytes       = 16 << 20
	MaxDocumentBytes     = 32 << 20
	MaxResourceNodes     = 1_000_000

	// MaxAliasNodes bounds how many nodes YAML aliases may add to one
	// resource when expanded. podgraft itself never expands aliases in
	// resources, but whatever reads its output (kubectl, Helm, the API
	// server) does: a "billion laughs" document is refused here, in time
	// linear in its text, instead of being passed on.
	MaxAliasNodes = 1_000_000
	// MaxConfigAliasNodes is the same bound for a PodGraft config, whose
	// containers are copied, aliases expanded, into every workload.
	MaxConfigAliasNodes = 10_000
	// MaxDepth bounds the nesting of a document with its aliases expanded,
	// the same limit the YAML parser applies to the text, so that no
	// recursive walk can exhaust the stack.
	MaxDepth = 10_000
)

// DefaultLimits are the limits of a normal run.
func DefaultLimits() Limits {
	return Limits{Input: MaxInputBytes, ResourceList: MaxResourceListBytes, Config: MaxConfigBytes, Document: MaxDocumentBytes, Nodes: MaxResourceNodes}
}

// WithDefaults fills the zero fields of l from the defaults, so that a
// zero Limits means "the defaults".
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.Input == 0 {
		l.Input = d.Input
	}
	if l.ResourceList == 0 {
		l.ResourceList = d.ResourceList
	}
	if l.Config == 0 {
		l.Config = d.Config
	}
	if l.Document == 0 {
		l.Document = d.Document
	}
	if l.Nodes == 0 {
		l.Nodes = d.Nodes
	}
	return l
}

// TooLargeError is returned when the input exceeds its limit.
type TooLargeError struct {
	Limit int64
	What  string // "the input", "this document"
}

func (e *TooLargeError) Error() string {
	what := e.What
	if what == "" {
		what = "the input"
	}
	return fmt.Sprintf("%s is larger than %s, the limit podgraft sets to stay within memory; split it and run podgraft on each part", what, Size(e.Limit))
}

// Size prints a limit: "32 MiB", or bytes when not a whole MiB.
func Size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
