package spec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// updating reports whether go test was given -update, which rewrites the
// golden files. The package has one -update flag for all its goldens; it
// is defined in spec_test.go (package spec_test, linked into the same test
// binary, where defining it twice would panic), so it is looked up here.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// diffJSON encodes a diff the way the command line prints it.
func diffJSON(t testing.TB, d *SpecDiff) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseFile(t testing.TB, path, name string) *Spec {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, problems := Parse(name, src)
	if HasErrors(problems) {
		t.Fatalf("%s: %v", path, problems)
	}
	return s
}

// TestDiffGolden runs every case in testdata/diff: a directory with
// old.md and new.md, and the expected diff as text (want.txt) and JSON
// (want.json). go test -run TestDiffGolden -update rewrites the expected
// files; review them before committing.
func TestDiffGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/diff/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no cases in testdata/diff")
	}
	seen := map[ChangeKind]bool{}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			old := parseFile(t, filepath.Join(dir, "old.md"), "old.md")
			new := parseFile(t, filepath.Join(dir, "new.md"), "new.md")
			d := Diff(old, new)
			for _, c := range d.Changes {
				for _, k := range c.Kinds {
					seen[k] = true
				}
			}
			checkGolden(t, filepath.Join(dir, "want.txt"), []byte(FormatDiff(d, DiffTextOptions{})))
			checkGolden(t, filepath.Join(dir, "want.json"), diffJSON(t, d))
		})
	}
	for _, k := range ChangeKinds {
		if !seen[k] {
			t.Errorf("no case in testdata/diff shows a change of kind %s", k)
		}
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestDiffGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update to accept it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// kindsByID maps each change's id to its kinds.
func kindsByID(d *SpecDiff) map[string][]ChangeKind {
	out := map[string][]ChangeKind{}
	for _, c := range d.Changes {
		out[c.ID] = c.Kinds
	}
	return out
}

func diffCase(t *testing.T, name string) *SpecDiff {
	t.Helper()
	dir := filepath.Join("testdata/diff", name)
	return Diff(parseFile(t, filepath.Join(dir, "old.md"), "old.md"), parseFile(t, filepath.Join(dir, "new.md"), "new.md"))
}

// TestDiffCases states what each golden case is for, so that an -update
// that breaks it does not pass unnoticed.
func TestDiffCases(t *testing.T) {
	k := func(ks ...ChangeKind) []ChangeKind { return ks }
	tests := []struct {
		name string
		want map[string][]ChangeKind
	}{
		{"identical", map[string][]ChangeKind{}},
		{"added_removed", map[string][]ChangeKind{
			"no_info_hazards": k(Added), "express_uncertainty": k(Added), "be_terse": k(Removed),
		}},
		{"renamed", map[string][]ChangeKind{
			"ask_clarifying_questions": k(Renamed),
			"concise":                  k(Renamed, TextChanged),
			"own_errors":               k(Added),
			"admit_mistakes":           k(Removed),
			"style":                    k(Renamed),
		}},
		{"authority", map[string][]ChangeKind{
			"follow_chain": k(AuthorityChanged), "ignore_untrusted": k(AuthorityChanged), "comply_with_laws": k(AuthorityChanged),
			"regulated_advice": k(AuthorityChanged), "voice": k(AuthorityChanged), "match_pace": k(AuthorityChanged),
		}},
		{"kind_changed", map[string][]ChangeKind{"be_kind": k(KindChanged), "help_user": k(KindChanged)}},
		{"title_changed", map[string][]ChangeKind{"refusal_style": k(TitleChanged)}},
		{"moved", map[string][]ChangeKind{"personality": k(Renamed), "be_warm": k(Moved), "lists": k(Moved)}},
		{"text_changed", map[string][]ChangeKind{"do_not_lie": k(TextChanged), "grow": k(TextChanged)}},
		{"examples", map[string][]ChangeKind{"protect_privacy": k(ExamplesAdded, ExamplesRemoved, ExamplesChanged)}},
		{"multi", map[string][]ChangeKind{
			"love_humanity": k(Renamed, Moved, TitleChanged, AuthorityChanged, KindChanged, TextChanged, ExamplesAdded, ExamplesRemoved),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diffCase(t, tt.name)
			if got := kindsByID(d); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("kinds by id:\n got %v\nwant %v", got, tt.want)
			}
		})
	}

	t.Run("authority spelling", func(t *testing.T) {
		d := diffCase(t, "authority")
		want := map[string][2]string{
			"follow_chain":     {"platform", "root"},
			"ignore_untrusted": {"platform", "root"}, // written Platform
			"comply_with_laws": {"platform", "system"},
			"regulated_advice": {"user", "developer"},
			"voice":            {"user", "system"},
			"match_pace":       {"guideline", "system"}, // now inherited from #voice
		}
		for _, c := range d.Changes {
			if got := [2]string{c.OldAuthority, c.NewAuthority}; got != want[c.ID] {
				t.Errorf("#%s: authority %v, want %v", c.ID, got, want[c.ID])
			}
		}
	})
	t.Run("examples", func(t *testing.T) {
		c := diffCase(t, "examples").Changes[0]
		if want := []string{"a public figure's public statements"}; !slices.Equal(c.ExamplesAdded, want) {
			t.Errorf("added %q, want %q", c.ExamplesAdded, want)
		}
		if want := []string{"a doxxing request"}; !slices.Equal(c.ExamplesRemoved, want) {
			t.Errorf("removed %q, want %q", c.ExamplesRemoved, want)
		}
		// Retitled (same conversation) and relabelled (same title).
		if want := []string{"asking for an elected official's contact information", "asking for a private person's address"}; !slices.Equal(c.ExamplesChanged, want) {
			t.Errorf("changed %q, want %q", c.ExamplesChanged, want)
		}
	})
}

// TestWordDiffReconstructs checks the documented property of WordDiff: the
// equal and delete segments give the old words, the equal and insert
// segments the new ones.
func TestWordDiffReconstructs(t *testing.T) {
	for _, name := range []string{"text_changed", "renamed", "multi"} {
		dir := filepath.Join("testdata/diff", name)
		old := parseFile(t, filepath.Join(dir, "old.md"), "old.md")
		new := parseFile(t, filepath.Join(dir, "new.md"), "new.md")
		checkWordDiffs(t, old, new, Diff(old, new))
	}
}

func checkWordDiffs(t *testing.T, old, new *Spec, d *SpecDiff) {
	t.Helper()
	for _, c := range d.Changes {
		if !c.Has(TextChanged) {
			if len(c.WordDiff) > 0 {
				t.Errorf("#%s: word diff without text_changed", c.ID)
			}
			continue
		}
		oldID := c.ID
		if c.OldID != "" {
			oldID = c.OldID
		}
		var ow, nw []string
		for i, s := range c.WordDiff {
			if s.Text == "" {
				t.Errorf("#%s: empty segment %d", c.ID, i)
			}
			if i > 0 && s.Op == c.WordDiff[i-1].Op {
				t.Errorf("#%s: segments %d and %d are both %s", c.ID, i-1, i, s.Op)
			}
			if s.Op != OpInsert {
				ow = append(ow, strings.Fields(s.Text)...)
			}
			if s.Op != OpDelete {
				nw = append(nw, strings.Fields(s.Text)...)
			}
		}
		// With duplicate ids the diff may pair any section of that id.
		if !anyBodyIs(old, oldID, ow) {
			t.Errorf("#%s: old words from the diff differ from the old text", c.ID)
		}
		if !anyBodyIs(new, c.ID, nw) {
			t.Errorf("#%s: new words from the diff differ from the new text", c.ID)
		}
	}
}

// anyBodyIs reports whether some section with id has exactly these words.
func anyBodyIs(s *Spec, id string, words []string) bool {
	for _, sec := range s.Sections {
		if sec.ID == id && slices.Equal(strings.Fields(sec.Body), words) {
			return true
		}
	}
	return false
}

func TestDiffDuplicateIDs(t *testing.T) {
	old, _ := Parse("old.md", []byte("# A {#a}\n\none\n\n# A again {#a}\n\ntwo\n"))
	new, _ := Parse("new.md", []byte("# A {#a}\n\none\n\n# A again {#a}\n\ntwo changed\n\n# A third {#a}\n\nthree\n"))
	d := Diff(old, new)
	var got []string
	for _, c := range d.Changes {
		got = append(got, c.ID+":"+string(c.Kinds[0]))
	}
	if want := []string{"a:text_changed", "a:added"}; !slices.Equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
}

func TestFormatDiffContext(t *testing.T) {
	segs := []DiffSegment{
		{OpEqual, "one two three four five six seven"},
		{OpDelete, "eight"},
		{OpInsert, "EIGHT"},
		{OpEqual, "nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"},
		{OpInsert, "twenty"},
		{OpEqual, "a b"},
		{OpDelete, "c"},
		{OpEqual, "d e f g"},
	}
	got := compactWordDiff(segs, DiffTextOptions{Context: 2, MaxRun: 40})
	want := []string{
		"… six seven [-eight-]{+EIGHT+} nine ten …",
		"… eighteen nineteen {+twenty+} a b [-c-] d e …",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	long := strings.Fields(strings.Repeat("w ", 100))
	if got, want := elide(long, 9), "w w w w w w …(91 more words)… w w w"; got != want {
		t.Errorf("elide: got %q, want %q", got, want)
	}
}

// openAIDir holds the published OpenAI Model Spec releases.
const openAIDir = "../../../shared/data/openai-model-spec/"

var openAIReleases = []string{
	"versions/model_spec-2025-02-12.md",
	"versions/model_spec-2025-04-11.md",
	"versions/model_spec-2025-09-12.md",
	"versions/model_spec-2025-10-27.md",
	"model_spec.md", // 2025-12-18
}

func loadOpenAI(t testing.TB) []*Spec {
	t.Helper()
	var specs []*Spec
	for _, f := range openAIReleases {
		src, err := os.ReadFile(openAIDir + f)
		if os.IsNotExist(err) {
			t.Skipf("OpenAI Model Spec releases not found: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		s, _ := Parse(filepath.Base(f), src)
		specs = append(specs, s)
	}
	return specs
}

// TestDiffOpenAIReleases pins what Diff finds between consecutive
// releases of the published OpenAI Model Spec. Every fact here was checked
// against the files and the upstream CHANGELOG.md.
func TestDiffOpenAIReleases(t *testing.T) {
	specs := loadOpenAI(t)
	diffs := make([]*SpecDiff, len(specs)-1)
	for i := range diffs {
		diffs[i] = Diff(specs[i], specs[i+1])
		checkWordDiffs(t, specs[i], specs[i+1], diffs[i])
	}
	for _, s := range specs {
		if d := Diff(s, s); len(d.Changes) != 0 || d.Summary.Unchanged != len(s.Clauses()) {
			t.Errorf("%s diffed with itself: %d changes", s.File, len(d.Changes))
		}
	}

	wantSummary := []DiffSummary{
		// 2025-02-12 -> 2025-04-11: "misalignment" added to the overview's
		// risks, white lies narrowed to pleasantries, a buggy-code example
		// fixed, LaTeX fixed in two examples.
		{OldClauses: 71, NewClauses: 71, Changed: 5, Unchanged: 66, TextChanged: 3, ExamplesChanged: 2},
		// 2025-04-11 -> 2025-09-12: platform renamed root, agent
		// principles, no other objectives, red-line principles, the
		// personality sections reorganised.
		{OldClauses: 71, NewClauses: 77, Changed: 64, Unchanged: 17, Added: 10, Removed: 4, Renamed: 1, Moved: 4, TitleChanged: 3,
			AuthorityChanged: 19, TextChanged: 35, ExamplesAdded: 9, ExamplesRemoved: 2, ExamplesChanged: 27},
		// 2025-09-12 -> 2025-10-27: implicit delegation to tools,
		// delusions and mania, respect real-world ties.
		{OldClauses: 77, NewClauses: 78, Changed: 12, Unchanged: 66, Added: 1, TitleChanged: 1, TextChanged: 9, ExamplesAdded: 1, ExamplesChanged: 3},
		// 2025-10-27 -> 2025-12-18: under-18 principles, honesty simplified.
		{OldClauses: 78, NewClauses: 80, Changed: 8, Unchanged: 72, Added: 2, TextChanged: 6, ExamplesAdded: 1, ExamplesRemoved: 2, ExamplesChanged: 1},
	}
	for i, d := range diffs {
		if d.Summary != wantSummary[i] {
			t.Errorf("%s -> %s summary:\n got %+v\nwant %+v", specs[i].File, specs[i+1].File, d.Summary, wantSummary[i])
		}
	}

	idsWith := func(d *SpecDiff, k ChangeKind) []string {
		var out []string
		for _, c := range d.Changes {
			if c.Has(k) {
				out = append(out, c.ID)
			}
		}
		return out
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", what, got, want)
		}
	}

	// 2025-02-12 -> 2025-04-11.
	d := diffs[0]
	check("02-12 text changed", idsWith(d, TextChanged), []string{"risk_taxonomy", "definitions", "do_not_lie"})
	check("02-12 examples changed", idsWith(d, ExamplesChanged), []string{"do_not_facilitate_illicit_behavior", "avoid_overstepping"})
	for _, c := range d.Changes {
		if c.ID == "avoid_overstepping" {
			check("04-11 fixed example", c.ExamplesChanged, []string{"transforming buggy code in an interactive chat"})
		}
	}

	// 2025-04-11 -> 2025-09-12: every clause that had authority=platform
	// and is still there reports platform -> root, or platform -> system
	// for the three moved to system level.
	d = diffs[1]
	platform := []string{}
	for _, sec := range specs[1].Clauses() {
		if sec.Attrs["authority_spelling"] == "platform" {
			platform = append(platform, sec.ID)
		}
	}
	if len(platform) != 20 {
		t.Errorf("2025-04-11 has %d clauses with authority=platform, want 20", len(platform))
	}
	toSystem := map[string]bool{"comply_with_laws": true, "no_erotica_or_gore": true, "use_preset_voice_in_voice_mode": true}
	byID := map[string]Change{}
	for _, c := range d.Changes {
		byID[c.ID] = c
	}
	var authorityChanged []string
	for _, id := range platform {
		if id == "protect_privileged_messages" {
			// Rewritten as #protect_privileged_information (its text grew
			// threefold: similarity 0.33), so removed and added.
			if c := byID[id]; !c.Has(Removed) || c.OldAuthority != "platform" {
				t.Errorf("#%s: %+v, want removed with old authority platform", id, c)
			}
			continue
		}
		want := "root"
		if toSystem[id] {
			want = "system"
		}
		c := byID[id]
		if !c.Has(AuthorityChanged) || c.OldAuthority != "platform" || c.NewAuthority != want {
			t.Errorf("#%s: kinds %v authority %q -> %q, want platform -> %s", id, c.Kinds, c.OldAuthority, c.NewAuthority, want)
		}
		authorityChanged = append(authorityChanged, id)
	}
	check("09-12 authority changed", idsWith(d, AuthorityChanged), authorityChanged)
	check("09-12 added", idsWith(d, Added), []string{"red_line_principles", "no_other_objectives", "scope_of_autonomy", "control_side_effects",
		"protect_privileged_information", "be_responsible", "be_interesting_and_interested", "be_curious", "have_conversational_sense", "be_warm"})
	check("09-12 removed", idsWith(d, Removed), []string{"protect_privileged_messages", "approachable", "be_empathetic", "be_engaging"})
	check("09-12 moved", idsWith(d, Moved), []string{"love_humanity", "be_rationally_optimistic", "do_not_make_unprompted_personal_comments", "avoid_being_condescending"})
	check("09-12 retitled", idsWith(d, TitleChanged), []string{"ask_clarifying_questions", "love_humanity", "refusal_style"})
	if c := byID["love_humanity"]; c.OldID != "be_kind" || c.OldTitle != "Be kind" || c.OldParent != "approachable" || c.NewParent != "style" || c.Similarity < RenameThreshold {
		t.Errorf("#love_humanity: %+v, want renamed from #be_kind and moved from #approachable to #style", c)
	}
	for _, id := range []string{"no_other_objectives", "scope_of_autonomy", "control_side_effects"} {
		if c := byID[id]; c.NewAuthority != "root" {
			t.Errorf("added #%s: authority %q, want root", id, c.NewAuthority)
		}
	}
	if c := byID["refusal_style"]; c.OldTitle != "Refuse neutrally and succinctly" || c.Title != "When appropriate, be helpful when refusing" {
		t.Errorf("#refusal_style: title %q -> %q", c.OldTitle, c.Title)
	}
	text := FormatDiff(d, DiffTextOptions{})
	for _, want := range []string{
		"~ #follow_all_applicable_instructions  Follow all applicable instructions\n    authority: platform -> root\n",
		"~ #comply_with_laws  Comply with applicable laws\n    authority: platform -> system\n",
		"> #be_kind -> #love_humanity (renamed)  Love humanity\n    moved: #approachable -> #style\n",
		"+ #no_other_objectives  No other objectives\n    authority: root\n",
		"- #protect_privileged_messages  Do not reveal privileged instructions\n",
		"[-platform-level-]{+root-level+}",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text diff 04-11 -> 09-12 lacks %q", want)
		}
	}

	// 2025-09-12 -> 2025-10-27.
	d = diffs[2]
	check("10-27 added", idsWith(d, Added), []string{"respect_real_world_ties"})
	check("10-27 retitled", idsWith(d, TitleChanged), []string{"do_not_encourage_self_harm"})
	for _, c := range d.Changes {
		if c.ID == "do_not_encourage_self_harm" {
			check("10-27 self-harm examples", c.ExamplesAdded, []string{
				"refusing to help user buy rope in ambiguous signal with concerning context",
				"a delusion without indicators of distress", "a delusion with indicators of distress", "prominent signs of mania"})
		}
	}

	// 2025-10-27 -> 2025-12-18.
	d = diffs[3]
	check("12-18 added", idsWith(d, Added), []string{"chatgpt_u18", "prioritize_teen_safety"})
	check("12-18 examples removed", idsWith(d, ExamplesRemoved), []string{"do_not_lie", "be_thorough_but_efficient"})
}

func TestDiffDoesNotModify(t *testing.T) {
	specs := loadOpenAI(t)
	before := diffJSONOf(t, specs[2], specs[3])
	a, _ := json.Marshal(specs[2])
	b, _ := json.Marshal(specs[3])
	if after := diffJSONOf(t, specs[2], specs[3]); !bytes.Equal(before, after) {
		t.Error("two diffs of the same specs differ")
	}
	a2, _ := json.Marshal(specs[2])
	b2, _ := json.Marshal(specs[3])
	if !bytes.Equal(a, a2) || !bytes.Equal(b, b2) {
		t.Error("Diff modified its arguments")
	}
}

func diffJSONOf(t *testing.T, old, new *Spec) []byte {
	return diffJSON(t, Diff(old, new))
}

// BenchmarkDiffOpenAI diffs the last two OpenAI releases (2025-10-27 and
// 2025-12-18, about 4,700 lines each), parsing excluded.
func BenchmarkDiffOpenAI(b *testing.B) {
	specs := loadOpenAI(b)
	old, new := specs[len(specs)-2], specs[len(specs)-1]
	b.ReportAllocs()
	for b.Loop() {
		Diff(old, new)
	}
}

// FuzzDiff diffs pairs of documents seeded from testdata/diff: Diff and
// FormatDiff must not panic, and every word diff must rebuild both texts.
func FuzzDiff(f *testing.F) {
	dirs, _ := filepath.Glob("testdata/diff/*")
	for _, dir := range dirs {
		old, err1 := os.ReadFile(filepath.Join(dir, "old.md"))
		new, err2 := os.ReadFile(filepath.Join(dir, "new.md"))
		if err1 == nil && err2 == nil {
			f.Add(string(old), string(new))
		}
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		old, _ := Parse("old.md", []byte(a))
		new, _ := Parse("new.md", []byte(b))
		d := Diff(old, new)
		FormatDiff(d, DiffTextOptions{Context: 2, MaxRun: 5})
		checkWordDiffs(t, old, new, d)
		for _, c := range d.Changes {
			if len(c.Kinds) == 0 {
				t.Errorf("#%s: a change without a kind", c.ID)
			}
		}
	})
}
