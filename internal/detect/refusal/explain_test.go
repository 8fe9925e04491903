package refusal

import (
	"cmp"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"testing"
)

// TestExplain lists the features of REFUSAL_EXPLAIN (a response) with
// their weights, largest effect on the refusal score first.
func TestExplain(t *testing.T) {
	text := os.Getenv("REFUSAL_EXPLAIN")
	if text == "" {
		t.Skip("set REFUSAL_EXPLAIN to a response")
	}
	var mf modelFile
	if err := json.Unmarshal(modelJSON, &mf); err != nil {
		t.Fatal(err)
	}
	var a analysis
	lx, _ := standard()
	a.analyse(lx, os.Getenv("REFUSAL_EXPLAIN_PROMPT"), text)
	s := &nameSink{m: map[string]float64{}}
	a.features(lx, s)
	// effect on refusal: the log-odds of refusal against compliance moves
	// by about w[1] or w[2] minus w[0]
	effect := func(n string) float64 {
		w := mf.Weights[n]
		return s.m[n] * (max(w[1], w[2]) - w[0])
	}
	names := slices.SortedFunc(maps.Keys(s.m), func(a, b string) int { return cmp.Compare(abs(effect(b)), abs(effect(a))) })
	for _, n := range names {
		if w, ok := mf.Weights[n]; ok {
			t.Logf("%-28s x=%.2f w=%v effect %+.3f", n, s.m[n], w, effect(n))
		}
	}
	r := ClassifyPair(os.Getenv("REFUSAL_EXPLAIN_PROMPT"), text)
	t.Logf("%s score %.3f partial %.3f %v", r.Label, r.Score, r.Partial, r.Evidence)
}

func abs(x float64) float64 { return max(x, -x) }
