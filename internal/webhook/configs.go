package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// configFiles lists the PodGraft files of the --config paths: a file as
// given, a folder's *.yaml, *.yml and *.json files (not recursing, and
// skipping names that start with a dot, such as a ConfigMap volume's
// ..data), sorted by name.
func configFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--config %s: %w", p, err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("--config %s: %w", p, err)
		}
		found := false
		for _, e := range entries {
			name := e.Name()
			ext := filepath.Ext(name)
			if strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
				continue
			}
			full := filepath.Join(p, name)
			if fi, err := os.Stat(full); err != nil || !fi.Mode().IsRegular() {
				continue // a dangling link or a folder
			}
			files = append(files, full)
			found = true
		}
		if !found {
			return nil, fmt.Errorf("--config %s: the folder holds no PodGraft files (*.yaml, *.yml, *.json)", p)
		}
	}
	if len(files) == 0 {
		return nil, errors.New("no configs: give --config a PodGraft file or a folder of them")
	}
	return files, nil
}

// configs holds the engine serving now and replaces it when the files
// change.
type configs struct {
	paths   []string
	current atomic.Pointer[engine]
	// identity says which configs serve: each one's source, name and spec
	// hash (which covers its fromFiles), so a change to any is a reload.
	identity string
	lastErr  string
	metrics  *metrics
	log      *slog.Logger
}

// load reads the configs for the first time; an error stops the start-up.
func (c *configs) load() error {
	e, id, err := c.read()
	if err != nil {
		return err
	}
	c.current.Store(e)
	c.identity = id
	c.metrics.generation.Inc()
	c.metrics.lastReloadOK.Set(1)
	c.log.Info("configs loaded", "grafts", e.names())
	return nil
}

func (c *configs) read() (*engine, string, error) {
	files, err := configFiles(c.paths)
	if err != nil {
		return nil, "", err
	}
	e, err := loadEngine(files)
	if err != nil {
		return nil, "", err
	}
	id := e.identity()
	return e, id, nil
}

// watch re-reads the configs every interval until ctx ends. A change that
// loads replaces the engine; one that does not keeps the old engine
// serving, is logged once with the file and field it names, and counted.
func (c *configs) watch(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			c.reload()
		}
	}
}

func (c *configs) reload() {
	e, id, err := c.read()
	if err != nil {
		if msg := err.Error(); msg != c.lastErr {
			c.lastErr = msg
			c.metrics.reloadErrors.Inc()
			c.metrics.lastReloadOK.Set(0)
			c.log.Error("config change not loaded; the previous configs keep serving", "error", msg)
		}
		return
	}
	c.lastErr = ""
	c.metrics.lastReloadOK.Set(1)
	if id == c.identity {
		return
	}
	c.current.Store(e)
	c.identity = id
	c.metrics.generation.Inc()
	c.log.Info("configs reloaded", "grafts", e.names())
}
