package fn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/transformers"
)

// Config is one loaded PodGraft: decoded, defaulted and validated, with
// the content of its files read and the hash of its spec.
type Config struct {
	transformers.Config
	// Source names where the config came from, for messages: a file
	// path with a document index, or "functionConfig".
	Source string
}

// LoadConfigFiles reads PodGraft configs from files; a file may hold
// several PodGraft documents. fromFiles resolve against each file's folder.
func LoadConfigFiles(paths []string, limits guard.Limits) ([]*Config, error) {
	limits = limits.WithDefaults()
	var configs []*Config
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		cs, err := decodeConfigStream(f, path, filepath.Dir(path), limits)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		configs = append(configs, cs...)
	}
	return configs, nil
}

func decodeConfigStream(r io.Reader, path, baseDir string, limits guard.Limits) ([]*Config, error) {
	var configs []*Config
	reader := NewDocumentReader(guard.NewBudget(limits.Config).Reader(r))
	for index := 1; ; index++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		source := fmt.Sprintf("%s, document %d", path, index)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		doc, err := ParseDocument(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if doc == nil {
			continue
		}
		n := doc.Content[0]
		if n.Kind == yaml.MappingNode {
			if kind := yaml.NewRNode(n).GetKind(); kind != v1alpha1.Kind {
				return nil, fmt.Errorf("%s: kind: expected %s, got %q", source, v1alpha1.Kind, kind)
			}
		}
		cfg, err := DecodeConfig(n, source, baseDir)
		if err != nil {
			return nil, err
		}
		configs = append(configs, cfg)
	}
	if len(configs) == 0 {
		return nil, fmt.Errorf("%s: holds no PodGraft", path)
	}
	return configs, nil
}

// DecodeConfig decodes one PodGraft document (see v1alpha1.Decode), reads
// its files (fromFiles resolve against baseDir) and hashes its spec.
func DecodeConfig(n *yaml.Node, source, baseDir string) (*Config, error) {
	pg, err := v1alpha1.Decode(n, source)
	if err != nil {
		return nil, err
	}
	files, ferrs := loadVolumeFiles(pg, baseDir)
	if len(ferrs) > 0 {
		return nil, v1alpha1.NewConfigErrors(n, source, ferrs)
	}
	return &Config{
		Config: transformers.Config{PodGraft: pg, Files: files, Hash: withFiles(specHash(pg.Spec), pg, files)},
		Source: source,
	}, nil
}

// specHash identifies a spec version: sha256 over its canonical JSON.
func specHash(spec v1alpha1.Spec) string {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(spec) // a plain struct of strings, slices and maps cannot fail
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])[:10]
}

// NewEngine compiles the configs into one engine for the options' mode
// and namespace.
func NewEngine(configs []*Config, opts Options) (*transformers.Engine, error) {
	cs := make([]transformers.Config, len(configs))
	sources := make([]string, len(configs))
	for i, c := range configs {
		cs[i], sources[i] = c.Config, c.Source
	}
	return transformers.NewEngine(cs, sources, opts.Mode, opts.Namespace, opts.Release)
}
