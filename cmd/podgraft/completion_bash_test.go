//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bashCompletion is where Debian's bash-completion package, which the
// script builds on (as every cobra script does), keeps its functions.
const bashCompletion = "/usr/share/bash-completion/bash_completion"

// TestBashCompletionCompletes loads the script into a real bash with the
// built podgraft on PATH, as a user's shell does, and presses TAB.
func TestBashCompletionCompletes(t *testing.T) {
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Skipf("bash-completion is not installed (%s; apt-get install bash-completion)", bashCompletion)
	}
	binary := podgraftBinary(t)
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "more.yml": diffConfig, "notes.txt": "x"})
	tab := func(line string) []string {
		t.Helper()
		script := `source ` + bashCompletion + `
source <(podgraft completion bash)
COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
__start_podgraft
printf '%s\n' "${COMPREPLY[@]}"
`
		cmd := exec.Command("bash", "-c", script, "bash", line)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+string(filepath.ListSeparator)+os.Getenv("PATH"))
		// stdout only: compopt, outside a real TAB, complains on stderr.
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "%s", stderr.String())
		return strings.Fields(string(out))
	}
	require.ElementsMatch(t, []string{"graft.yaml", "more.yml"}, tab("podgraft -c "), "-c: YAML files only")
	// FILE: no candidates of podgraft's own, so bash's default (the
	// script's complete -o default) completes any file name.
	require.Empty(t, tab("podgraft -c graft.yaml "))
	require.Equal(t, []string{"schema"}, tab("podgraft sch"))
	require.ElementsMatch(t, []string{"--check", "--color", "--config"}, tab("podgraft --c"))
	require.ElementsMatch(t, []string{"bash", "zsh", "fish"}, tab("podgraft completion "))
}
