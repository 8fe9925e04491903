package eval

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/specload"
)

func TestMergeSystem(t *testing.T) {
	user := Message{Role: "user", Content: "hi"}
	got := MergeSystem([]Message{user}, "SPEC")
	if len(got) != 2 || got[0] != (Message{Role: "system", Content: "SPEC"}) || got[1] != user {
		t.Errorf("prepend: %+v", got)
	}
	orig := []Message{{Role: "developer", Content: "Be brief."}, user, {Role: "system", Content: "later"}}
	got = MergeSystem(orig, "SPEC")
	if len(got) != 3 || got[0].Role != "developer" || got[0].Content != "SPEC"+SystemSeparator+"Be brief." || got[2].Content != "later" {
		t.Errorf("merge: %+v", got)
	}
	if orig[0].Content != "Be brief." {
		t.Error("MergeSystem changed its input")
	}
	if got := MergeSystem(nil, "SPEC"); len(got) != 1 || got[0].Role != "system" {
		t.Errorf("empty conversation: %+v", got)
	}
}

func TestSpecPrompt(t *testing.T) {
	res, err := specload.Load("")
	if err != nil {
		t.Fatal(err)
	}
	s := res.Spec
	full, err := NewSpecPrompt(s, SpecContextFull, false)
	if err != nil {
		t.Fatal(err)
	}
	c := Case{ID: "c", Clauses: []string{"protect_privacy"}}
	if got, err := full.For(c); err != nil || got != spec.Render(s, spec.RenderOptions{}) {
		t.Errorf("full: %v", err)
	}
	cl, err := NewSpecPrompt(s, SpecContextClauses, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cl.For(c)
	if err != nil || !strings.Contains(got, "[#protect_privacy") || strings.Contains(got, "[#no_nsfw") || !strings.Contains(got, "Example") {
		t.Errorf("clauses: %v\n%s", err, got)
	}
	for _, bad := range []Case{{ID: "none"}, {ID: "unknown", Clauses: []string{"protect_privacy", "nope"}}} {
		if _, err := cl.For(bad); !errors.Is(err, ErrUnknownClause) {
			t.Errorf("case %s: %v", bad.ID, err)
		}
	}
	if _, err := NewSpecPrompt(s, "most", false); err == nil {
		t.Error("unknown mode accepted")
	}
}

// TestWithSystemText: the wrapped target sends the merged conversation,
// names it in its cache key, passes the text's error on, and is a
// CacheKeyer only when the target it wraps is one.
func TestWithSystemText(t *testing.T) {
	inner := &HTTPTarget{BaseURL: "http://127.0.0.1:1/v1", Model: "m"}
	c := Case{ID: "c", Messages: []Message{{Role: "user", Content: "hi"}}}
	text := func(c Case) (string, error) {
		if c.ID == "bad" {
			return "", errors.New("no text")
		}
		return "SPEC", nil
	}
	w := WithSystemText(inner, text)
	if w.Name() != inner.Name() {
		t.Errorf("name %q", w.Name())
	}
	k, ok := w.(CacheKeyer)
	if !ok {
		t.Fatal("not a CacheKeyer")
	}
	plain, _ := inner.CacheKey(c)
	withText, err := k.CacheKey(c)
	merged, _ := inner.CacheKey(Case{ID: "c", Messages: MergeSystem(c.Messages, "SPEC")})
	if err != nil || withText == plain || withText != merged {
		t.Errorf("cache keys: plain %s, with text %s, merged %s (%v)", plain, withText, merged, err)
	}
	if _, err := w.Answer(context.Background(), Case{ID: "bad"}); err == nil || !strings.Contains(err.Error(), "no text") {
		t.Errorf("answer error %v", err)
	}
	if _, ok := WithSystemText(&Replay{model: "gpt4"}, text).(CacheKeyer); ok {
		t.Error("a replay wrapped became a CacheKeyer")
	}
}
