package transformers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// FileSet is the content of a generated ConfigMap or Secret: file name to
// bytes.
type FileSet struct {
	Secret bool
	Data   map[string][]byte
}

// Kind is ConfigMap, or Secret for a secret file set.
func (fs *FileSet) Kind() string {
	if fs.Secret {
		return "Secret"
	}
	return "ConfigMap"
}

// Hash is 10 hex characters of a sha256 over the kind and the content, so
// that a content change changes the generated name and rolls the pods.
func (fs *FileSet) Hash() string {
	h := sha256.New()
	h.Write([]byte(fs.Kind()))
	var n [8]byte
	for _, k := range fs.keys() {
		binary.BigEndian.PutUint64(n[:], uint64(len(k)))
		h.Write(n[:])
		h.Write([]byte(k))
		binary.BigEndian.PutUint64(n[:], uint64(len(fs.Data[k])))
		h.Write(n[:])
		h.Write(fs.Data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
}

// Name is the generated resource's name: <graft>-<volume>-<hash>.
func (fs *FileSet) Name(graft, volume string) string {
	return graft + "-" + volume + "-" + fs.Hash()
}

func (fs *FileSet) keys() []string {
	keys := make([]string, 0, len(fs.Data))
	for k := range fs.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Resource renders the ConfigMap or Secret. A ConfigMap holds text in
// data (as a block scalar) and anything that is not UTF-8 in binaryData;
// a Secret holds base64 data, as the API server returns it.
func (fs *FileSet) Resource(graft, volume, namespace string) *yaml.RNode {
	r := generatedResource(fs.Kind(), fs.Name(graft, volume), namespace, graft)
	if fs.Secret {
		node.SetString(r.YNode(), "type", "Opaque")
	}
	data, binaryData := node.New(yaml.MappingNode), node.New(yaml.MappingNode)
	for _, k := range fs.keys() {
		v := fs.Data[k]
		switch {
		case fs.Secret:
			node.SetString(data, k, base64.StdEncoding.EncodeToString(v))
		case utf8.Valid(v):
			node.SetString(data, k, string(v))
			if bytes.IndexByte(v, '\n') >= 0 {
				node.Lookup(data, k).Style = yaml.LiteralStyle
			}
		default:
			node.SetString(binaryData, k, base64.StdEncoding.EncodeToString(v))
		}
	}
	if len(data.Content) > 0 {
		node.Set(r.YNode(), "data", data)
	}
	if len(binaryData.Content) > 0 {
		node.Set(r.YNode(), "binaryData", binaryData)
	}
	return r
}

// keepAnnotations keep a generated claim, and the data in it, when the
// tools that prune would delete it: helm uninstall and an upgrade that no
// longer renders it, Argo CD's pruning, and kpt live (cli-utils).
var keepAnnotations = [][2]string{
	{"helm.sh/resource-policy", "keep"},
	{"argocd.argoproj.io/sync-options", "Prune=false"},
	{"cli-utils.sigs.k8s.io/on-remove", "keep"},
}

// claimResource renders a claim as a PersistentVolumeClaim.
func claimResource(c *v1alpha1.Claim, graft, name, namespace string) *yaml.RNode {
	r := generatedResource("PersistentVolumeClaim", name, namespace, graft)
	if c.Keeps() {
		annos := node.Ensure(node.Lookup(r.YNode(), "metadata"), "annotations", yaml.MappingNode)
		for _, kv := range keepAnnotations {
			node.SetString(annos, kv[0], kv[1])
		}
	}
	node.Set(r.YNode(), "spec", claimSpec(c))
	return r
}

func generatedResource(kind, name, namespace, graft string) *yaml.RNode {
	n := node.New(yaml.MappingNode)
	node.SetString(n, "apiVersion", "v1")
	node.SetString(n, "kind", kind)
	meta := node.Ensure(n, "metadata", yaml.MappingNode)
	node.SetString(meta, "name", name)
	if namespace != "" {
		node.SetString(meta, "namespace", namespace)
	}
	node.SetString(node.Ensure(meta, "labels", yaml.MappingNode), GeneratedLabel, graft)
	return yaml.NewRNode(n)
}
