package redact

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/testutil/boundary"
)

// maskCase is one line of testdata/mask.jsonl: findings are
// [start, end, category] or [start, end, category, score].
type maskCase struct {
	Name     string  `json:"name"`
	Text     string  `json:"text"`
	Findings [][]any `json:"findings"`
	Want     string  `json:"want"`
}

func (c maskCase) findings(t *testing.T) []detect.Finding {
	var fs []detect.Finding
	for _, f := range c.Findings {
		if len(f) < 3 {
			t.Fatalf("%s: finding %v: want [start, end, category(, score)]", c.Name, f)
		}
		fd := detect.Finding{Start: int(f[0].(float64)), End: int(f[1].(float64)), Category: f[2].(string), Detector: "test", Score: 0.5}
		if len(f) > 3 {
			fd.Score = f[3].(float64)
		}
		fs = append(fs, fd)
	}
	return fs
}

func loadMaskCases(t testing.TB) []maskCase {
	f, err := os.Open(filepath.Join("testdata", "mask.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []maskCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var c maskCase
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("mask.jsonl:%d: %v", n, err)
		}
		out = append(out, c)
	}
	return out
}

func TestMaskCases(t *testing.T) {
	for _, c := range loadMaskCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			fs := c.findings(t)
			m := NewMasker()
			got := m.Mask(c.Text, fs)
			if got != c.Want {
				t.Errorf("Mask = %q, want %q", got, c.Want)
			}
			if back := m.Restore(got); back != c.Text {
				t.Errorf("Restore(Mask) = %q, want %q", back, c.Text)
			}
			// The result does not depend on the order of the findings.
			for k := range 5 {
				r := rand.New(rand.NewPCG(uint64(k), 1))
				sh := append([]detect.Finding(nil), fs...)
				r.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
				if got2 := NewMasker().Mask(c.Text, sh); got2 != got {
					t.Errorf("shuffled findings: Mask = %q, want %q", got2, got)
				}
			}
		})
	}
}

func TestConversation(t *testing.T) {
	m := NewMasker()
	f := func(s, e int, cat string) detect.Finding {
		return detect.Finding{Start: s, End: e, Category: cat}
	}
	a := m.Mask("I am Ann, ann@x.io", []detect.Finding{f(5, 8, "person"), f(10, 18, "email")})
	b := m.Mask("Ann again: ann@x.io, bob@y.io", []detect.Finding{f(0, 3, "person"), f(11, 19, "email"), f(21, 29, "email")})
	if a != "I am [PERSON_1], [EMAIL_1]" || b != "[PERSON_1] again: [EMAIL_1], [EMAIL_2]" {
		t.Fatalf("masked %q and %q", a, b)
	}
	answer := "Hello [PERSON_1]! I wrote to [EMAIL_2] and [EMAIL_9]."
	if got, want := m.Restore(answer), "Hello Ann! I wrote to bob@y.io and [EMAIL_9]."; got != want {
		t.Errorf("Restore = %q, want %q", got, want)
	}
	if v := m.Vault(); v.Len() != 3 || v.MaxLen() != len("[PERSON_1]") {
		t.Errorf("vault: %d placeholders, longest %d: %v", v.Len(), v.MaxLen(), v.Placeholders())
	}
}

// randomText returns a text over an alphabet that makes placeholder-like
// runs, brackets and multi-byte and invalid UTF-8 likely.
func randomText(r *rand.Rand, n int) string {
	parts := []string{"a", "b", " ", "[", "]", "_", "E", "M", "A", "I", "L", "1", "2", "é", "\xff", "[EMAIL_1]", "[PHONE_", "x@y.io"}
	var b strings.Builder
	for range n {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

// randomFindings returns up to k findings with random (possibly
// overlapping, possibly invalid) spans in a text of length n.
func randomFindings(r *rand.Rand, n, k int) []detect.Finding {
	cats := []string{"email", "phone", "person", "card"}
	var fs []detect.Finding
	for range r.IntN(k + 1) {
		s := r.IntN(n+2) - 1
		e := s + r.IntN(12)
		fs = append(fs, detect.Finding{Start: s, End: e, Category: cats[r.IntN(len(cats))], Score: r.Float64()})
	}
	return fs
}

// TestRoundTripProperty: for random texts and random findings, Restore of
// Mask gives the text back, message after message of one conversation,
// unless a later message contains, literally, a placeholder handed out
// earlier (then the text is ambiguous and the check is skipped).
func TestRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	skipped := 0
	for conv := range 300 {
		m := NewMasker()
		for msg := range 5 {
			text := randomText(r, r.IntN(40))
			ambiguous := false
			for _, p := range m.Vault().Placeholders() {
				ambiguous = ambiguous || strings.Contains(text, p)
			}
			masked := m.Mask(text, randomFindings(r, len(text), 6))
			if ambiguous {
				skipped++
				continue
			}
			if back := m.Restore(masked); back != text {
				t.Fatalf("conversation %d message %d: Restore(Mask(%q)) = %q (masked %q)", conv, msg, text, back, masked)
			}
		}
	}
	t.Logf("%d of 1500 messages skipped as ambiguous", skipped)
}

// TestStreamEveryBoundary: splitting a text into two chunks at every
// position, and into random chunks, gives what Restore gives the whole,
// and never holds back more than the longest placeholder.
func TestStreamEveryBoundary(t *testing.T) {
	m := NewMasker()
	m.Mask("Ann Lee ann@x.io +1 555 0100 4111111111111111", []detect.Finding{
		{Start: 0, End: 7, Category: "person"}, {Start: 8, End: 16, Category: "email"},
		{Start: 17, End: 28, Category: "phone"}, {Start: 29, End: 45, Category: "card"},
	})
	v := m.Vault()
	texts := []string{
		"Dear [PERSON_1], your card [CARD_1] and [EMAIL_1] ([PHONE_1]). [PERSON_2] [UNKNOWN_1] [[EMAIL_1]] [EMAIL_1",
		"[[[[[PERSON_1]]]]] [PERSON_1][PERSON_1] é[EMAIL_1]é \xff[CARD_1]\xfe [card_1] [] [_] [PERSON_10]",
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		texts = append(texts, randomText(r, r.IntN(60))+strings.Join(v.Placeholders(), randomText(r, 2)))
	}
	for _, text := range texts {
		want := Restore(v, text)
		for i := 0; i <= len(text); i++ {
			if got := stream(t, v, text[:i], text[i:]); got != want {
				t.Fatalf("split at %d of %q: %q, want %q", i, text, got, want)
			}
		}
		for range 20 {
			var chunks []string
			rest := text
			for rest != "" {
				n := min(len(rest), 1+r.IntN(6))
				chunks = append(chunks, rest[:n])
				rest = rest[n:]
			}
			if got := stream(t, v, chunks...); got != want {
				t.Fatalf("chunks %q: %q, want %q", chunks, got, want)
			}
		}
	}
}

// stream feeds chunks to a new StreamRestorer and checks the hold-back bound.
func stream(t testing.TB, v *Vault, chunks ...string) string {
	s := NewStreamRestorer(v)
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString(s.Write(c))
		if s.Pending() >= max(v.MaxLen(), 1) {
			t.Fatalf("holding back %d bytes, longest placeholder %d", s.Pending(), v.MaxLen())
		}
	}
	b.WriteString(s.Flush())
	if s.Pending() != 0 {
		t.Fatal("Flush left bytes pending")
	}
	return b.String()
}

func TestStreamHoldsBackOnlyPartials(t *testing.T) {
	m := NewMasker()
	m.Mask("x@y.io", []detect.Finding{{Start: 0, End: 6, Category: "email"}})
	s := NewStreamRestorer(m.Vault())
	for _, tc := range []struct{ in, out string }{
		{"Hello [EM", "Hello "},
		{"AIL_1] and [", "x@y.io and "},
		{"x] [EMAIL_1", "[x] "},
		{"]", "x@y.io"},
		{" [EMAIL_12345", " [EMAIL_12345"}, // longer than any placeholder
	} {
		if got := s.Write(tc.in); got != tc.out {
			t.Errorf("Write(%q) = %q, want %q", tc.in, got, tc.out)
		}
	}
	if got := s.Flush(); got != "" {
		t.Errorf("Flush = %q", got)
	}
	// An empty vault holds nothing back.
	e := NewStreamRestorer(NewVault())
	if got := e.Write("[EMAIL_"); got != "[EMAIL_" {
		t.Errorf("empty vault: Write = %q", got)
	}
}

func TestRestoreLarge(t *testing.T) {
	m := NewMasker()
	m.Mask("x@y.io", []detect.Finding{{Start: 0, End: 6, Category: "email"}})
	text := strings.Repeat("[", 10<<20) + "[EMAIL_1]" + strings.Repeat("[EMAIL_", 1<<20)
	got := m.Restore(text)
	if !strings.Contains(got, "[x@y.io[EMAIL_") || len(got) != len(text)-len("[EMAIL_1]")+len("x@y.io") {
		t.Errorf("Restore of a 17 MB text of brackets went wrong (len %d)", len(got))
	}
}

// TestPure checks that the package depends, directly or not, on neither
// net/http nor database/sql.
func TestPure(t *testing.T) { boundary.Pure(t, ".") }

func ExampleMasker() {
	m := NewMasker()
	text := "I'm Ann, write to ann@example.com"
	masked := m.Mask(text, []detect.Finding{
		{Start: 4, End: 7, Category: "person"},
		{Start: 18, End: 33, Category: "email"},
	})
	fmt.Println(masked)
	s := NewStreamRestorer(m.Vault())
	for _, chunk := range []string{"Sure [PER", "SON_1], I'll mail [EMAIL", "_1] now."} {
		fmt.Print(s.Write(chunk))
	}
	fmt.Println(s.Flush())
	// Output:
	// I'm [PERSON_1], write to [EMAIL_1]
	// Sure Ann, I'll mail ann@example.com now.
}
