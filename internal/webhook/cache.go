package webhook

import (
	"crypto/sha256"
	"sync"
)

// graftCache remembers the grafts of the documents seen last. A graft is a
// pure function of the configs and the document, and controllers create
// runs of identical Pods (a ReplicaSet scaling up, a Job's parallel Pods,
// the Pods of a rollout), each of which would otherwise cost a whole
// engine run. It holds at most 2 × size entries: when the newer half is
// full it becomes the older one, and what was not used since is dropped.
type graftCache struct {
	mu       sync.Mutex
	size     int
	cur, old map[cacheKey]cachedGraft
}

// cacheKey is a Pod in a namespace under one set of configs: a reload
// makes a new engine, and the old one's entries age out.
type cacheKey struct {
	engine *engine
	pod    [sha256.Size]byte
}

type cachedGraft struct {
	res graftResult
	err error
}

func newGraftCache(size int) *graftCache {
	if size <= 0 {
		return nil
	}
	return &graftCache{size: size, cur: map[cacheKey]cachedGraft{}, old: map[cacheKey]cachedGraft{}}
}

// graft is graft(), the graft of pod in namespace under e, from the cache
// when it holds it. A nil cache always grafts.
func (c *graftCache) graft(e *engine, namespace string, pod []byte, graft func() (graftResult, error)) (graftResult, error) {
	if c == nil {
		return graft()
	}
	h := sha256.New()
	h.Write([]byte(namespace))
	h.Write([]byte{0})
	h.Write(pod)
	key := cacheKey{engine: e}
	h.Sum(key.pod[:0])
	c.mu.Lock()
	hit, ok := c.cur[key]
	if !ok {
		if hit, ok = c.old[key]; ok {
			c.put(key, hit)
		}
	}
	c.mu.Unlock()
	if ok {
		return hit.res, hit.err
	}
	res, err := graft()
	c.mu.Lock()
	c.put(key, cachedGraft{res: res, err: err})
	c.mu.Unlock()
	return res, err
}

// put stores an entry; the caller holds mu.
func (c *graftCache) put(key cacheKey, v cachedGraft) {
	if len(c.cur) >= c.size {
		c.old, c.cur = c.cur, make(map[cacheKey]cachedGraft, c.size)
	}
	c.cur[key] = v
}
