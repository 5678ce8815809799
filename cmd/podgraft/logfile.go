package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// logFileEnv names the file that --log-file names, for a whole shell or a
// Helm plugin's environment.
const logFileEnv = "PODGRAFT_LOG_FILE"

// logTee is podgraft's stderr that also appends, when asked, to a log file:
// Helm 3 discards a post-renderer's stderr when the install succeeds, and
// Helm 4 always, so the log file is where their users read the results.
// The file is opened on the first line written or when the run starts,
// whichever is first, so that a usage error is logged as well. It is the
// only file podgraft writes.
type logTee struct {
	stderr io.Writer
	path   string
	args   []string
	file   *os.File
	err    error
}

func (t *logTee) Write(p []byte) (int, error) {
	n, err := t.stderr.Write(p)
	t.log(p)
	return n, err
}

// log appends p to the log file only: the info results that stderr shows
// only with -v.
func (t *logTee) log(p []byte) {
	if t.open() == nil && t.file != nil {
		_, _ = t.file.Write(p) // the log is a copy; stderr has the message
	}
}

// open opens the log file for appending, once, and starts the run's entry
// with a line that says when and how podgraft ran. It returns the error of
// that one attempt ever after.
func (t *logTee) open() error {
	if t.file != nil || t.err != nil || t.path == "" {
		return t.err
	}
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.err = fmt.Errorf("opening the log file: %w", err)
		return t.err
	}
	t.file = f
	fmt.Fprintf(f, "# podgraft %s at %s: podgraft %s\n", version, time.Now().UTC().Format(time.RFC3339), strings.Join(t.args, " "))
	return nil
}

func (t *logTee) close() {
	if t.file != nil {
		_ = t.file.Close()
	}
}

// logOnly writes to the log file alone when stderr is a logTee.
func logOnly(stderr io.Writer, line string) {
	if t, ok := stderr.(*logTee); ok {
		t.log([]byte(line + "\n"))
	}
}
