package fn

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/podgraft/podgraft/fn/v1alpha1"
)

// MaxFileSize bounds each file that fromFiles reads: a ConfigMap holds at
// most 1 MiB in total, so a bigger file can never be applied.
const MaxFileSize = 1 << 20

// loadVolumeFiles reads, once at config load, every volume's files and
// fromFiles into one map per volume (file name to content). fromFiles
// resolve against baseDir and may not leave it: not by "..", not as an
// absolute path, not through a symlink; each must be a regular file of at
// most MaxFileSize bytes.
func loadVolumeFiles(pg *v1alpha1.PodGraft, baseDir string) (map[string]map[string][]byte, field.ErrorList) {
	var errs field.ErrorList
	out := map[string]map[string][]byte{}
	var root string
	for i, v := range pg.Spec.Volumes {
		if len(v.Files) == 0 && len(v.FromFiles) == 0 {
			continue
		}
		data := map[string][]byte{}
		for k, content := range v.Files {
			data[k] = []byte(content)
		}
		for j, rel := range v.FromFiles {
			p := field.NewPath("spec", "volumes").Index(i).Child("fromFiles").Index(j)
			if root == "" {
				r, err := resolveBaseDir(baseDir)
				if err != nil {
					errs = append(errs, field.Invalid(p, rel, err.Error()))
					continue
				}
				root = r
			}
			content, err := readConfigFile(root, rel)
			if err != nil {
				errs = append(errs, field.Invalid(p, rel, err.Error()))
				continue
			}
			data[filepath.Base(rel)] = content
		}
		out[v.Name] = data
	}
	return out, errs
}

func resolveBaseDir(baseDir string) (string, error) {
	if baseDir == "" {
		baseDir = "."
	}
	abs, err := filepath.Abs(baseDir)
	if err != nil {
		return "", fmt.Errorf("cannot resolve the config's folder: %v", err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("cannot resolve the config's folder: %v", err)
	}
	return root, nil
}

// readConfigFile reads rel under root, refusing anything that leaves root.
func readConfigFile(root, rel string) ([]byte, error) {
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") || strings.HasPrefix(rel, `\`) {
		return nil, errors.New("must be a path relative to the config's folder, not an absolute path")
	}
	for _, seg := range strings.FieldsFunc(rel, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return nil, errors.New("must not leave the config's folder (\"..\")")
		}
	}
	resolved, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no such file in %s", root)
		}
		return nil, fmt.Errorf("cannot read it: %v", unwrapPathError(err))
	}
	if inside, err := filepath.Rel(root, resolved); err != nil || inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("is a symlink to %s, outside the config's folder", resolved)
	}
	info, err := os.Stat(resolved)
	if err != nil {
		return nil, fmt.Errorf("cannot read it: %v", unwrapPathError(err))
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("is not a regular file (%s)", describeMode(info.Mode()))
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("is %d bytes; files may be at most %d bytes (1 MiB)", info.Size(), MaxFileSize)
	}
	f, err := os.Open(resolved)
	if err != nil {
		return nil, fmt.Errorf("cannot read it: %v", unwrapPathError(err))
	}
	defer func() { _ = f.Close() }()
	// The limit guards against a file that grows after the Stat.
	content, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read it: %v", unwrapPathError(err))
	}
	if len(content) > MaxFileSize {
		return nil, fmt.Errorf("is more than %d bytes (1 MiB)", MaxFileSize)
	}
	return content, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// withFiles folds the content that fromFiles read into the spec hash, so
// that a changed file makes the graft record stale and the pods roll.
func withFiles(hash string, pg *v1alpha1.PodGraft, files map[string]map[string][]byte) string {
	var fromDisk []string
	for _, v := range pg.Spec.Volumes {
		if len(v.FromFiles) > 0 {
			fromDisk = append(fromDisk, v.Name)
		}
	}
	if len(fromDisk) == 0 {
		return hash
	}
	h := sha256.New()
	h.Write([]byte(hash))
	sort.Strings(fromDisk)
	for _, name := range fromDisk {
		keys := make([]string, 0, len(files[name]))
		for k := range files[name] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(h, "\x00%s\x00%s\x00%d\x00", name, k, len(files[name][k]))
			h.Write(files[name][k])
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
}
