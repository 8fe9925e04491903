package gateway

import (
	"context"
	"sync"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/policy"
)

// Most apps send the same system (or developer) message with every
// request, often several kilobytes of it, and screening it costs as much
// as screening the user's text. The content screens are pure functions of
// their text (detect.Detector's contract), so each app remembers their
// findings on its own instructing texts and screens each such text once.
// Model-backed input screens (judges, ONNX classifiers) are never cached:
// they may fail, and a failure must not be remembered.

const (
	// cacheMinText is the shortest text worth remembering: below it,
	// screening costs about what a lookup does.
	cacheMinText = 128
	// cacheMaxBytes bounds the text an app's cache holds; when a new text
	// would pass it, the cache starts again empty.
	cacheMaxBytes = 1 << 20
)

// screenCache holds one app's remembered findings, by text.
type screenCache struct {
	mu    sync.RWMutex
	texts map[string]*screened
	bytes int
}

// screened is one text's findings per content screen (by index in
// Deps.Screens); done[i] says whether screen i has run on it.
type screened struct {
	mu       sync.Mutex
	done     []bool
	findings [][]detect.Finding
}

func newScreenCache() *screenCache { return &screenCache{texts: map[string]*screened{}} }

// detect returns screen i's findings on text, screening it on the first
// call. The findings are shared: callers copy them (policy.Decide does).
func (c *screenCache) detect(ctx context.Context, i, n int, d detect.Detector, text string) ([]detect.Finding, error) {
	c.mu.RLock()
	e := c.texts[text]
	c.mu.RUnlock()
	if e == nil {
		c.mu.Lock()
		if e = c.texts[text]; e == nil {
			if c.bytes+len(text) > cacheMaxBytes {
				clear(c.texts)
				c.bytes = 0
			}
			e = &screened{done: make([]bool, n), findings: make([][]detect.Finding, n)}
			c.texts[text] = e
			c.bytes += len(text)
		}
		c.mu.Unlock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.done[i] {
		// A check that failed is not cached: the next request tries it
		// again.
		fs, err := detect.Run(ctx, d, text)
		if err != nil {
			return nil, err
		}
		e.findings[i], e.done[i] = fs, true
	}
	return e.findings[i], nil
}

// cachedScreen is a content screen that answers from the app's cache for
// the request's instructing texts and screens anything else.
type cachedScreen struct {
	det   detect.Detector
	i, n  int
	cache *screenCache
	texts []string // the request's system and developer message texts
}

var _ detect.Detector = (*cachedScreen)(nil)

func (c *cachedScreen) ID() string { return c.det.ID() }

// Kinds and DetectContext pass the screen's own on, so that the decision
// core applies its fail mode (policy.Screen).
func (c *cachedScreen) Kinds() []detect.Kind { return detect.KindsOf(c.det) }

func (c *cachedScreen) DetectContext(ctx context.Context, text string) ([]detect.Finding, error) {
	for _, t := range c.texts {
		// The decision core passes the message's own string: a match is
		// found at once, and a miss on length alone.
		if text == t {
			return c.cache.detect(ctx, c.i, c.n, c.det, text)
		}
	}
	return detect.Run(ctx, c.det, text)
}

func (c *cachedScreen) Detect(text string) []detect.Finding {
	fs, _ := c.DetectContext(context.Background(), text)
	return fs
}

// inputScreens returns the input screens for a conversation: the content
// screens answer from the app's cache for its system and developer
// messages long enough to be worth it.
func (rq *request) inputScreens(msgs []policy.Message) []detect.Detector {
	var texts []string
	for _, m := range msgs {
		if (m.Role == "system" || m.Role == "developer") && len(m.Content) >= cacheMinText {
			texts = append(texts, m.Content)
		}
	}
	s := rq.s
	if len(texts) == 0 || len(s.deps.Screens) == 0 {
		return s.inputScreens
	}
	n := len(s.deps.Screens)
	wrapped := make([]cachedScreen, n)
	out := make([]detect.Detector, 0, len(s.inputScreens))
	for i, d := range s.deps.Screens {
		wrapped[i] = cachedScreen{det: d, i: i, n: n, cache: rq.app.screens, texts: texts}
		out = append(out, &wrapped[i])
	}
	return append(out, s.deps.InputScreens...)
}
