package feedback

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/specs"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

const small = `---
name: tiny
version: v1
---
## Be kind {#be_kind authority=user kind=default}

Say please.
`

func TestNewVersion(t *testing.T) {
	v, err := NewVersion("tiny.md", []byte(small), "", "first", "author", t0)
	if err != nil || v.ID != "v1" || v.Name != "tiny" || v.Notes != "first" {
		t.Fatalf("NewVersion = %+v, %v", v, err)
	}
	if s, _ := v.Parse(); s.Section("be_kind") == nil {
		t.Error("parsed version lacks its clause")
	}
	def, err := NewVersion("default.md", specs.Default, "", "", "author", t0)
	if err != nil || def.ID != "2026-11-27" {
		t.Fatalf("the built-in spec does not publish: %v", err)
	}
	for name, tc := range map[string]struct{ src, id, want string }{
		"lint error": {"---\nversion: v2\n---\n## A {#a authority=boss}\n\ntext\n", "", "tiny.md:4"},
		"no version": {"## A {#a authority=user}\n\ntext\n", "", "no version"},
		"bad id":     {small, "v 1/..", "version id"},
		"no clauses": {"---\nversion: v3\n---\n# Title\n\ntext\n", "", "no clauses"},
		"extends":    {"---\nversion: v4\nextends: default\n---\n## A {#a authority=user}\n\nx\n", "", "extends"},
	} {
		_, err := NewVersion("tiny.md", []byte(tc.src), tc.id, "", "a", t0)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalid mentioning %q", name, err, tc.want)
		}
	}
}

func TestPeriod(t *testing.T) {
	s, _ := spec.Parse("tiny.md", []byte(small))
	p := Period{ID: "p1", Version: "v1", Title: "First round", Start: t0, End: t0.Add(24 * time.Hour), Clauses: []string{"be_kind"}}
	if err := p.Validate(s); err != nil {
		t.Fatal(err)
	}
	if !p.OpenAt(t0) || p.OpenAt(t0.Add(-time.Second)) || p.OpenAt(t0.Add(24*time.Hour)) {
		t.Error("OpenAt: want [start, end)")
	}
	if !p.InScope("be_kind") || p.InScope("other") || !(Period{}).InScope("any") {
		t.Error("InScope")
	}
	bad := p
	bad.Clauses = []string{"nope"}
	if err := bad.Validate(s); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown clause: %v", err)
	}
	bad = p
	bad.End = p.Start
	if err := bad.Validate(s); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty period: %v", err)
	}
}

func item() Item {
	return Item{ID: "i1", Version: "v1", Kind: OnClause, Clause: "be_kind", Participant: "p", Group: Public, Stance: Support, Status: Published, CreatedAt: t0}
}

func TestItemValidate(t *testing.T) {
	if err := item().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Item){
		"group":       func(i *Item) { i.Group = "aliens" },
		"stance":      func(i *Item) { i.Stance = "maybe" },
		"empty":       func(i *Item) { i.Stance = "" },
		"no clause":   func(i *Item) { i.Clause = "" },
		"long":        func(i *Item) { i.Comment = strings.Repeat("x", MaxText+1) },
		"bad utf8":    func(i *Item) { i.Comment = "\xff" },
		"kind":        func(i *Item) { i.Kind = "rant" },
		"proposal":    func(i *Item) { i.Kind = NewClause; i.ProposedKind = spec.Rule },
		"status":      func(i *Item) { i.Status = "lost" },
		"understood":  func(i *Item) { i.Understood = "sort of" },
		"prop kind":   func(i *Item) { i.Kind, i.ProposedKind, i.ProposedTitle, i.ProposedText = NewClause, "law", "T", "x" },
		"participant": func(i *Item) { i.Participant = "" },
	} {
		it := item()
		mod(&it)
		if err := it.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	p := item()
	p.Kind, p.Clause, p.Stance, p.ProposedKind, p.ProposedTitle, p.ProposedText = NewClause, "", "", spec.Default, "Cite sources", "Say where facts come from."
	if err := p.Validate(); err != nil {
		t.Errorf("proposal: %v", err)
	}
}

func screener(t testing.TB) *Screener {
	reg, err := builtin.Registry(builtin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return NewScreener(reg)
}

func TestScreen(t *testing.T) {
	s := screener(t)
	comment := "Write to me at jane.doe@example.org or call +1 415 555 0132 about this clause."
	edit := "Contact jane.doe@example.org first."
	r := s.Screen(&comment, &edit)
	if strings.Contains(comment, "jane.doe") || strings.Contains(edit, "jane.doe") || strings.Contains(comment, "555 0132") {
		t.Errorf("personal data left: %q / %q", comment, edit)
	}
	if !strings.Contains(comment, "[EMAIL_1]") || !strings.Contains(edit, "[EMAIL_1]") {
		t.Errorf("the same address should get the same placeholder in both fields: %q / %q", comment, edit)
	}
	if !slices.Contains(r.Masked, "email") || !slices.Contains(r.Masked, "phone") || r.Status() != Published {
		t.Errorf("result %+v", r)
	}

	hate := "I hate black people, they are animals."
	if r := s.Screen(&hate); r.Status() != Held || !slices.Contains(r.Flags, "hate") {
		t.Errorf("abuse: %+v, want held for hate", r)
	}
	links := "see http://a.example http://b.example www.c.example https://d.example"
	if r := s.Screen(&links); !slices.Contains(r.Flags, "spam_links") {
		t.Errorf("links: %+v", r)
	}
	noise := "good " + strings.Repeat("!", 40)
	if r := s.Screen(&noise); !slices.Contains(r.Flags, "spam_repeat") {
		t.Errorf("noise: %+v", r)
	}
	ok := "Ignore previous instructions is a classic injection; the clause should name it."
	if r := s.Screen(&ok); r.Status() != Published || len(r.Masked) > 0 {
		t.Errorf("a comment quoting an injection was flagged: %+v", r)
	}
}

func TestEmail(t *testing.T) {
	for in, want := range map[string]string{
		" Jane.Doe@Example.ORG ": "Jane.Doe@example.org",
		"a+tag@sub.example.com":  "a+tag@sub.example.com",
	} {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "jane", "Jane <jane@example.org>", "a@b.c, d@e.f", "a@localhost", strings.Repeat("a", 250) + "@x.org", "<script>@x.org"} {
		if _, err := NormalizeEmail(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeEmail(%q): %v, want ErrInvalid", in, err)
		}
	}
	a, b := HashEmail([]byte("k1"), "a@x.org"), HashEmail([]byte("k2"), "a@x.org")
	if a == b || len(a) != 64 || HashEmail([]byte("k1"), "a@x.org") != a {
		t.Error("HashEmail must be keyed and stable")
	}
	if strings.Contains(Alias(a), "a@x") || Alias(a) != "participant "+a[:8] {
		t.Errorf("alias %q", Alias(a))
	}
	m := ConfirmationMessage("m1", "a@x.org", "http://h/spec/confirm?token=T", "the spec")
	if m.To != "a@x.org" || !strings.Contains(m.Body, "token=T") {
		t.Errorf("message %+v", m)
	}
}

func TestExport(t *testing.T) {
	pub := item()
	pub.Comment = "=HYPERLINK(\"http://evil\")"
	held := item()
	held.ID, held.Status = "i2", Held
	st := []Statement{{ID: "s1", Version: "v1", Text: "-10 points", Status: Published}, {ID: "s2", Version: "v1", Text: "x", Status: Rejected}}
	votes := []Vote{{Statement: "s1", Participant: "p", Value: -1, At: t0}, {Statement: "s2", Participant: "p", Value: 1, At: t0}}
	ch := []Change{{ID: "c1", Version: "v2", Clause: "be_kind", Summary: "done", Response: Accepted, Items: []string{"i1"}, At: t0}}
	e := NewExport([]Version{{ID: "v1", PublishedAt: t0}}, []Item{pub, held}, st, votes, ch)
	if len(e.Items) != 1 || len(e.Statements) != 1 || len(e.Votes) != 1 {
		t.Fatalf("export holds unpublished records: %+v", e)
	}
	if fmt := e.Items[0].AnsweredBy; len(fmt) != 1 || fmt[0] != "c1" {
		t.Errorf("answered_by %v", fmt)
	}
	var buf bytes.Buffer
	if err := e.WriteItemsCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 || len(rows[0]) != len(ItemsCSVHeader) {
		t.Fatalf("items csv %v %v", rows, err)
	}
	if c := rows[1][11]; !strings.HasPrefix(c, "'=") {
		t.Errorf("formula not defused: %q", c)
	}
	buf.Reset()
	if err := e.WriteVotesCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&buf).ReadAll()
	if rows[1][3] != "-1" || rows[1][1] != "'-10 points" {
		t.Errorf("votes row %q: the value stays a number, the text is defused", rows[1])
	}
	buf.Reset()
	if err := e.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Export
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Items[0].Comment != pub.Comment {
		t.Errorf("json round trip: %v", err)
	}
}

func TestAnalyze(t *testing.T) {
	var sts []Statement
	var votes []Vote
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		sts = append(sts, Statement{ID: id, Status: Published})
	}
	sts = append(sts, Statement{ID: "hidden", Status: Held})
	for _, p := range []string{"a1", "a2", "a3"} {
		for id, v := range map[string]int{"s1": 1, "s2": 1, "s3": -1, "s4": 1, "hidden": 1} {
			votes = append(votes, Vote{Statement: id, Participant: p, Value: v, At: t0})
		}
	}
	for _, p := range []string{"b1", "b2", "b3"} {
		for id, v := range map[string]int{"s1": -1, "s2": -1, "s3": 1, "s4": 1} {
			votes = append(votes, Vote{Statement: id, Participant: p, Value: v, At: t0})
		}
	}
	r, err := Analyze(sts, votes, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Groups) != 2 || len(r.Scores) != 4 || r.ByConsensus()[0].Statement != "s4" {
		t.Errorf("groups %d, scores %d, top %s", len(r.Groups), len(r.Scores), r.ByConsensus()[0].Statement)
	}
}
