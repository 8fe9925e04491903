package eval

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseJudgeReplies feeds arbitrary judge replies to the validators:
// they must never panic, and whatever they accept must be well formed.
func FuzzParseJudgeReplies(f *testing.F) {
	ps := Propositions(privacyCase)
	for _, s := range []string{
		`{"propositions":[{"id":"violates:protect_privacy","answer":"no","probability":0.1,"evidence":""},{"id":"refuses","answer":"no","probability":0.2,"evidence":""},{"id":"judgmental","answer":"yes","probability":0.7,"evidence":"x"}]}`,
		"```json\n{\"better\":\"A\",\"reason\":\"r\"}\n```",
		`{"better":"tie","reason":""}`, `{"propositions":[]}`, `{}`, `[`, "",
		"Which one? Do you mean A or B? ```x```", `{"q":["Could you tell me more?"]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		as, err := ParseRubricReply(s, ps)
		if err == nil {
			if len(as) != len(ps) {
				t.Fatalf("%d answers for %d propositions", len(as), len(ps))
			}
			for i, a := range as {
				if a.ID != ps[i].ID || a.P < 0 || a.P > 1 || (a.Yes && a.P < 0.5) || (!a.Yes && a.P > 0.5) {
					t.Fatalf("accepted %+v", a)
				}
			}
			g := CombineRubric(ps, as)
			if g.Score < 0 || g.Score > 1 || (g.Status != Pass && g.Status != Fail) {
				t.Fatalf("combined %+v", g)
			}
		} else if !errors.Is(err, ErrInvalidReply) {
			t.Fatalf("error not ErrInvalidReply: %v", err)
		}
		if r, err := ParsePairReply(s); err == nil && r.Better != "A" && r.Better != "B" && r.Better != "tie" {
			t.Fatalf("accepted %+v", r)
		}
		qs, n := ClarifyingQuestions(s)
		if n < 0 {
			t.Fatal("negative word count")
		}
		for _, q := range qs {
			if strings.TrimSpace(q) == "" {
				t.Fatal("empty question")
			}
		}
	})
}
