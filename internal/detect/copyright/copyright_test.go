package copyright

import (
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// The protected documents of the tests, all written for this package except
// the Gettysburg Address (public domain).
const (
	lighthouse = "prose/lighthouse.txt"
	anthology  = "anthology/keepers.txt"
	orchard    = "essays/orchard.md"
	song       = "lyrics/harbour-lights.md"
)

var testIndex = sync.OnceValues(func() (*Index, error) {
	docs, err := LoadDir(os.DirFS("testdata/docs"))
	if err != nil {
		return nil, err
	}
	return Build(docs), nil
})

func index(t testing.TB) *Index {
	t.Helper()
	ix, err := testIndex()
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func docText(t testing.TB, id string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/docs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// paragraph returns the i-th blank-line separated paragraph of document id.
func paragraph(t testing.TB, id string, i int) string {
	t.Helper()
	return strings.TrimSpace(strings.Split(docText(t, id), "\n\n")[i])
}

func loadCases(t testing.TB) []detecttest.Case {
	t.Helper()
	cs, err := detecttest.LoadCases("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// docIDs returns the document id that starts each finding's evidence, sorted.
func docIDs(fs []detect.Finding) []string {
	out := []string{}
	for _, f := range fs {
		id, _, _ := strings.Cut(f.Evidence, " ")
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func TestCases(t *testing.T) {
	ix := index(t)
	d := New(ix)
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			fs := d.Detect(c.Text)
			if err := detecttest.Check(c.Text, fs, ID, Clause, Category); err != nil {
				t.Error(err)
			}
			want := slices.Clone(c.Want)
			slices.Sort(want)
			if want == nil {
				want = []string{}
			}
			if got := docIDs(fs); !slices.Equal(got, want) {
				t.Errorf("cases.jsonl:%d: documents %q, want %q", c.Line, got, want)
			}
			for _, f := range fs {
				if f.Score < 0.5 {
					t.Errorf("finding %q scores %v, below 0.5", f.Evidence, f.Score)
				}
			}
			if t.Failed() {
				for _, m := range ix.Matches(c.Text) {
					t.Logf("  match %s %d words %d chars %q", m.DocID, m.Words, m.Chars, c.Text[m.Start:m.End])
				}
			}
		})
	}
}

// TestSpan checks that a copy's span is exactly the copied words in the
// original text, from the first letter of the first word to the last letter
// of the last, and that the document position is right.
func TestSpan(t *testing.T) {
	ix := index(t)
	p1 := paragraph(t, lighthouse, 1)
	text := "Intro: «" + p1 + "» — end."
	ms := ix.Matches(text)
	if len(ms) != 1 {
		t.Fatalf("%d matches, want 1", len(ms))
	}
	m := ms[0]
	if got, want := text[m.Start:m.End], strings.TrimSuffix(p1, "."); got != want {
		t.Errorf("span %q, want %q", got, want)
	}
	if m.DocID != lighthouse || m.Title != "The Keeper of Gannet Rock" {
		t.Errorf("document %q %q", m.DocID, m.Title)
	}
	if m.DocWord != 5 { // after the five words of the title
		t.Errorf("DocWord %d, want 5", m.DocWord)
	}
	if want := len(strings.Fields(p1)) + 1; m.Words != want { // "thirty-one" is two words
		t.Errorf("Words %d, want %d", m.Words, want)
	}
	if m.Chars != len([]rune(text[m.Start:m.End])) {
		t.Errorf("Chars %d, want %d", m.Chars, len([]rune(text[m.Start:m.End])))
	}
}

// TestOverlapTwoDocuments checks that a passage held by two documents is
// reported once for each, with overlapping spans and the right document
// positions.
func TestOverlapTwoDocuments(t *testing.T) {
	ix := index(t)
	p2 := paragraph(t, lighthouse, 2)
	text := "First the end of the opening paragraph: and the sea allowed it less often than the harbour master in Kellby liked to pretend. " + p2
	fs := New(ix).Detect(text)
	if got := docIDs(fs); !slices.Equal(got, []string{anthology, lighthouse}) {
		t.Fatalf("documents %q", got)
	}
	ms := ix.Matches(text)
	byDoc := map[string]Match{}
	for _, m := range ms {
		byDoc[m.DocID] = m
	}
	a, l := byDoc[anthology], byDoc[lighthouse]
	// The lighthouse run starts earlier: it holds the end of paragraph 1.
	if !(l.Start < a.Start && a.Start < l.End && a.End == l.End) {
		t.Errorf("spans anthology [%d,%d) lighthouse [%d,%d)", a.Start, a.End, l.Start, l.End)
	}
	if got := text[a.Start:a.End]; got != strings.TrimSuffix(p2, ".") {
		t.Errorf("anthology span %q", got)
	}
	if anth := strings.Fields(docText(t, anthology)); anth[a.DocWord] != "People" {
		t.Errorf("anthology DocWord %d is %q", a.DocWord, anth[a.DocWord])
	}
}

// TestLongestUnderThreshold checks that Longest reports short shared runs
// that Detect does not.
func TestLongestUnderThreshold(t *testing.T) {
	ix := index(t)
	d := New(ix)
	for _, tc := range []struct {
		text, doc, run string
	}{
		{"Honestly, at the end of the day there is no right way to do this.", orchard, "at the end of the day there is no right way to"},
		{"It goes:\nSo leave the harbour lights on for me\nLeave them burning out across the sea\nIf I lose my way in the long cold night\nI'll be steering home by the harbour lights",
			song, "So leave the harbour lights on for me\nLeave them burning out across the sea\nIf I lose my way in the long cold night\nI'll be steering home by the harbour lights"},
	} {
		if fs := d.Detect(tc.text); len(fs) != 0 {
			t.Errorf("%q: %d findings, want none", tc.text, len(fs))
		}
		m := d.Longest(tc.text)
		if m.DocID != tc.doc || tc.text[m.Start:m.End] != tc.run {
			t.Errorf("%q: longest %s %q, want %s %q", tc.text, m.DocID, tc.text[m.Start:m.End], tc.doc, tc.run)
		}
		if s := d.Score(m); !(s > 0 && s < 0.5) {
			t.Errorf("%q: score %v, want in (0, 0.5)", tc.text, s)
		}
		if sc := d.Scores(tc.text)[Category]; sc != d.Score(m) {
			t.Errorf("Scores %v, want %v", sc, d.Score(m))
		}
	}
	if m := d.Longest("nothing shared here at all, not one run of eight words from any document"); m != (Match{}) {
		t.Errorf("longest %+v, want zero", m)
	}
	if sc := d.Scores("short")[Category]; sc != 0 {
		t.Errorf("Scores of unrelated text %v, want 0", sc)
	}
}

// TestThresholds checks MinWords, MinChars and the score curve on a
// document of numbered words.
func TestThresholds(t *testing.T) {
	var w []string
	for i := range 400 {
		w = append(w, "w"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	ix := Build([]Document{{ID: "numbered", Text: strings.Join(w, " ")}})
	words := func(n int) string { return "start. " + strings.Join(w[100:100+n], " ") + " .end" }

	d := &Detector{index: ix, MinWords: 50}
	for _, tc := range []struct {
		n     int
		found bool
		score float64
	}{
		{49, false, 0}, {50, true, 0.5}, {100, true, 0.81}, {150, true, 0.95}, {250, true, 0.99},
	} {
		fs := d.Detect(words(tc.n))
		if (len(fs) == 1) != tc.found {
			t.Errorf("%d words: %d findings", tc.n, len(fs))
			continue
		}
		if tc.found && math.Abs(fs[0].Score-tc.score) > 0.01 {
			t.Errorf("%d words: score %v, want %v", tc.n, fs[0].Score, tc.score)
		}
	}

	// Characters: 40 words of 4 or 5 letters plus spaces are about 180
	// characters.
	d = &Detector{index: ix, MinWords: 50, MinChars: 150}
	if fs := d.Detect(words(40)); len(fs) != 1 || fs[0].Score <= 0.5 {
		t.Errorf("40 words over MinChars 150: %+v", fs)
	}
	d = &Detector{index: ix, MinChars: 1000}
	if fs := d.Detect(words(100)); len(fs) != 0 {
		t.Errorf("100 words under MinChars 1000: %+v", fs)
	}

	// No thresholds: every run of ShingleWords words, scored against the
	// defaults.
	d = &Detector{index: ix}
	for _, n := range []int{ShingleWords - 1, ShingleWords, 20} {
		fs := d.Detect(words(n))
		if want := n >= ShingleWords; (len(fs) == 1) != want {
			t.Errorf("no thresholds, %d words: %d findings", n, len(fs))
		} else if want && fs[0].Score >= 0.5 {
			t.Errorf("no thresholds, %d words: score %v, want below 0.5", n, fs[0].Score)
		}
	}

	// Scores grow with length (to three decimals, until they reach 0.99).
	d = New(ix)
	prev := 0.0
	for n := ShingleWords; prev < 0.99; n += 5 {
		s := d.Score(d.Longest(words(n)))
		if s <= prev {
			t.Errorf("score %v at %d words not above %v", s, n, prev)
		}
		prev = s
	}
}

func TestEvidence(t *testing.T) {
	for _, tc := range []struct {
		m    Match
		want string
	}{
		{Match{DocID: "a.txt", Words: 60, Chars: 300}, "a.txt (60 words, 300 chars)"},
		{Match{DocID: "a.txt", Title: "a.txt", Words: 60, Chars: 300}, "a.txt (60 words, 300 chars)"},
		{Match{DocID: "a.txt", Title: "The Raven", Words: 60, Chars: 300}, `a.txt "The Raven" (60 words, 300 chars)`},
		{Match{DocID: "b", Title: strings.Repeat("é", 40), Words: 9, Chars: 40}, `b "` + strings.Repeat("é", 30) + `…" (9 words, 40 chars)`},
		{Match{DocID: "c", Words: 70, Chars: 350, Runs: 3}, "c (70 words, 350 chars, 3 runs)"},
	} {
		if got := evidence(tc.m); got != tc.want {
			t.Errorf("evidence %q, want %q", got, tc.want)
		}
	}
}

// TestInvalidUTF8 checks the Finding contract and that invalid bytes do
// not hide a copy: they are dropped, between words and inside them.
func TestInvalidUTF8(t *testing.T) {
	ix := index(t)
	d := New(ix)
	p1 := paragraph(t, lighthouse, 1)
	for _, text := range []string{
		strings.ReplaceAll(p1, " the ", " \xff the "),
		strings.ReplaceAll(p1, "e", "e\xfe"),
		"\xe2\x80" + p1 + "\xc3",
		string([]byte{0xf0, 0x9f, 0x98}) + strings.ReplaceAll(p1, " ", "\xed\xa0\x80 "),
	} {
		fs := d.Detect(text)
		if err := detecttest.Check(text, fs, ID, Clause, Category); err != nil {
			t.Errorf("%.60q: %v", text, err)
		}
		if got := docIDs(fs); !slices.Equal(got, []string{lighthouse}) {
			t.Errorf("%.60q: documents %q", text, got)
		}
	}
	for _, text := range []string{"\xff\xfe\xfd", "\xe2\x80", "a\xffb", strings.Repeat("\xff ", 100)} {
		if err := detecttest.Check(text, d.Detect(text), ID, Clause, Category); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}

func TestEmptyIndex(t *testing.T) {
	text := docText(t, lighthouse)
	for _, ix := range []*Index{nil, Build(nil), Build([]Document{{ID: "short", Text: "too short to match"}})} {
		d := New(ix)
		if fs := d.Detect(text); len(fs) != 0 {
			t.Errorf("%d findings from an empty index", len(fs))
		}
		if m := d.Longest(text); m.Words != 0 {
			t.Errorf("longest %+v from an empty index", m)
		}
		_ = ix.Stats()
	}
	if st := Build(nil).Stats(); st.Documents != 0 || st.Words != 0 || st.Postings != 0 {
		t.Errorf("stats of an empty index %+v", st)
	}
}

func TestStats(t *testing.T) {
	ix := index(t)
	st := ix.Stats()
	if st.Documents != 6 {
		t.Errorf("%d documents, want 6", st.Documents)
	}
	// every document of n >= ShingleWords words has n-ShingleWords+1 shingles
	if want := st.Words - st.Documents*(ShingleWords-1); st.Postings != want {
		t.Errorf("%d postings, want %d", st.Postings, want)
	}
	if st.Bytes <= 0 || st.Bytes > 40*st.Words+1024 {
		t.Errorf("%d bytes for %d words", st.Bytes, st.Words)
	}
}

// TestRepetitive checks that highly repetitive documents and texts are
// handled in linear time with a single finding, and that MaxPostings
// bounds the postings of a repeated shingle.
func TestRepetitive(t *testing.T) {
	la := strings.Repeat("la ", 50_000)
	cycle := strings.Repeat("one two three four five six seven eight nine ", 5_000)
	ix := Build([]Document{{ID: "la", Text: la}, {ID: "cycle", Text: cycle}, {ID: "la2", Text: la}})
	if st := ix.Stats(); st.Postings > (1+9)*MaxPostings { // one key in la and la2, nine in cycle
		t.Errorf("%d postings, want at most %d", st.Postings, (1+9)*MaxPostings)
	}
	for _, tc := range []struct {
		text string
		want []string
	}{
		// la2's shingle is the 17th and later place of "la la … la": dropped.
		{la, []string{"la"}},
		{cycle, []string{"cycle"}},
		{strings.Repeat("la la la la la la la la tra ", 10_000), []string{}},
		{la + cycle + la, []string{"cycle", "la", "la"}},
	} {
		fs := New(ix).Detect(tc.text)
		if got := docIDs(fs); !slices.Equal(got, tc.want) {
			t.Errorf("%.30q…: documents %q, want %q", tc.text, got, tc.want)
		}
	}
	if m := ix.Longest(cycle); m.Words != 45_000 {
		t.Errorf("longest run of the cycle: %d words, want 45000", m.Words)
	}
}

// TestDocumentBoundaries checks that a run never continues from the end
// of one document into the start of the next.
func TestDocumentBoundaries(t *testing.T) {
	a := "alpha bravo charlie delta echo foxtrot golf hotel india juliet"
	b := "kilo lima mike november oscar papa quebec romeo sierra tango"
	ix := Build([]Document{{ID: "a", Text: a}, {ID: "b", Text: b}})
	ms := ix.Matches(a + " " + b)
	if len(ms) != 2 || ms[0].DocID != "a" || ms[0].Words != 10 || ms[1].DocID != "b" || ms[1].Words != 10 {
		t.Errorf("matches %+v, want a and b, 10 words each", ms)
	}
}

func TestConcurrent(t *testing.T) {
	d := New(index(t))
	cs := loadCases(t)
	want := make([][]string, len(cs))
	for i, c := range cs {
		want[i] = docIDs(d.Detect(c.Text))
	}
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for i, c := range cs {
				ok = ok && slices.Equal(docIDs(d.Detect(c.Text)), want[i])
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("concurrent Detect disagreed with sequential Detect")
		}
	}
}

func TestRegistry(t *testing.T) {
	r, err := detect.NewRegistry(New(index(t)))
	if err != nil {
		t.Fatal(err)
	}
	fs := r.Run(paragraph(t, lighthouse, 4))
	if len(fs) != 1 || fs[0].Detector != ID {
		t.Errorf("registry findings %+v", fs)
	}
}

// TestJoin checks that runs of one document a few words apart are joined
// into one passage, and only then.
func TestJoin(t *testing.T) {
	ix := index(t)
	words := strings.Fields(paragraph(t, lighthouse, 1))
	changed := func(every, gap int) string {
		var out []string
		for i := 0; i < len(words); i++ {
			if i > 0 && i%every == 0 {
				for range gap {
					out = append(out, "CHANGED")
				}
				i += gap - 1
				continue
			}
			out = append(out, words[i])
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		text   string
		maxGap int
		runs   int // of the longest passage
	}{
		{changed(15, 1), DefaultMaxGap, 6},
		{changed(15, 1), 0, 1},
		{changed(15, 3), 3, 6},
		{changed(15, 4), 3, 1},
	} {
		d := New(ix)
		d.MaxGap = tc.maxGap
		m := d.Longest(tc.text)
		if m.Runs != tc.runs || m.DocID != lighthouse {
			t.Errorf("MaxGap %d: longest %+v, want %d runs of %s", tc.maxGap, m, tc.runs, lighthouse)
		}
		if found := len(d.Detect(tc.text)) > 0; found != (d.Score(m) >= 0.5) {
			t.Errorf("MaxGap %d: Detect found %v, Score(Longest) %v", tc.maxGap, found, d.Score(m))
		}
	}
	// A gap in the document only: the text leaves out three words.
	text := strings.Replace(paragraph(t, lighthouse, 1), "tired face back at her", "tired face", 1)
	if m := New(ix).Longest(text); m.Runs != 2 || m.Words != len(strings.Fields(text))+1 {
		t.Errorf("text skipping words: %+v", m)
	}
	// Runs out of document order are not joined.
	p1 := strings.Fields(paragraph(t, lighthouse, 1))
	swapped := strings.Join(append(slices.Clone(p1[40:]), p1[:40]...), " ")
	if m := New(ix).Longest(swapped); m.Runs != 1 {
		t.Errorf("swapped halves joined: %+v", m)
	}
}

// TestLargeInput screens 10 MB texts of the worst shapes for the word
// buffer (one-letter words) and for the index (a protected document
// repeated), checking that they complete with the expected findings.
func TestLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("10 MB inputs")
	}
	ix := index(t)
	d := New(ix)
	if fs := d.Detect(strings.Repeat("a ", 5<<20)); len(fs) != 0 {
		t.Errorf("%d findings in 10 MB of 'a a a'", len(fs))
	}
	p := paragraph(t, lighthouse, 1) + "\n"
	text := strings.Repeat(p, 10<<20/len(p))
	fs := d.Detect(text)
	// Each copy is one run: the paragraph's last word and the next copy's
	// first are not adjacent in the document.
	if want := 10 << 20 / len(p); len(fs) != want {
		t.Errorf("%d findings, want %d", len(fs), want)
	}
	if err := detecttest.Check(text, fs, ID, Clause, Category); err != nil {
		t.Error(err)
	}
}
