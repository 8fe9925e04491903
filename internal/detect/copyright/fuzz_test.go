package copyright

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

func seedCases(f *testing.F) []string {
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.Text)
	}
	return append(out, tokenizeSeeds...)
}

// FuzzDetect screens arbitrary text against the test documents: Detect
// never panics and keeps the Finding contract, matches are at least
// ShingleWords long, Longest agrees with Matches, and Detect reports
// exactly the passages that reach the thresholds.
func FuzzDetect(f *testing.F) {
	for _, s := range seedCases(f) {
		f.Add(s)
	}
	f.Add("\xffPeople in the town\xfe said she was proud, or sad, or a little mad \xc3")
	ix := index(f)
	all := &Detector{index: ix, MaxGap: DefaultMaxGap} // every passage
	def := New(ix)
	f.Fuzz(func(t *testing.T, text string) {
		fs := all.Detect(text)
		if err := detecttest.Check(text, fs, ID, Clause, Category); err != nil {
			t.Fatal(err)
		}
		ms := all.Matches(text)
		if len(ms) != len(fs) {
			t.Fatalf("%d matches, %d findings with no thresholds", len(ms), len(fs))
		}
		var best Match
		for _, m := range ms {
			if m.Words < ShingleWords || m.End <= m.Start || m.Runs < 1 || m.Chars > utf8.RuneCountInString(text[m.Start:m.End]) {
				t.Fatalf("bad match %+v", m)
			}
			best = longer(best, m)
		}
		if l := all.Longest(text); l.Words != best.Words || l.Chars != best.Chars {
			t.Fatalf("Longest %+v, longest of Matches %+v", l, best)
		}
		fd := def.Detect(text)
		if err := detecttest.Check(text, fd, ID, Clause, Category); err != nil {
			t.Fatal(err)
		}
		// Detect reports passages (runs joined across small gaps), so it
		// agrees with the passages of Matches, not with Longest, which
		// gives single verbatim runs (a case found by FuzzDetect).
		want := false
		for _, m := range def.Matches(text) {
			want = want || def.Score(m) >= 0.5
		}
		if found := len(fd) > 0; found != want {
			t.Fatalf("Detect found %v, a passage of Matches scores >= 0.5: %v", found, want)
		}
		for _, m := range ix.Matches(text) {
			if m.Runs != 1 || m.Words < ShingleWords {
				t.Fatalf("bad run %+v", m)
			}
		}
	})
}

// FuzzBuild indexes an arbitrary document and checks that the document,
// and its ASCII upper-cased copy when it is ASCII, are found whole in
// themselves and in a longer text.
func FuzzBuild(f *testing.F) {
	for _, s := range seedCases(f) {
		f.Add(s, "Here it is: ")
	}
	f.Add(strings.Repeat("la ", 40), "la la ")
	f.Fuzz(func(t *testing.T, doc, prefix string) {
		ix := Build([]Document{{ID: "d", Text: doc}})
		n := len(hashes(doc))
		if st := ix.Stats(); st.Words != n || st.Postings > max(0, n-ShingleWords+1) {
			t.Fatalf("stats %+v for %d words", st, n)
		}
		texts := []string{doc, "\n" + doc + " ..."}
		if isASCII(doc) {
			texts = append(texts, strings.ToUpper(doc))
		}
		for _, text := range texts {
			m := ix.Longest(text)
			want := n
			if n < ShingleWords {
				want = 0
			}
			if m.Words != want {
				t.Fatalf("Longest of the document itself: %d words, want %d (%q)", m.Words, want, text)
			}
		}
		// Any prefix: the document is still found, possibly cut where
		// the prefix's own run overlaps it, and spans are valid.
		text := prefix + " " + doc
		fs := (&Detector{index: ix, MaxGap: DefaultMaxGap}).Detect(text)
		if err := detecttest.Check(text, fs, ID, Clause, Category); err != nil {
			t.Fatal(err)
		}
		if n >= ShingleWords && len(fs) == 0 {
			t.Fatalf("document of %d words not found after a prefix", n)
		}
	})
}

func isASCII(s string) bool {
	return !slices.ContainsFunc([]byte(s), func(b byte) bool { return b >= utf8.RuneSelf })
}

// FuzzTokenize checks the fast tokenizer against the reference (NFKC of
// the whole text, then rune by rune), and that every word span is a
// non-empty span on UTF-8 boundaries, in order.
func FuzzTokenize(f *testing.F) {
	for _, s := range seedCases(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hashes(s), reference(s); !slices.Equal(got, want) {
			t.Fatalf("%q: %d words %x, reference %d words %x", s, len(got), got, len(want), want)
		}
		var sc scanner
		prev := int32(0)
		for _, w := range sc.appendWords(nil, s) {
			if w.start < prev || w.end <= w.start || int(w.end) > len(s) {
				t.Fatalf("%q: bad span [%d,%d) after %d", s, w.start, w.end, prev)
			}
			if !utf8.RuneStart(s[w.start]) && utf8.ValidString(s) || int(w.end) < len(s) && !utf8.RuneStart(s[w.end]) && utf8.ValidString(s) {
				t.Fatalf("%q: span [%d,%d) off rune boundaries", s, w.start, w.end)
			}
			prev = w.start
		}
	})
}
