package transformers

// Mode is what a run does with its grafts.
type Mode int

// Modes.
const (
	// Apply grafts (or, for a PodGraft with spec.remove: true, removes).
	Apply Mode = iota
	// Remove takes out everything the grafts added.
	Remove
	// Check changes nothing and reports, as errors, what Apply would
	// change: the drift report of --check.
	Check
	// CheckRemove reports what Remove would change.
	CheckRemove
)

// Removes reports whether the mode takes grafts out.
func (m Mode) Removes() bool { return m == Remove || m == CheckRemove }

// Checks reports whether the mode is a drift report.
func (m Mode) Checks() bool { return m == Check || m == CheckRemove }
