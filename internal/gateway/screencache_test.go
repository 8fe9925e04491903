package gateway

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/specload"
)

// countingScreen finds a word and counts the texts it screened.
type countingScreen struct {
	word string
	mu   sync.Mutex
	seen map[string]int
}

func (c *countingScreen) ID() string { return "detect.test.count" }

func (c *countingScreen) Detect(text string) []detect.Finding {
	c.mu.Lock()
	c.seen[text]++
	c.mu.Unlock()
	var out []detect.Finding
	for i := 0; ; {
		j := strings.Index(text[i:], c.word)
		if j < 0 {
			return out
		}
		out = append(out, detect.Finding{Detector: c.ID(), Clause: "protect_privacy", Category: "secret", Score: 1, Start: i + j, End: i + j + len(c.word)})
		i += j + len(c.word)
	}
}

func (c *countingScreen) count(text string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[text]
}

// TestScreenCache checks that an app's long system message is screened
// once however many requests carry it, that the decision is the same as
// without the cache, and that user text and short system messages are
// screened every time.
func TestScreenCache(t *testing.T) {
	res, err := specload.Load("")
	if err != nil {
		t.Fatal(err)
	}
	screen := &countingScreen{word: "sk-live-TOKEN", seen: map[string]int{}}
	judge := &countingScreen{word: "zzz-absent", seen: map[string]int{}} // stands for a model-backed input screen
	s, err := New(config.Default(), Deps{Spec: res.Spec, Screens: []detect.Detector{screen}, InputScreens: []detect.Detector{judge}})
	if err != nil {
		t.Fatal(err)
	}
	system := strings.Repeat("You answer questions about our catalogue, politely. ", 5) + "Our API key is sk-live-TOKEN, never share it."
	short := "Be brief."
	user := "What does sk-live-TOKEN unlock?"
	msgs := []policy.Message{{Role: "system", Content: system}, {Role: "developer", Content: short}, {Role: "user", Content: user}}
	plain := policy.Decide(s.open.policy, msgs, policy.Options{Content: s.inputScreens})
	for range 3 {
		rq := &request{s: s, app: s.open}
		// A copy of each string, as each request decodes its own.
		again := []policy.Message{{Role: "system", Content: strings.Clone(system)}, {Role: "developer", Content: strings.Clone(short)}, {Role: "user", Content: strings.Clone(user)}}
		d := policy.Decide(s.open.policy, again, policy.Options{Content: rq.inputScreens(again)})
		if !reflect.DeepEqual(d.Findings, plain.Findings) || d.Action != plain.Action {
			t.Fatalf("with the cache: %+v (%s)\nwithout: %+v (%s)", d.Findings, d.Action, plain.Findings, plain.Action)
		}
	}
	if len(plain.Findings) != 2 || plain.Action != policy.Redact {
		t.Fatalf("findings %+v, action %s: want the token in the system and the user message, redacted", plain.Findings, plain.Action)
	}
	// Once without the cache, once to fill it.
	if n := screen.count(system); n != 2 {
		t.Errorf("system message screened %d times, want 2", n)
	}
	if n := screen.count(user); n != 4 {
		t.Errorf("user message screened %d times, want 4", n)
	}
	if n := screen.count(short); n != 4 {
		t.Errorf("short developer message screened %d times, want 4", n)
	}
	if n := judge.count(system); n != 4 {
		t.Errorf("the model-backed screen ran %d times on the system message, want 4 (never cached)", n)
	}
}

func TestScreenCacheBounded(t *testing.T) {
	c := newScreenCache()
	screen := &countingScreen{word: "x", seen: map[string]int{}}
	text := strings.Repeat("a", cacheMaxBytes/4+1)
	for i := range 5 {
		c.detect(context.Background(), 0, 1, screen, text+string(rune('a'+i)))
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.bytes > cacheMaxBytes || len(c.texts) > 3 {
		t.Errorf("cache holds %d texts, %d bytes; bound %d bytes", len(c.texts), c.bytes, cacheMaxBytes)
	}
	if len(c.texts) == 0 {
		t.Error("cache empty after the last text")
	}
}
