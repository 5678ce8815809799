package splice

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

type spliceCase struct {
	in, want string
	edit     func(t *testing.T, doc *yaml.Node)
	// unsupported: Splice must refuse, saying this.
	unsupported string
}

// runCase splices the edit and checks the bytes, that they parse to the
// edited tree, and that splicing the unedited tree gives the input.
func runCase(t *testing.T, c spliceCase) {
	t.Helper()
	src := []byte(c.in)
	doc := parse(t, c.in)
	o := Record(src, doc)
	same, err := o.Splice(doc)
	require.NoError(t, err)
	require.Equal(t, c.in, string(same), "no edit, no change")
	c.edit(t, doc)
	out, err := o.Splice(doc)
	if c.unsupported != "" {
		require.ErrorIs(t, err, ErrUnsupported)
		require.ErrorContains(t, err, c.unsupported)
		return
	}
	require.NoError(t, err)
	require.Equal(t, c.want, string(out))
	got, err := tryParse(out)
	require.NoError(t, err, "the spliced output must parse:\n%s", out)
	require.Equal(t, canonical(t, doc), canonical(t, got), "the spliced output must hold the edited tree")
	o.Release() // the next case reuses its memory
}

func TestBlockMappings(t *testing.T) {
	cases := map[string]spliceCase{
		"append a pair": {
			in:   "a: 1\nb:\n  c: 2 # c\n# foot\nd: 3\n",
			want: "a: 1\nb:\n  c: 2 # c\n  e: x\n# foot\nd: 3\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "b"), "e", "x") },
		},
		"prepend a pair below its head comment": {
			in:   "a: 1\nb:\n  # about c\n  c: 2\n",
			want: "a: 1\nb:\n  e: x\n  # about c\n  c: 2\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertPair(at(doc, "b"), 0, "e", str("x")) },
		},
		"insert before a key": {
			in:   "spec:\n  replicas: 1\n  containers:\n  - name: web\n",
			want: "spec:\n  replicas: 1\n  initContainers:\n  - name: init\n  containers:\n  - name: web\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				seq := newNode(yaml.SequenceNode)
				seq.Content = append(seq.Content, yamlNode(t, "name: init"))
				insertPair(at(doc, "spec"), 1, "initContainers", seq)
			},
		},
		"append at the end of the input without a final line break": {
			in:   "a:\n  b: 1",
			want: "a:\n  b: 1\n  c: 2",
			edit: func(t *testing.T, doc *yaml.Node) {
				at(doc, "a").Content = append(at(doc, "a").Content, str("c"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "2"})
			},
		},
		"a new subtree": {
			in:   "metadata:\n  name: web\nspec: {}\n",
			want: "metadata:\n  name: web\n  annotations:\n    podgraft.dev/grafts: '{\"a\":{\"hash\":\"x\"}}'\nspec: {}\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				annos := ensure(at(doc, "metadata"), "annotations", yaml.MappingNode)
				v := ensure(annos, "podgraft.dev/grafts", yaml.ScalarNode)
				*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: `{"a":{"hash":"x"}}`, Style: yaml.SingleQuotedStyle}
			},
		},
		"remove a pair": {
			in:   "a: 1\nb: 2 # b\nc: 3\n",
			want: "a: 1\nc: 3\n",
			edit: func(t *testing.T, doc *yaml.Node) { remove(doc.Content[0], "b") },
		},
		"remove the last pair at the end of the input": {
			in:   "a: 1\nb:\n  c: 2",
			want: "a: 1",
			edit: func(t *testing.T, doc *yaml.Node) { remove(doc.Content[0], "b") },
		},
		"remove the only pair, its key with it": {
			in:   "metadata:\n  annotations:\n    x: y\n  name: web\n",
			want: "metadata:\n  name: web\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				annos := at(doc, "metadata", "annotations")
				remove(annos, "x")
				remove(at(doc, "metadata"), "annotations")
			},
		},
		"empty a mapping, keeping its key": {
			in:   "metadata:\n  annotations:\n    x: y\n  name: web\n",
			want: "metadata:\n  annotations: {}\n  name: web\n",
			edit: func(t *testing.T, doc *yaml.Node) { remove(at(doc, "metadata", "annotations"), "x") },
		},
		"replace a value": {
			in:   "c:\n  livenessProbe: # theirs\n    tcpSocket: {port: 80}\n  image: x\n",
			want: "c:\n  livenessProbe: # theirs\n    httpGet:\n      path: /healthz\n      port: http\n  image: x\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				setNode(at(doc, "c"), "livenessProbe", yamlNode(t, "httpGet: {path: /healthz, port: http}"))
			},
		},
		"replace a block value with a scalar": {
			in:   "c:\n  probe:\n    tcpSocket: {port: 80}\n  image: x\n",
			want: "c:\n  probe: none\n  image: x\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "c"), "probe", "none") },
		},
		"change a scalar in place, keeping its comment": {
			in:   "port:\n  targetPort: http # the app\n",
			want: "port:\n  targetPort: proxy # the app\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "port"), "targetPort", "proxy") },
		},
		"an int in place": {
			in:   "port: {targetPort: 80}\nother: 1\n",
			want: "port: {targetPort: 8080}\nother: 1\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				*at(doc, "port", "targetPort") = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "8080"}
			},
		},
		"quoted when it would not read as a string": {
			in:   "a:\n  b: x\n",
			want: "a:\n  b: \"1.0\"\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "a"), "b", "1.0") },
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { runCase(t, c) })
	}
}

func TestNullBecomesCollection(t *testing.T) {
	fill := func(t *testing.T, doc *yaml.Node) {
		seq := ensure(at(doc, "spec"), "initContainers", yaml.SequenceNode)
		seq.Content = append(seq.Content, yamlNode(t, "{name: init, image: busybox}"))
	}
	cases := map[string]spliceCase{
		"empty":        {in: "spec:\n  initContainers:\n  containers: []\n", want: "spec:\n  initContainers:\n  - name: init\n    image: busybox\n  containers: []\n", edit: fill},
		"null":         {in: "spec:\n  initContainers: null\n", want: "spec:\n  initContainers:\n  - name: init\n    image: busybox\n", edit: fill},
		"tilde":        {in: "spec:\n  initContainers: ~\n", want: "spec:\n  initContainers:\n  - name: init\n    image: busybox\n", edit: fill},
		"with comment": {in: "spec:\n  initContainers: null # none yet\n  x: 1\n", want: "spec:\n  initContainers: # none yet\n  - name: init\n    image: busybox\n  x: 1\n", edit: fill},
		"empty with comment": {
			in:   "spec:\n  initContainers: # none yet\n  x: 1\n",
			want: "spec:\n  initContainers: # none yet\n  - name: init\n    image: busybox\n  x: 1\n", edit: fill,
		},
		"wide sequences": {
			in:   "spec:\n  volumes:\n    - name: a\n  initContainers:\n",
			want: "spec:\n  volumes:\n    - name: a\n  initContainers:\n    - name: init\n      image: busybox\n", edit: fill,
		},
		"metadata in place": {
			in:   "template:\n  metadata:\n  spec: {}\n",
			want: "template:\n  metadata:\n    annotations:\n      a: b\n  spec: {}\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				m := at(doc, "template", "metadata")
				*m = *newNode(yaml.MappingNode)
				setString(ensure(m, "annotations", yaml.MappingNode), "a", "b")
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { runCase(t, c) })
	}
}

func TestBlockSequences(t *testing.T) {
	sidecar := func(t *testing.T) *yaml.Node {
		return yamlNode(t, "name: nginx\nimage: nginx:1.27\nports: [{name: proxy, containerPort: 8080}]\n")
	}
	cases := map[string]spliceCase{
		"append, compact": {
			in:   "containers:\n- name: web\n  ports:\n  - containerPort: 80\n# after\nx: 1\n",
			want: "containers:\n- name: web\n  ports:\n  - containerPort: 80\n- name: nginx\n  image: nginx:1.27\n  ports:\n  - name: proxy\n    containerPort: 8080\n# after\nx: 1\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertItem(at(doc, "containers"), 1, sidecar(t)) },
		},
		"append, wide, after a deeper comment": {
			in:   "containers:\n  - name: web\n    ports:\n      - containerPort: 80\n    # web's last\nx: 1\n",
			want: "containers:\n  - name: web\n    ports:\n      - containerPort: 80\n    # web's last\n  - name: nginx\n    image: nginx:1.27\n    ports:\n      - name: proxy\n        containerPort: 8080\nx: 1\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertItem(at(doc, "containers"), 1, sidecar(t)) },
		},
		"mixed: the list's own style, and its neighbours' below": {
			in:   "spec:\n  containers:\n    - name: web\n      env:\n      - name: A\n",
			want: "spec:\n  containers:\n    - name: web\n      env:\n      - name: A\n    - name: nginx\n      image: nginx:1.27\n      ports:\n      - name: proxy\n        containerPort: 8080\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertItem(at(doc, "spec", "containers"), 1, sidecar(t)) },
		},
		"prepend below the head comment of the first item": {
			in:   "containers:\n# the app\n- name: web\n",
			want: "containers:\n- name: init\n# the app\n- name: web\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertItem(at(doc, "containers"), 0, yamlNode(t, "name: init")) },
		},
		"insert in the middle": {
			in:   "l:\n- a\n- c\n",
			want: "l:\n- a\n- b\n- c\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertItem(at(doc, "l"), 1, str("b")) },
		},
		"remove an item": {
			in:   "l:\n- a\n- b # b\n- c\n",
			want: "l:\n- a\n- c\n",
			edit: func(t *testing.T, doc *yaml.Node) { removeItem(at(doc, "l"), 1) },
		},
		"remove the last item, the list and its key": {
			in:   "spec:\n  volumes:\n  - name: x\n    emptyDir: {}\n  containers: []\n",
			want: "spec:\n  containers: []\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				removeItem(at(doc, "spec", "volumes"), 0)
				remove(at(doc, "spec"), "volumes")
			},
		},
		"empty a list": {
			in:   "spec:\n  volumes:\n  - name: x\n  containers: []\n",
			want: "spec:\n  volumes: []\n  containers: []\n",
			edit: func(t *testing.T, doc *yaml.Node) { removeItem(at(doc, "spec", "volumes"), 0) },
		},
		"move an item": {
			in:   "l:\n- name: a\n- name: b\n- name: c\n",
			want: "l:\n- name: b\n- name: c\n- name: a\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				l := at(doc, "l")
				l.Content = []*yaml.Node{l.Content[1], l.Content[2], l.Content[0]}
			},
		},
		"prepend a pair to an item's mapping": {
			in:   "l:\n- name: a\n  x: 1\n",
			want: "l:\n- image: i\n  name: a\n  x: 1\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertPair(at(doc, "l", "0"), 0, "image", str("i")) },
		},
		"remove the first pair of an item's mapping": {
			in:   "l:\n- targetPort: 1\n  port: 80\n",
			want: "l:\n- port: 80\n",
			edit: func(t *testing.T, doc *yaml.Node) { remove(at(doc, "l", "0"), "targetPort") },
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { runCase(t, c) })
	}
}

func TestFlow(t *testing.T) {
	cases := map[string]spliceCase{
		"grow an empty mapping": {
			in:   "metadata:\n  annotations: {}\n",
			want: "metadata:\n  annotations: {a: b}\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "metadata", "annotations"), "a", "b") },
		},
		"grow an empty list": {
			in:   "spec:\n  initContainers: []\n",
			want: "spec:\n  initContainers: [{name: init, image: busybox}]\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				l := at(doc, "spec", "initContainers")
				l.Content = append(l.Content, yamlNode(t, "{name: init, image: busybox}"))
			},
		},
		"append to a mapping, before a comment": {
			in:   "c: {name: web, image: \"x\" # the image\n}\n",
			want: "c: {name: web, image: \"x\", restartPolicy: Always # the image\n}\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "c"), "restartPolicy", "Always") },
		},
		"prepend to a list": {
			in:   "l: [b, c]\n",
			want: "l: [a, b, c]\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertItem(at(doc, "l"), 0, str("a")) },
		},
		"remove from a list": {
			in:   "l: [a, b, c]\n",
			want: "l: [a, c]\n",
			edit: func(t *testing.T, doc *yaml.Node) { removeItem(at(doc, "l"), 1) },
		},
		"remove the first": {
			in:   "l: [a, b, c]\n",
			want: "l: [b, c]\n",
			edit: func(t *testing.T, doc *yaml.Node) { removeItem(at(doc, "l"), 0) },
		},
		"remove every one": {
			in:   "m: {a: 1, b: 2}\n",
			want: "m: {}\n",
			edit: func(t *testing.T, doc *yaml.Node) { at(doc, "m").Content = nil },
		},
		"a multi-line list": {
			in:   "l: [\n  a,\n  b\n]\n",
			want: "l: [\n  a,\n  b,\n  c\n]\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertItem(at(doc, "l"), 2, str("c")) },
		},
		"a flow mapping on the line after its key": {
			in:   "metadata:\n  annotations:\n    {}\n  name: x\n",
			want: "metadata:\n  annotations:\n    {a: b}\n  name: x\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "metadata", "annotations"), "a", "b") },
		},
		"replace in a flow mapping": {
			in:   "ports: [{port: 80, targetPort: http}]\n",
			want: "ports: [{port: 80, targetPort: proxy}]\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "ports", "0"), "targetPort", "proxy") },
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { runCase(t, c) })
	}
}

func TestJSON(t *testing.T) {
	annotate := func(t *testing.T, doc *yaml.Node) {
		meta := at(doc, "spec", "template", "metadata")
		setString(ensure(meta, "annotations", yaml.MappingNode), "k", "v")
	}
	cases := map[string]spliceCase{
		"one line": {
			in:   `{"kind":"Deployment","spec":{"template":{"metadata":{"labels":{"app":"web"}}}}}` + "\n",
			want: `{"kind":"Deployment","spec":{"template":{"metadata":{"labels":{"app":"web"},"annotations":{"k":"v"}}}}}` + "\n",
			edit: annotate,
		},
		"one line with spaces": {
			in:   `{"kind": "Deployment", "spec": {"template": {"metadata": {"labels": {"app": "web"}}}}}`,
			want: `{"kind": "Deployment", "spec": {"template": {"metadata": {"labels": {"app": "web"}, "annotations": {"k": "v"}}}}}`,
			edit: annotate,
		},
		"indented": {
			in:   "{\n  \"kind\": \"Deployment\",\n  \"spec\": {\n    \"template\": {\n      \"metadata\": {\n        \"labels\": {\n          \"app\": \"web\"\n        }\n      }\n    }\n  }\n}\n",
			want: "{\n  \"kind\": \"Deployment\",\n  \"spec\": {\n    \"template\": {\n      \"metadata\": {\n        \"labels\": {\n          \"app\": \"web\"\n        },\n        \"annotations\": {\n          \"k\": \"v\"\n        }\n      }\n    }\n  }\n}\n",
			edit: annotate,
		},
		"indented, into an empty object": {
			in:   "{\n    \"kind\": \"Deployment\",\n    \"spec\": {\n        \"template\": {\n            \"metadata\": {}\n        }\n    }\n}\n",
			want: "{\n    \"kind\": \"Deployment\",\n    \"spec\": {\n        \"template\": {\n            \"metadata\": {\n                \"annotations\": {\n                    \"k\": \"v\"\n                }\n            }\n        }\n    }\n}\n",
			edit: annotate,
		},
		"numbers and lists": {
			in:   `{"kind":"Pod","spec":{"containers":[{"name":"web"}]}}`,
			want: `{"kind":"Pod","spec":{"containers":[{"name":"web"},{"name":"nginx","ports":[{"containerPort":8080}]}]}}`,
			edit: func(t *testing.T, doc *yaml.Node) {
				l := at(doc, "spec", "containers")
				l.Content = append(l.Content, yamlNode(t, "name: nginx\nports: [{containerPort: 8080}]"))
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { runCase(t, c) })
	}
}

func TestFidelityDetails(t *testing.T) {
	cases := map[string]spliceCase{
		"CRLF": {
			in:   "a:\r\n  b: 1\r\nc: 2\r\n",
			want: "a:\r\n  b: 1\r\n  d:\r\n    e: f\r\nc: 2\r\n",
			edit: func(t *testing.T, doc *yaml.Node) { setNode(at(doc, "a"), "d", yamlNode(t, "e: f")) },
		},
		"BOM and a leading ---": {
			in:   "\xef\xbb\xbf---\na: 1\n...\n",
			want: "\xef\xbb\xbf---\na: 1\nb: 2\n...\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				doc.Content[0].Content = append(doc.Content[0].Content, str("b"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "2"})
			},
		},
		"a %YAML directive": {
			in:   "%YAML 1.1\n---\na:\n  b: 1\n",
			want: "%YAML 1.1\n---\na:\n  b: 1\n  c: d\n",
			edit: func(t *testing.T, doc *yaml.Node) { setString(at(doc, "a"), "c", "d") },
		},
		"a BOM before the first key, which goes": {
			in:   "\xef\xbb\xbfa: 1\nb: 2\n",
			want: "\xef\xbb\xbfb: 2\n",
			edit: func(t *testing.T, doc *yaml.Node) { remove(doc.Content[0], "a") },
		},
		"block scalars kept byte for byte": {
			in:   "a: |+\n  keep\n\nb: >-\n  folded\n  text\nc: 1\n",
			want: "a: |+\n  keep\n\nx: y\nb: >-\n  folded\n  text\nc: 1\nz: w\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				insertPair(doc.Content[0], 1, "x", str("y"))
				setString(doc.Content[0], "z", "w")
			},
		},
		"a multi-line plain scalar": {
			in:   "a: one\n  two\n\n  three\nb: 1\n",
			want: "a: one\n  two\n\n  three\nx: y\nb: 1\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertPair(doc.Content[0], 1, "x", str("y")) },
		},
		"non-ASCII before a value": {
			in:   "é: ü\nm: {ä: 1}\n",
			want: "é: ü\nm: {ä: 1, ö: 2}\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				at(doc, "m").Content = append(at(doc, "m").Content, str("ö"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "2"})
			},
		},
		"anchors and aliases nearby": {
			in:   "base: &b\n  x: 1\nuse: *b\nl:\n- a\n",
			want: "base: &b\n  x: 1\nuse: *b\nl:\n- a\n- b\n",
			edit: func(t *testing.T, doc *yaml.Node) { insertItem(at(doc, "l"), 1, str("b")) },
		},
		"removing an anchor is refused": {
			in:          "base: &b\n  x: 1\nuse: *b\n",
			edit:        func(t *testing.T, doc *yaml.Node) { remove(doc.Content[0], "base") },
			unsupported: "anchor",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { runCase(t, c) })
	}
}

func TestUnsupportedIsAnError(t *testing.T) {
	doc := parse(t, "a: 1\n")
	o := Record([]byte("a: 1\n"), doc)
	other := parse(t, "a: 1\n")
	_, err := o.Splice(other)
	require.True(t, errors.Is(err, ErrUnsupported))
	require.True(t, strings.Contains(err.Error(), "not the document"))
}

// commented parses a YAML fragment keeping its comments and styles, as a
// value stored as text (a replaced probe) reads back.
func commented(t *testing.T, src string) *yaml.Node {
	t.Helper()
	return parse(t, src).Content[0]
}

// A new node's comments are written in the document's style: head comments
// above their key or item, line comments after the value or after the key
// of a block collection. Foot comments are refused.
func TestNewNodesWithComments(t *testing.T) {
	cases := map[string]spliceCase{
		"a replaced mapping with inner comments": {
			in:   "c:\n    probe: # kept\n        exec: x\n    n: 1\n",
			want: "c:\n    probe: # kept\n        httpGet:\n            path: /ready # not /healthz\n            port: 0x0BB8\n        # period\n        periodSeconds: 5 # five\n    n: 1\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				setNode(at(doc, "c"), "probe", commented(t, "httpGet:\n  path: /ready # not /healthz\n  port: 0x0BB8\n# period\nperiodSeconds: 5 # five\n"))
			},
		},
		"a key's line comment before its block value": {
			in:   "a:\n  b: 1\n",
			want: "a:\n  b:\n    x: # about x\n      y: 1\n    z: [1] # flow\n",
			edit: func(t *testing.T, doc *yaml.Node) {
				setNode(doc.Content[0], "a", commented(t, "b:\n  x: # about x\n    y: 1\n  z: [1] # flow\n"))
			},
		},
		"head comments on items": {
			in:   "a: 1\n",
			want: "a:\n- x\n# about y\n- y # why\n", // no sequence to follow: compact
			edit: func(t *testing.T, doc *yaml.Node) {
				setNode(doc.Content[0], "a", commented(t, "- x\n# about y\n- y # why\n"))
			},
		},
		"a foot comment": {
			in:          "a: 1\n",
			unsupported: "foot comment",
			edit: func(t *testing.T, doc *yaml.Node) {
				n := commented(t, "b: 1\nc: 2\n")
				n.Content[0].FootComment = "# foot"
				setNode(doc.Content[0], "a", n)
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { runCase(t, c) })
	}
}
