package splice

import (
	"bytes"
	"os"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The benchmarks graft a Deployment of the bench generator the way a
// sidecar graft does (a native sidecar in a new initContainers list, a
// volume, a mount, the record annotation) and write it: by splicing
// (Record before the edits, Splice after) or by encoding it whole, as
// podgraft did before. Parse and edit are the same in both; compare
// BenchmarkSplice and BenchmarkEncode with BenchmarkParseEdit.

func benchDoc(b *testing.B) []byte {
	src, err := os.ReadFile("testdata/deployment.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return src
}

func graftEdits(b testing.TB, doc *yaml.Node) {
	spec := at(doc, "spec", "template", "spec")
	sidecar := yamlNode(b, "name: nginx\nimage: nginx:1.27-alpine\nports:\n- name: proxy\n  containerPort: 8080\nvolumeMounts:\n- name: static\n  mountPath: /srv/static\nrestartPolicy: Always\n")
	seq := newNode(yaml.SequenceNode)
	seq.Content = append(seq.Content, sidecar)
	for i := 0; i < len(spec.Content); i += 2 {
		if spec.Content[i].Value == "containers" {
			insertPair(spec, i/2, "initContainers", seq)
			break
		}
	}
	volumes := ensure(spec, "volumes", yaml.SequenceNode)
	volumes.Content = append(volumes.Content, yamlNode(b, "name: static\nemptyDir: {}\n"))
	web := at(spec, "containers", "0")
	mounts := ensure(web, "volumeMounts", yaml.SequenceNode)
	mounts.Content = append(mounts.Content, yamlNode(b, "name: static\nmountPath: /srv/static\n"))
	annos := ensure(at(doc, "spec", "template", "metadata"), "annotations", yaml.MappingNode)
	v := ensure(annos, "podgraft.dev/grafts", yaml.ScalarNode)
	*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.SingleQuotedStyle,
		Value: `{"edge":{"hash":"21c7bb4914","sidecars":["nginx"],"volumes":["static"],"mounts":["web:/srv/static"]}}`}
}

func parseBench(b *testing.B, src []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc); err != nil {
		b.Fatal(err)
	}
	return &doc
}

func BenchmarkParseEdit(b *testing.B) {
	src := benchDoc(b)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		graftEdits(b, parseBench(b, src))
	}
}

func BenchmarkSplice(b *testing.B) {
	src := benchDoc(b)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		doc := parseBench(b, src)
		o := Record(src, doc)
		graftEdits(b, doc)
		if _, err := o.Splice(doc); err != nil {
			b.Fatal(err)
		}
		o.Release()
	}
}

func BenchmarkEncode(b *testing.B) {
	src := benchDoc(b)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		doc := parseBench(b, src)
		graftEdits(b, doc)
		var out bytes.Buffer
		enc := yaml.NewEncoderWithOptions(&out, &yaml.EncoderOptions{SeqIndent: yaml.WideSequenceStyle})
		if err := enc.Encode(doc); err != nil {
			b.Fatal(err)
		}
		_ = enc.Close()
	}
}

// BenchmarkRecord is Record alone, which every parsed document pays.
func BenchmarkRecord(b *testing.B) {
	src := benchDoc(b)
	doc := parseBench(b, src)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		Record(src, doc).Release()
	}
}

// BenchmarkSpliceOnly and BenchmarkEncodeOnly write the same grafted
// document, without parsing or editing it: Splice against the encoder
// that it replaces (add BenchmarkRecord for the whole cost of splicing).
func BenchmarkSpliceOnly(b *testing.B) {
	src := benchDoc(b)
	doc := parseBench(b, src)
	o := Record(src, doc)
	graftEdits(b, doc)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Splice(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeOnly(b *testing.B) {
	src := benchDoc(b)
	doc := parseBench(b, src)
	graftEdits(b, doc)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		enc := yaml.NewEncoderWithOptions(&out, &yaml.EncoderOptions{SeqIndent: yaml.WideSequenceStyle})
		if err := enc.Encode(doc); err != nil {
			b.Fatal(err)
		}
		_ = enc.Close()
	}
}
