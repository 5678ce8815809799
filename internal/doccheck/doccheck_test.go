package doccheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFind(t *testing.T) {
	md := "# T\n\n<!-- runnable -->\n```sh\necho one\necho two\n```\n\n```sh\necho not marked\n```\n\n<!-- runnable e2e -->\n```bash\nhelm version\n```\n\n<!-- runnable -->\n```yaml\nnot: shell\n```\n\n<!-- runnable -->\nsome text breaks the link\n```sh\necho orphan\n```\n"
	path := filepath.Join(t.TempDir(), "README.md")
	require.NoError(t, os.WriteFile(path, []byte(md), 0o600))

	plain, err := Find("", path)
	require.NoError(t, err)
	require.Equal(t, []Block{{File: path, Line: 4, Shell: "echo one\necho two\n"}}, plain)

	e2e, err := Find("e2e", path)
	require.NoError(t, err)
	require.Equal(t, []Block{{File: path, Line: 14, Tag: "e2e", Shell: "helm version\n"}}, e2e)

	all, err := All(path)
	require.NoError(t, err)
	require.Equal(t, append(plain, e2e...), all, "every marked shell block, in file order")
}
