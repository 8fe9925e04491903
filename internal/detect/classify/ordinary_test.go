package classify

import (
	"fmt"
	"strings"
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

// TestNumbersCarryNoContent: a message that is a number, or a short
// phrase and a number, raises nothing, whatever the number: numbers are
// left out of the features (feature set 3), so a few numbers stand for all
// of them. With numbers as words, about 1% of such messages were flagged
// ("421" sexual 0.64, "36611" hazard 0.88).
func TestNumbersCarryNoContent(t *testing.T) {
	if Default().Header.Features < WithoutNumbers {
		t.Skip("the embedded model reads numbers as written")
	}
	var numbers []string
	for l := 1; l <= 16; l++ {
		numbers = append(numbers, strings.Repeat("7", l))
	}
	d := New()
	for _, pat := range []string{"%s", "hi %s", "order %s", "my zip is %s", "Room %s is ready", "call me at %s", "%s, thanks"} {
		for _, n := range numbers {
			text := fmt.Sprintf(pat, n)
			for _, f := range d.Detect(text) {
				t.Errorf("%q: %s %.2f", text, f.Category, f.Score)
			}
		}
	}
}
