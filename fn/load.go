package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// LoadConfigFiles reads PodGraft configs from files; a file may hold
// several PodGraft documents. fromFiles resolve against each file's folder.
func LoadConfigFiles(paths []string) ([]*Config, error) {
	var configs []*Config
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		cs, err := decodeConfigStream(f, path, filepath.Dir(path))
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		configs = append(configs, cs...)
	}
	return configs, nil
}

func decodeConfigStream(r io.Reader, path, baseDir string) ([]*Config, error) {
	var configs []*Config
	reader := NewDocumentReader(newBudget(limits.config).reader(r))
	for index := 1; ; index++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		source := fmt.Sprintf("%s, document %d", path, index)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		var doc yaml.Node
		if err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				continue
			}
			return nil, fmt.Errorf("%s: invalid YAML: %w", source, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		node := yaml.NewRNode(doc.Content[0])
		if node.YNode().Kind == yaml.MappingNode && node.GetKind() != Kind {
			return nil, fmt.Errorf("%s: kind: expected %s, got %q", source, Kind, node.GetKind())
		}
		cfg, err := DecodeNode(node, source, baseDir)
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
