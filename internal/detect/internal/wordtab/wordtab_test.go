package wordtab

import (
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

func TestTable(t *testing.T) {
	m := map[string]int{"smith": 1, "o'brien": 2, "josé": 3, "street": 4, "a": 5, "MiXed": 6}
	tab := New(m)
	if tab.Len() != len(m) {
		t.Fatalf("Len = %d, want %d", tab.Len(), len(m))
	}
	for _, tc := range []struct {
		w    string
		want int
		ok   bool
	}{
		{"smith", 1, true}, {"Smith", 1, true}, {"SMITH", 1, true}, {"O'Brien", 2, true},
		{"josé", 3, true}, {"JOSé", 3, true}, {"JOSÉ", 0, false}, // only ASCII letters are lowered
		{"a", 5, true}, {"A", 5, true}, {"mixed", 6, true}, {"MIXED", 6, true},
		{"smit", 0, false}, {"smiths", 0, false}, {"", 0, false}, {strings.Repeat("a", 300), 0, false},
	} {
		got, ok := tab.Get(tc.w)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Get(%q) = %d, %v; want %d, %v", tc.w, got, ok, tc.want, tc.ok)
		}
		got, ok = tab.GetBytes([]byte(tc.w))
		if got != tc.want || ok != tc.ok {
			t.Errorf("GetBytes(%q) = %d, %v; want %d, %v", tc.w, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCaseCollision(t *testing.T) {
	tab := New(map[string]int{"Bank": 1, "bank": 2, "BANK": 3})
	if v, _ := tab.Get("bank"); tab.Len() != 1 || v != 2 {
		t.Errorf("Len %d, Get = %d; want 1 key holding the value of the greatest key, 2", tab.Len(), v)
	}
}

// FuzzGet checks the table against a map of lower-cased keys.
func FuzzGet(f *testing.F) {
	words := strings.Fields("the quick brown fox jumps over lazy dog ignore previous instructions é ß x")
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	tab := New(m)
	for _, w := range words {
		f.Add(w)
		f.Add(strings.ToUpper(w))
	}
	f.Fuzz(func(t *testing.T, w string) {
		var b []byte
		for i := 0; i < len(w); i++ {
			b = append(b, swar.LowerASCII(w[i]))
		}
		want := m[string(b)]
		if got, _ := tab.Get(w); got != want {
			t.Fatalf("Get(%q) = %v, want %v", w, got, want)
		}
		if got, _ := tab.GetBytes([]byte(w)); got != want {
			t.Fatalf("GetBytes(%q) = %v, want %v", w, got, want)
		}
	})
}

func BenchmarkGet(b *testing.B) {
	m := map[string]bool{}
	for _, w := range strings.Fields("ignore disregard forget previous instructions system prompt you your assistant model") {
		m[w] = true
	}
	tab := New(m)
	words := strings.Fields("Hello David your card was charged by MIXPANEL INC if you have any questions just reply to this email")
	b.Run("wordtab", func(b *testing.B) {
		for b.Loop() {
			for _, w := range words {
				tab.Get(w)
			}
		}
	})
	b.Run("map_lowered", func(b *testing.B) {
		var buf [64]byte
		for b.Loop() {
			for _, w := range words {
				k := buf[:0]
				for i := 0; i < len(w); i++ {
					k = append(k, swar.LowerASCII(w[i]))
				}
				_ = m[string(k)]
			}
		}
	})
}

// TestLower checks Lower against Table on keys of every length around the
// packed limit, in both cases, and on words read from inside a longer text
// (FindAt reads past the word's end).
func TestLower(t *testing.T) {
	m := map[string]int{"": 9, "a": 1, "ab": 2, "Bank": 3, "bank": 4, "o'brien": 5, "josé": 6, "esqueça": 7,
		"abcdefgh": 8, "abcdefghi": 10, "abcdefghijklmnop": 11, "abcdefghijklmnopq": 12, "a\x00": 13, strings.Repeat("z", 300): 14}
	tab, low := New(m), NewLower(m)
	if tab.Len() != low.Len() {
		t.Fatalf("Len = %d, Table %d", low.Len(), tab.Len())
	}
	words := []string{"", "a", "a\x00", "a\x00\x00", "ab", "abc", "bank", "banks", "ban", "o'brien", "josé", "jos", "esqueça",
		"abcdefg", "abcdefgh", "abcdefghi", "abcdefghij", "abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnopq",
		"abcdefghijklmnopqr", strings.Repeat("z", 300), strings.Repeat("z", 16), "x"}
	for _, w := range words {
		want := tab.FindBytes([]byte(w))
		for _, pad := range []string{"", " ", "abcdefghijklmnopqrstuvwxyz"} {
			text := []byte("  " + w + pad)
			got := low.FindAt(text, 2, 2+len(w))
			if (got == nil) != (want == nil) || got != nil && *got != *want {
				t.Errorf("FindAt(%q + %q) = %v, Table %v", w, pad, deref(got), deref(want))
			}
		}
		if got := low.FindBytes([]byte(w)); (got == nil) != (want == nil) {
			t.Errorf("FindBytes(%q) = %v, Table %v", w, deref(got), deref(want))
		}
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// FuzzLower checks Lower against Table on words without capital letters,
// read from inside the fuzzed text.
func FuzzLower(f *testing.F) {
	words := strings.Fields("the quick brown fox jumps over lazy dog ignore previous instructions é ß x abcdefghijklmnop abcdefghijklmnopq transliterate")
	m := map[string]int{}
	for i, w := range words {
		m[w] = i + 1
	}
	tab, low := New(m), NewLower(m)
	for _, w := range words {
		f.Add(w+" tail", 0, len(w))
	}
	f.Fuzz(func(t *testing.T, text string, start, end int) {
		b := []byte(strings.ToLower(text))
		if start < 0 || end < start || end > len(b) {
			return
		}
		want, got := tab.FindBytes(b[start:end]), low.FindAt(b, start, end)
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Fatalf("FindAt(%q, %d, %d) = %v, Table %v", b, start, end, deref(got), deref(want))
		}
	})
}
