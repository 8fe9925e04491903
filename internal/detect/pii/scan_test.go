package pii

import (
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// The byte-at-a-time definitions the SWAR scans must agree with.
func refIndexDigit(s string, i int) int {
	for ; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return i
		}
	}
	return len(s)
}

func refIndexUpperOrHigh(s string, i int) int {
	for ; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' || s[i] >= 0x80 {
			return i
		}
	}
	return len(s)
}

func refIndexAnyDigit(s string, i int) int {
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if '0' <= s[i] && s[i] <= '9' || s[i] >= utf8.RuneSelf && unicode.IsDigit(r) {
			return i
		}
		if s[i] < utf8.RuneSelf {
			w = 1
		}
		i += w
	}
	return len(s)
}

func checkScans(t *testing.T, s string) {
	t.Helper()
	for i := 0; i <= len(s); i++ {
		if got, want := indexDigit(s, i), refIndexDigit(s, i); got != want {
			t.Fatalf("indexDigit(%q, %d) = %d, want %d", s, i, got, want)
		}
		if got, want := indexUpperOrHigh(s, i), refIndexUpperOrHigh(s, i); got != want {
			t.Fatalf("indexUpperOrHigh(%q, %d) = %d, want %d", s, i, got, want)
		}
	}
	if got, want := indexAnyDigit(s, 0), refIndexAnyDigit(s, 0); got != want {
		t.Fatalf("indexAnyDigit(%q, 0) = %d, want %d", s, got, want)
	}
}

// TestScans puts every byte value at every position of a word read eight
// bytes at a time, and then some.
func TestScans(t *testing.T) {
	for c := range 256 {
		for pos := range 17 {
			b := []byte(strings.Repeat("a", 17))
			b[pos] = byte(c)
			checkScans(t, string(b))
		}
	}
	for _, s := range []string{"", "x", "abc\u0663", "\u0663", "zz\xff9", "\u00e9\u00e9\u00e9\u00e9\u00e9\u0661"} {
		checkScans(t, s)
	}
}

func FuzzScans(f *testing.F) {
	f.Add("Hello World 42")
	f.Add("\xff\u0663abcdefghijK")
	f.Fuzz(checkScans)
}

// skipper is a detector with a reference path that visits every byte.
type skipper interface {
	detect(text string, skip bool) []detect.Finding
}

// checkSkips fails t unless every detector finds the same with and without
// its fast skips.
func checkSkips(t *testing.T, text string) {
	t.Helper()
	def, all := detectors()
	for _, ds := range []map[string]detect.Detector{def, all} {
		for cat, d := range ds {
			s, ok := d.(skipper)
			if !ok {
				continue
			}
			fast, slow := s.detect(text, true), s.detect(text, false)
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%s on %q: fast path %v, every byte %v", cat, text, fast, slow)
			}
		}
	}
}

// TestSkipsKeepFindings compares the fast path of every detector with its
// byte-by-byte reference on the case files, the benchmark texts and
// mutations of them (FuzzDetect does the same on what it generates).
func TestSkipsKeepFindings(t *testing.T) {
	var texts []string
	for _, cat := range Categories {
		for _, c := range detecttest.MustLoadCases(t, filepath.Join("testdata", cat+".jsonl")) {
			texts = append(texts, c.Text)
		}
	}
	texts = append(texts, benchText(4<<10))
	for _, gen := range adversarial {
		texts = append(texts, gen(2000))
	}
	pieces := []string{" ", "\n", "1", "9", "-", ".", "/", "+", "(", "A", "St", "Box ", "\u00e9", "\u0663", "\xff", "'", "\u2019", "Mr. ", "born ", "May "}
	rng := rand.New(rand.NewPCG(5, 6))
	base := len(texts)
	for range 3000 {
		b := []byte(texts[rng.IntN(base)])
		if len(b) > 400 {
			o := rng.IntN(len(b) - 400)
			b = b[o : o+400]
		}
		for range 1 + rng.IntN(6) {
			p := rng.IntN(len(b) + 1)
			b = append(b[:p:p], append([]byte(pieces[rng.IntN(len(pieces))]), b[p:]...)...)
		}
		texts = append(texts, string(b))
	}
	for _, s := range texts {
		checkSkips(t, s)
	}
}
