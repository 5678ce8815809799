package fn_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/fn"
)

func TestDocumentReader(t *testing.T) {
	long := "a: " + strings.Repeat("x", 200_000) + "\n"
	tests := map[string]struct {
		in      string
		want    []string
		wantErr string
	}{
		"documents between separators": {in: "a: 1\n---\nb: 2\n", want: []string{"a: 1\n", "b: 2\n"}},
		"CRLF line endings are kept":   {in: "a: 1\r\nc: 3\r\n---\r\nb: 2\r\n", want: []string{"a: 1\r\nc: 3\r\n", "b: 2\r\n"}},
		"a separator with a comment":   {in: "a: 1\n--- # next\nb: 2\n", want: []string{"a: 1\n", "b: 2\n"}},
		"an opening separator stays with the first document, as in apimachinery's YAMLReader": {
			in: "---\n# Source: x\na: 1\n---\nb: 2\n", want: []string{"---\n# Source: x\na: 1\n", "b: 2\n"},
		},
		"no newline at the end":     {in: "a: 1\n---\nb: 2", want: []string{"a: 1\n", "b: 2"}},
		"a line longer than buffer": {in: long + "---\nb: 2\n", want: []string{long, "b: 2\n"}},
		"a dash line inside a block scalar is not a separator when indented": {
			in: "a: |\n  ---\n  x\n---\nb: 2\n", want: []string{"a: |\n  ---\n  x\n", "b: 2\n"},
		},
		"content after a separator": {in: "a: 1\n--- b: 2\n", wantErr: "invalid Yaml document separator: b: 2"},
		"an end marker ends its document, which keeps it": {
			in: "a: 1\n...\nb: 2\n", want: []string{"a: 1\n...\n", "b: 2\n"},
		},
		"the separator after an end marker is no document": {
			in: "a: 1\n... # end\n---\nb: 2\n...\n", want: []string{"a: 1\n... # end\n", "b: 2\n...\n"},
		},
		"an end marker after comments only ends nothing": {
			in: "a: 1\n---\n# c\n...\n...\nb: 2\n", want: []string{"a: 1\n", "# c\n", "b: 2\n"},
		},
		"an empty document between separators is none": {in: "a: 1\n---\n---\nb: 2\n", want: []string{"a: 1\n", "b: 2\n"}},
		"dots that are content":                        {in: "a: |\n  ...\n...x: 1\n", want: []string{"a: |\n  ...\n...x: 1\n"}},
		"content after an end marker":                  {in: "a: 1\n... b: 2\n", wantErr: "invalid YAML document end marker: b: 2"},
		"directives stay with the document their separator starts": {
			in:   "a: 1\n---\n# Source: x\n%YAML 1.1\n%TAG !e! tag:example.com,2000:\n---\nb: !e!x 2\n",
			want: []string{"a: 1\n", "# Source: x\n%YAML 1.1\n%TAG !e! tag:example.com,2000:\n---\nb: !e!x 2\n"},
		},
		"directives at the start of the stream": {
			in: "%YAML 1.1\n---\na: 1\n---\nb: 2\n", want: []string{"%YAML 1.1\n---\na: 1\n", "b: 2\n"},
		},
		"directives end the document before them, as yaml.v3 reads it": {
			in: "a: 1\n%YAML 1.1\n---\nb: 2\n", want: []string{"a: 1\n", "%YAML 1.1\n---\nb: 2\n"},
		},
		"directives after an end marker": {
			in: "a: 1\n...\n%YAML 1.1\n---\nb: 2\n", want: []string{"a: 1\n...\n", "%YAML 1.1\n---\nb: 2\n"},
		},
		"CRLF markers": {
			in: "a: 1\r\n...\r\n%YAML 1.1\r\n---\r\nb: 2\r\n", want: []string{"a: 1\r\n...\r\n", "%YAML 1.1\r\n---\r\nb: 2\r\n"},
		},
		"empty stream": {in: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := fn.NewDocumentReader(strings.NewReader(tc.in))
			var got []string
			for {
				doc, err := r.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				if tc.wantErr != "" {
					require.EqualError(t, err, tc.wantErr)
					return
				}
				require.NoError(t, err)
				got = append(got, string(doc))
			}
			require.Empty(t, tc.wantErr, "expected an error")
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseDocument(t *testing.T) {
	tests := map[string]struct {
		raw   string
		empty bool
	}{
		"a resource":    {raw: "apiVersion: v1\nkind: ConfigMap\n"},
		"comments only": {raw: "# Source: shop/templates/hpa.yaml\n", empty: true},
		"the stream's opening separator, comments": {raw: "---\n# Source: shop/templates/hpa.yaml\n", empty: true},
		"the stream's opening separator, nothing":  {raw: "---\n", empty: true},
		"blank lines": {raw: "\n  \n", empty: true},
		"an explicit null, which kubectl skips too": {raw: "null\n", empty: true},
		"a tilde":                        {raw: "~\n", empty: true},
		"an empty string is content":     {raw: "''\n"},
		"a list is content":              {raw: "- a\n"},
		"a document with its end marker": {raw: "a: 1\n...\n"},
		"a document with its directives": {raw: "%YAML 1.1\n---\na: 1\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc, err := fn.ParseDocument([]byte(tc.raw))
			require.NoError(t, err)
			if tc.empty {
				require.Nil(t, doc)
				return
			}
			require.NotNil(t, doc)
			require.Len(t, doc.Content, 1)
		})
	}
}

func TestParseDocumentRefusesASecondDocument(t *testing.T) {
	// DocumentReader never returns one; if it did, the second would be lost.
	_, err := fn.ParseDocument([]byte("a: 1\n---\nb: 2\n"))
	require.EqualError(t, err, `invalid YAML: a second document follows without a "---" line`)
}

func TestSeparator(t *testing.T) {
	tests := map[string]struct{ prev, next, want string }{
		"between documents":                            {prev: "a: 1\n", next: "b: 2\n", want: "---\n"},
		"after an end marker":                          {prev: "a: 1\n...\n", next: "b: 2\n", want: "---\n"},
		"before directives, which need an end before":  {prev: "a: 1\n", next: "# c\n%YAML 1.1\n---\nb: 2\n", want: "...\n"},
		"before directives, after an end marker":       {prev: "a: 1\n... # end\n", next: "%YAML 1.1\n---\nb: 2\n", want: ""},
		"in the next document's line endings":          {prev: "a: 1\n", next: "b: 2\r\n", want: "---\r\n"},
		"before CRLF directives":                       {prev: "a: 1\n", next: "%YAML 1.1\r\n---\r\nb: 2\r\n", want: "...\r\n"},
		"a percent sign in a value is not a directive": {prev: "a: 1\n", next: "b: '%x'\n", want: "---\n"},
		"before a second file's opening marker":        {prev: "a: 1\n", next: "---\nb: 2\n", want: ""},
		"before an opening marker with a comment":      {prev: "a: 1\n", next: "--- # two\r\nb: 2\r\n", want: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, fn.Separator([]byte(tc.prev), []byte(tc.next)))
		})
	}
}
