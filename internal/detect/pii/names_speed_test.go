package pii

import (
	"reflect"
	"strings"
	"testing"

	"github.com/brianvoe/gofakeit/v7/data"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// realTexts are the messages of internal/detect/builtin's "real" speed
// corpus, or nil when ../shared/data is absent.
func realTexts(tb testing.TB) []string {
	var out []string
	for _, src := range detecttest.RealMessages(tb) {
		out = append(out, src.Msgs...)
	}
	return out
}

// BenchmarkNamesReal runs the word-based detectors on the real messages.
func BenchmarkNamesReal(b *testing.B) {
	texts := realTexts(b)
	if texts == nil {
		b.Skip("no shared data")
	}
	size := 0
	for _, s := range texts {
		size += len(s)
	}
	for _, d := range []detect.Detector{NewPerson(), NewAddress()} {
		b.Run(d.ID(), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, s := range texts {
					d.Detect(s)
				}
			}
		})
	}
}

// TestNamesRealSkips compares the fast paths of the word-based detectors
// with their references on the real messages.
func TestNamesRealSkips(t *testing.T) {
	texts := realTexts(t)
	if texts == nil {
		t.Skip("no shared data")
	}
	for _, d := range []skipper{NewPerson(), NewAddress(), &Person{}, &Address{}} {
		for _, s := range texts {
			if fast, slow := d.detect(s, true), d.detect(s, false); !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%T on %q: fast path %v, reference %v", d, s, fast, slow)
			}
		}
	}
}

// TestMayBeName checks the filter in front of the gazetteer: every first
// name and surname, in any case and possessive, may be one.
func TestMayBeName(t *testing.T) {
	g := gazetteer()
	names := 0
	for _, list := range [][]string{data.Person["first"], data.Person["middle"], data.Person["last"]} {
		for _, w := range list {
			for _, v := range []string{w, strings.ToUpper(w), strings.ToLower(w), w + "'s", w + "'S"} {
				if lookup(g, v)&(fFirst|fLast) != 0 {
					names++
					if !mayBeName(v) {
						t.Fatalf("mayBeName(%q) = false, but lookup has flags %b", v, lookup(g, v))
					}
					checkMayBeNameShort(t, v)
				}
			}
		}
	}
	if names < 5000 {
		t.Fatalf("only %d name forms checked", names)
	}
	// The filter turns most other words away.
	passed, words := 0, 0
	for _, list := range data.Word {
		for _, w := range list {
			if lookup(g, w)&(fFirst|fLast) == 0 {
				words++
				if mayBeName(w) {
					passed++
				}
				checkMayBeNameShort(t, w)
			}
		}
	}
	if passed*10 > words {
		t.Errorf("mayBeName passes %d of %d words that are no names", passed, words)
	}
}

// checkMayBeNameShort checks that mayBeNameShort, on the packed word,
// agrees with mayBeName.
func checkMayBeNameShort(t *testing.T, w string) {
	t.Helper()
	if x, ok := packShort(w); ok {
		if got, want := mayBeNameShort(x, len(w)), mayBeName(w); got != want {
			t.Fatalf("mayBeNameShort(%q) = %v, mayBeName %v", w, got, want)
		}
	}
}
