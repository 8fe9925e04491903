package web

import (
	"container/list"
	"net"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// Limiter is a token bucket per key (an IP address, an email hash, a
// user), holding at most maxKeys buckets: when full, the bucket used
// least recently is dropped. A dropped key starts again with a full
// bucket, so maxKeys must exceed the number of keys active within one
// refill time for the limit to hold under a flood of distinct keys.
type Limiter struct {
	mu      sync.Mutex
	r       rate.Limit
	burst   int
	maxKeys int
	keys    map[string]*list.Element
	lru     *list.List // front = most recently used
}

type bucket struct {
	key string
	lim *rate.Limiter
}

// NewLimiter allows each key r events per second with bursts of burst.
func NewLimiter(r rate.Limit, burst, maxKeys int) *Limiter {
	if maxKeys < 1 {
		maxKeys = 1
	}
	return &Limiter{r: r, burst: burst, maxKeys: maxKeys, keys: map[string]*list.Element{}, lru: list.New()}
}

// Allow reports whether one more event for key is allowed now, and counts it.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.keys[key]; ok {
		l.lru.MoveToFront(e)
		return e.Value.(*bucket).lim.Allow()
	}
	if l.lru.Len() >= l.maxKeys {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.keys, old.Value.(*bucket).key)
	}
	b := &bucket{key: key, lim: rate.NewLimiter(l.r, l.burst)}
	l.keys[key] = l.lru.PushFront(b)
	return b.lim.Allow()
}

// ClientIP is the address a request came from. With trustForwarded (the
// server sits behind a proxy that appends to X-Forwarded-For) it is the
// rightmost address of that header, the one our proxy saw; leftmost
// entries are whatever the client chose to send.
func ClientIP(r *http.Request, trustForwarded bool) string {
	if trustForwarded {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
