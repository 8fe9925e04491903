package classify

import (
	"testing"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// TestOrdinary checks that ordinary text every deployment sends — system
// and developer prompts, assistant answers, user messages — raises no
// finding with the embedded model. The texts in testdata/ordinary.jsonl
// were written for this test and are in no training data (issue 3: "You
// are a helpful assistant." was flagged as harassment).
func TestOrdinary(t *testing.T) {
	cs, err := detecttest.LoadCases("testdata/ordinary.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 60 {
		t.Fatalf("%d cases in ordinary.jsonl, want the whole set", len(cs))
	}
	d := New()
	flagged := 0
	for _, c := range cs {
		if len(c.Want) > 0 {
			t.Errorf("ordinary.jsonl:%d: a case here must want nothing", c.Line)
		}
		if fs := d.Detect(c.Text); len(fs) > 0 {
			flagged++
			for _, f := range fs {
				t.Errorf("ordinary.jsonl:%d (%s): %s %.2f on %q", c.Line, c.Name, f.Category, f.Score, c.Text[f.Start:f.End])
			}
		}
	}
	t.Logf("%d of %d ordinary texts flagged", flagged, len(cs))
}
