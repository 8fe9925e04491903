package spec

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// ChangeKind names one way a clause changed between two releases. The
// values are part of the JSON output of spec diff and stay stable.
type ChangeKind string

// The change kinds, in the order they are listed within a change.
const (
	Added            ChangeKind = "added"
	Removed          ChangeKind = "removed"
	Renamed          ChangeKind = "renamed"
	Moved            ChangeKind = "moved"
	TitleChanged     ChangeKind = "title_changed"
	AuthorityChanged ChangeKind = "authority_changed"
	KindChanged      ChangeKind = "kind_changed"
	TextChanged      ChangeKind = "text_changed"
	ExamplesAdded    ChangeKind = "examples_added"
	ExamplesRemoved  ChangeKind = "examples_removed"
	// ExamplesChanged marks examples kept (same title, or same
	// conversation) whose conversation, labels or title changed.
	ExamplesChanged ChangeKind = "examples_changed"
)

// ChangeKinds lists every change kind in display order.
var ChangeKinds = []ChangeKind{Added, Removed, Renamed, Moved, TitleChanged, AuthorityChanged, KindChanged, TextChanged, ExamplesAdded, ExamplesRemoved, ExamplesChanged}

// RenameThreshold is the word-diff similarity at or above which a removed
// clause and an added one are taken for one clause under a new id.
const RenameThreshold = 0.9

// SpecDiff is the clause-level difference between two releases of a spec.
type SpecDiff struct {
	Old DiffSide `json:"old"`
	New DiffSide `json:"new"`
	// Changes are the changed clauses: those of the new release in its
	// document order, then the removed ones in the order of the old.
	Changes []Change    `json:"changes"`
	Summary DiffSummary `json:"summary"`
}

// DiffSide names one of the two specs compared.
type DiffSide struct {
	File    string `json:"file,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// Change is everything that changed in one clause. A clause may change in
// several ways at once: renamed, moved and reworded, say.
type Change struct {
	// ID is the clause's id in the new release, or in the old one for a
	// removed clause.
	ID string `json:"id"`
	// OldID is the id the clause had in the old release, for a rename.
	OldID string       `json:"old_id,omitempty"`
	Kinds []ChangeKind `json:"kinds"`
	// Title is the clause's title in the new release (the old one for a
	// removed clause); OldTitle is set when the title changed.
	Title    string `json:"title"`
	OldTitle string `json:"old_title,omitempty"`
	// Authorities are spelt as written ("platform" stays "platform"): a
	// change of spelling at the same level is still a change users see.
	// An added clause carries only its new authority, a removed one only
	// its old.
	OldAuthority string `json:"old_authority,omitempty"`
	NewAuthority string `json:"new_authority,omitempty"`
	OldKind      Kind   `json:"old_kind,omitempty"`
	NewKind      Kind   `json:"new_kind,omitempty"`
	// OldParent and NewParent are set for a moved clause; empty means the
	// top level.
	OldParent string `json:"old_parent,omitempty"`
	NewParent string `json:"new_parent,omitempty"`
	// Similarity is the word-level similarity of the texts of a renamed
	// clause, from 0 to 1.
	Similarity float64 `json:"similarity,omitempty"`
	// WordDiff is the word diff of the clause's text when it changed.
	WordDiff        []DiffSegment `json:"word_diff,omitempty"`
	ExamplesAdded   []string      `json:"examples_added,omitempty"`
	ExamplesRemoved []string      `json:"examples_removed,omitempty"`
	ExamplesChanged []string      `json:"examples_changed,omitempty"`
}

// Has reports whether the change includes kind k.
func (c *Change) Has(k ChangeKind) bool { return slices.Contains(c.Kinds, k) }

// DiffOp is the operation of a word-diff segment.
type DiffOp string

// Word-diff operations.
const (
	OpEqual  DiffOp = "equal"
	OpInsert DiffOp = "insert"
	OpDelete DiffOp = "delete"
)

// DiffSegment is a run of words that are kept, inserted or deleted. Text
// holds the words separated by single spaces; segments are separated by a
// space too, so that the equal and delete segments joined with spaces give
// the old text's words and the equal and insert ones the new text's.
type DiffSegment struct {
	Op   DiffOp `json:"op"`
	Text string `json:"text"`
}

// DiffSummary counts clauses: how many each release has, how many changed,
// and how many changes of each kind there are (a clause with two kinds of
// change counts in both).
type DiffSummary struct {
	OldClauses       int `json:"old_clauses"`
	NewClauses       int `json:"new_clauses"`
	Changed          int `json:"changed"`
	Unchanged        int `json:"unchanged"`
	Added            int `json:"added"`
	Removed          int `json:"removed"`
	Renamed          int `json:"renamed"`
	Moved            int `json:"moved"`
	TitleChanged     int `json:"title_changed"`
	AuthorityChanged int `json:"authority_changed"`
	KindChanged      int `json:"kind_changed"`
	TextChanged      int `json:"text_changed"`
	ExamplesAdded    int `json:"examples_added"`
	ExamplesRemoved  int `json:"examples_removed"`
	ExamplesChanged  int `json:"examples_changed"`
}

// Count returns the number of changes of kind k.
func (s DiffSummary) Count(k ChangeKind) int {
	switch k {
	case Added:
		return s.Added
	case Removed:
		return s.Removed
	case Renamed:
		return s.Renamed
	case Moved:
		return s.Moved
	case TitleChanged:
		return s.TitleChanged
	case AuthorityChanged:
		return s.AuthorityChanged
	case KindChanged:
		return s.KindChanged
	case TextChanged:
		return s.TextChanged
	case ExamplesAdded:
		return s.ExamplesAdded
	case ExamplesRemoved:
		return s.ExamplesRemoved
	case ExamplesChanged:
		return s.ExamplesChanged
	}
	return 0
}

func (s *DiffSummary) add(k ChangeKind) {
	switch k {
	case Added:
		s.Added++
	case Removed:
		s.Removed++
	case Renamed:
		s.Renamed++
	case Moved:
		s.Moved++
	case TitleChanged:
		s.TitleChanged++
	case AuthorityChanged:
		s.AuthorityChanged++
	case KindChanged:
		s.KindChanged++
	case TextChanged:
		s.TextChanged++
	case ExamplesAdded:
		s.ExamplesAdded++
	case ExamplesRemoved:
		s.ExamplesRemoved++
	case ExamplesChanged:
		s.ExamplesChanged++
	}
}

// Diff compares two releases of a spec clause by clause (sections with an
// id). Clauses are paired by id (the n-th clause with an id in old with the
// n-th with that id in new); an old clause whose id is gone and a new one
// whose id is new are paired as a rename when their texts are the same or
// nearly so (RenameThreshold). For each pair Diff reports a new parent,
// title, authority or kind, a changed text (Body: the prose without its
// examples, compared word by word, so that reflowing a paragraph is no
// change), and examples added, removed or changed (examples are paired by
// title, then by conversation).
//
// Authority is compared as written and as it governs the clause (its own or
// the nearest enclosing clause's), and reported on the clauses that declare
// it or that moved: a parent's change is reported once, on the parent.
// Kind is compared the same way. Diff never modifies its arguments.
func Diff(old, new *Spec) *SpecDiff {
	d := &differ{old: newSpecIndex(old), new: newSpecIndex(new)}
	return d.run()
}

// specIndex is a spec's clauses with what Diff looks up often.
type specIndex struct {
	spec    *Spec
	clauses []*Section
	keys    []clauseKey
	byKey   map[clauseKey]int
	first   map[string]*Section
}

// clauseKey names a clause by id and occurrence, so that a file with a
// duplicate id still diffs.
type clauseKey struct {
	id string
	n  int
}

func newSpecIndex(s *Spec) *specIndex {
	x := &specIndex{spec: s, byKey: map[clauseKey]int{}, first: map[string]*Section{}}
	seen := map[string]int{}
	for _, sec := range s.Sections {
		if sec.ID == "" {
			continue
		}
		k := clauseKey{sec.ID, seen[sec.ID]}
		seen[sec.ID]++
		x.byKey[k] = len(x.clauses)
		x.clauses = append(x.clauses, sec)
		x.keys = append(x.keys, k)
		if x.first[sec.ID] == nil {
			x.first[sec.ID] = sec
		}
	}
	return x
}

// governing returns the section whose authority governs sec (sec itself
// or the nearest enclosing one that declares an authority), or nil.
func (x *specIndex) governing(sec *Section) *Section {
	for cur, depth := sec, 0; cur != nil && depth <= len(x.clauses); depth++ {
		if cur.Authority != "" {
			return cur
		}
		if cur.Parent == "" || cur.Parent == cur.ID {
			return nil
		}
		cur = x.first[cur.Parent]
	}
	return nil
}

// authority is the authority that governs sec, as spelt in the heading
// that declares it, in lower case ("" for none).
func (x *specIndex) authority(sec *Section) string {
	g := x.governing(sec)
	if g == nil {
		return ""
	}
	if sp := g.Attrs["authority_spelling"]; sp != "" {
		return strings.ToLower(sp)
	}
	return string(g.Authority)
}

type differ struct {
	old, new *specIndex
	// renamedTo maps an old id to the new id of a renamed clause.
	renamedTo map[string]string
	dmp       *diffmatchpatch.DiffMatchPatch
}

func (d *differ) run() *SpecDiff {
	// No timeout: the diff is then exact and never reads the clock.
	d.dmp = diffmatchpatch.New()
	d.dmp.DiffTimeout = 0
	d.renamedTo = map[string]string{}

	// Pair clauses by id and occurrence.
	oldFor := make([]int, len(d.new.clauses)) // new index -> old index, or -1
	newFor := make([]int, len(d.old.clauses))
	for i := range newFor {
		newFor[i] = -1
	}
	for j, k := range d.new.keys {
		oldFor[j] = -1
		if i, ok := d.old.byKey[k]; ok {
			oldFor[j], newFor[i] = i, j
		}
	}
	// Pair the rest as renames, most similar first.
	similarity := map[[2]int]float64{}
	for _, p := range d.renames(oldFor, newFor) {
		if oldFor[p.new] >= 0 || newFor[p.old] >= 0 {
			continue
		}
		oldFor[p.new], newFor[p.old] = p.old, p.new
		similarity[[2]int{p.old, p.new}] = p.sim
		d.renamedTo[d.old.clauses[p.old].ID] = d.new.clauses[p.new].ID
	}

	out := &SpecDiff{
		Old:     DiffSide{File: d.old.spec.File, Name: d.old.spec.Name, Version: d.old.spec.Version},
		New:     DiffSide{File: d.new.spec.File, Name: d.new.spec.Name, Version: d.new.spec.Version},
		Changes: []Change{},
	}
	for j, sec := range d.new.clauses {
		var c Change
		if i := oldFor[j]; i < 0 {
			c = Change{ID: sec.ID, Kinds: []ChangeKind{Added}, Title: sec.Title, NewAuthority: d.new.authority(sec), NewKind: sec.Kind}
		} else {
			c = d.compare(d.old.clauses[i], sec)
			if sim, ok := similarity[[2]int{i, j}]; ok {
				c.Similarity = sim
			}
		}
		if len(c.Kinds) > 0 {
			out.Changes = append(out.Changes, c)
		}
	}
	for i, sec := range d.old.clauses {
		if newFor[i] < 0 {
			out.Changes = append(out.Changes, Change{ID: sec.ID, Kinds: []ChangeKind{Removed}, Title: sec.Title, OldAuthority: d.old.authority(sec), OldKind: sec.Kind})
		}
	}
	s := &out.Summary
	s.OldClauses, s.NewClauses, s.Changed = len(d.old.clauses), len(d.new.clauses), len(out.Changes)
	for _, c := range out.Changes {
		for _, k := range c.Kinds {
			s.add(k)
		}
	}
	s.Unchanged = len(d.new.clauses) - (len(out.Changes) - s.Removed)
	return out
}

type renamePair struct {
	old, new int
	sim      float64
}

// renames scores every unpaired old clause against every unpaired new one
// and returns the pairs similar enough to be a rename, best first.
func (d *differ) renames(oldFor, newFor []int) []renamePair {
	var pairs []renamePair
	for i, os := range d.old.clauses {
		if newFor[i] >= 0 {
			continue
		}
		ow := strings.Fields(os.Body)
		for j, ns := range d.new.clauses {
			if oldFor[j] >= 0 {
				continue
			}
			nw := strings.Fields(ns.Body)
			var sim float64
			switch {
			case len(ow) == 0 && len(nw) == 0:
				// Two clauses without prose (containers): the same
				// clause only if they have the same title.
				if normSpace(os.Title) == normSpace(ns.Title) {
					sim = 1
				}
			case slices.Equal(ow, nw):
				sim = 1
			default:
				sim = d.similarity(ow, nw)
			}
			if sim >= RenameThreshold {
				pairs = append(pairs, renamePair{i, j, sim})
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b renamePair) int {
		return cmp.Or(-cmp.Compare(a.sim, b.sim), cmp.Compare(a.new, b.new), cmp.Compare(a.old, b.old))
	})
	return pairs
}

// similarity is 2M/(|a|+|b|), M the number of words the word diff keeps
// (difflib's ratio), rounded to three places. Pairs that cannot reach the
// threshold are rejected by counting before any diff is run.
func (d *differ) similarity(a, b []string) float64 {
	total := float64(len(a) + len(b))
	if total == 0 || 2*float64(min(len(a), len(b)))/total < RenameThreshold {
		return 0
	}
	// The words two texts share, as multisets, bound what a diff can keep.
	bag := map[string]int{}
	for _, w := range a {
		bag[w]++
	}
	shared := 0
	for _, w := range b {
		if bag[w] > 0 {
			bag[w]--
			shared++
		}
	}
	if 2*float64(shared)/total < RenameThreshold {
		return 0
	}
	kept := 0
	for _, s := range d.wordDiff(a, b, false) {
		if s.op == OpEqual {
			kept += len(s.words)
		}
	}
	return math.Round(2*float64(kept)/total*1000) / 1000
}

// compare returns the changes between two paired clauses.
func (d *differ) compare(o, n *Section) Change {
	c := Change{ID: n.ID, Title: n.Title}
	if o.ID != n.ID {
		c.OldID = o.ID
		c.Kinds = append(c.Kinds, Renamed)
	}
	oldParent := o.Parent
	if to, ok := d.renamedTo[oldParent]; ok {
		oldParent = to
	}
	moved := oldParent != n.Parent
	if moved {
		c.Kinds = append(c.Kinds, Moved)
		c.OldParent, c.NewParent = o.Parent, n.Parent
	}
	if normSpace(o.Title) != normSpace(n.Title) {
		c.Kinds = append(c.Kinds, TitleChanged)
		c.OldTitle = o.Title
	}
	oa, na := d.old.authority(o), d.new.authority(n)
	if oa != na && (o.Authority != "" || n.Authority != "" || moved) {
		c.Kinds = append(c.Kinds, AuthorityChanged)
		c.OldAuthority, c.NewAuthority = oa, na
	}
	oldKind, newKind := d.old.spec.EffectiveKind(o), d.new.spec.EffectiveKind(n)
	if oldKind != newKind && (o.Kind != "" || n.Kind != "" || moved) {
		c.Kinds = append(c.Kinds, KindChanged)
		c.OldKind, c.NewKind = oldKind, newKind
	}
	ow, nw := strings.Fields(o.Body), strings.Fields(n.Body)
	if !slices.Equal(ow, nw) {
		c.Kinds = append(c.Kinds, TextChanged)
		for _, s := range d.wordDiff(ow, nw, true) {
			c.WordDiff = append(c.WordDiff, DiffSegment{Op: s.op, Text: strings.Join(s.words, " ")})
		}
	}
	c.ExamplesAdded, c.ExamplesRemoved, c.ExamplesChanged = diffExamples(o.Examples, n.Examples)
	if len(c.ExamplesAdded) > 0 {
		c.Kinds = append(c.Kinds, ExamplesAdded)
	}
	if len(c.ExamplesRemoved) > 0 {
		c.Kinds = append(c.Kinds, ExamplesRemoved)
	}
	if len(c.ExamplesChanged) > 0 {
		c.Kinds = append(c.Kinds, ExamplesChanged)
	}
	return c
}

// wordSegment is a DiffSegment before its words are joined.
type wordSegment struct {
	op    DiffOp
	words []string
}

// wordDiff diffs two word lists with diffmatchpatch, each distinct word
// mapped to one rune (the line-mode technique of the library's
// documentation, applied to words). With cleanup, equalities too short to
// be meaningful between edits are folded into them, so that a rewritten
// sentence reads as one deletion and one insertion rather than a comb of
// common words; without it the diff is minimal, which similarity needs.
// Within each run of edits the deletion comes before the insertion.
func (d *differ) wordDiff(a, b []string, cleanup bool) []wordSegment {
	dict := map[string]rune{}
	var words []string
	encode := func(ws []string) ([]rune, bool) {
		rs := make([]rune, len(ws))
		for i, w := range ws {
			r, ok := dict[w]
			if !ok {
				r, ok = tokenRune(len(words))
				if !ok {
					return nil, false
				}
				dict[w] = r
				words = append(words, w)
			}
			rs[i] = r
		}
		return rs, true
	}
	ra, okA := encode(a)
	rb, okB := encode(b)
	if !okA || !okB {
		// More distinct words than runes: too big to diff word by word.
		return []wordSegment{{OpDelete, a}, {OpInsert, b}}
	}
	diffs := d.dmp.DiffMainRunes(ra, rb, false)
	if cleanup {
		diffs = d.dmp.DiffCleanupSemantic(diffs)
	}
	var out []wordSegment
	var del, ins []string
	flush := func() {
		if len(del) > 0 {
			out = append(out, wordSegment{OpDelete, del})
		}
		if len(ins) > 0 {
			out = append(out, wordSegment{OpInsert, ins})
		}
		del, ins = nil, nil
	}
	for _, df := range diffs {
		var ws []string
		for _, r := range df.Text {
			ws = append(ws, words[tokenIndex(r)])
		}
		if len(ws) == 0 {
			continue
		}
		switch df.Type {
		case diffmatchpatch.DiffDelete:
			del = append(del, ws...)
		case diffmatchpatch.DiffInsert:
			ins = append(ins, ws...)
		default:
			flush()
			if n := len(out); n > 0 && out[n-1].op == OpEqual {
				out[n-1].words = append(out[n-1].words, ws...)
			} else {
				out = append(out, wordSegment{OpEqual, ws})
			}
		}
	}
	flush()
	return out
}

// Words are encoded as runes from tokenBase up, skipping the surrogate
// range, which is not valid in UTF-8 strings.
const (
	tokenBase    = 0x100
	surrogateLo  = 0xD800
	surrogateLen = 0x800
)

func tokenRune(i int) (rune, bool) {
	r := rune(tokenBase + i)
	if r >= surrogateLo {
		r += surrogateLen
	}
	return r, r <= 0x10FFFF
}

func tokenIndex(r rune) int {
	if r >= surrogateLo+surrogateLen {
		r -= surrogateLen
	}
	return int(r - tokenBase)
}

// diffExamples pairs examples by title, then the rest by conversation,
// and returns the titles of those left over in new (added) and in old
// (removed), and of the pairs that differ (changed), in document order.
func diffExamples(old, new []*Example) (added, removed, changed []string) {
	oldFor := make([]int, len(new))
	usedOld := make([]bool, len(old))
	for j := range oldFor {
		oldFor[j] = -1
	}
	pair := func(key func(*Example) string) {
		for j, ne := range new {
			if oldFor[j] >= 0 {
				continue
			}
			k := key(ne)
			if k == "" {
				continue
			}
			for i, oe := range old {
				if !usedOld[i] && key(oe) == k {
					usedOld[i], oldFor[j] = true, i
					break
				}
			}
		}
	}
	title := func(e *Example) string { return normSpace(e.Title) }
	pair(title)
	pair(conversationKey)
	for j, ne := range new {
		switch i := oldFor[j]; {
		case i < 0:
			added = append(added, exampleName(ne))
		case title(old[i]) != title(ne) || conversationKey(old[i]) != conversationKey(ne):
			changed = append(changed, exampleName(ne))
		}
	}
	for i, oe := range old {
		if !usedOld[i] {
			removed = append(removed, exampleName(oe))
		}
	}
	return added, removed, changed
}

// conversationKey is an example's turns and candidates with whitespace
// normalised: two examples with the same key say the same thing.
func conversationKey(e *Example) string {
	var b strings.Builder
	for _, t := range e.Turns {
		fmt.Fprintf(&b, "<%s %q %q>%s\n", t.Role, t.Attrs["name"], t.Attrs["recipient"], normSpace(t.Text))
	}
	for _, c := range e.Candidates {
		fmt.Fprintf(&b, "<%s %q %s %s %q>%s\n", c.Turn.Role, c.Turn.Attrs["recipient"], c.Label, c.Cites, normSpace(c.Reason), normSpace(c.Turn.Text))
	}
	return b.String()
}

// exampleName is an example's title, or for an untitled one the start of
// its first turn.
func exampleName(e *Example) string {
	if t := normSpace(e.Title); t != "" {
		return t
	}
	for _, t := range e.Turns {
		if w := strings.Fields(t.Text); len(w) > 0 {
			if len(w) > 8 {
				w = append(w[:8], "…")
			}
			return "(untitled) " + strings.Join(w, " ")
		}
	}
	return "(untitled)"
}

func normSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// DiffTextOptions controls FormatDiff.
type DiffTextOptions struct {
	// Context is how many words of unchanged text to show on each side of
	// a change; 0 means DefaultDiffContext.
	Context int
	// MaxRun is how many words of one inserted or deleted run to show
	// before the middle is elided; 0 means DefaultDiffMaxRun.
	MaxRun int
}

// Defaults for DiffTextOptions.
const (
	DefaultDiffContext = 5
	DefaultDiffMaxRun  = 40
)

// FormatDiff writes a diff for people: a header, one block per changed
// clause, and a summary line.
//
//	~ #id  Title                    a changed clause
//	+ #id  Title                    an added clause
//	- #id  Title                    a removed clause
//	> #old -> #new (renamed)  Title a clause under a new id
//
// Inside a block, the word diff shows each change as [-deleted-]{+inserted+}
// with a few words of context, one line per group of nearby changes.
func FormatDiff(d *SpecDiff, opts DiffTextOptions) string {
	if opts.Context <= 0 {
		opts.Context = DefaultDiffContext
	}
	if opts.MaxRun <= 0 {
		opts.MaxRun = DefaultDiffMaxRun
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", sideName(d.Old), sideName(d.New))
	for _, c := range d.Changes {
		b.WriteString("\n")
		switch {
		case c.Has(Added):
			fmt.Fprintf(&b, "+ #%s  %s\n", c.ID, c.Title)
			if c.NewAuthority != "" {
				fmt.Fprintf(&b, "    authority: %s\n", c.NewAuthority)
			}
			continue
		case c.Has(Removed):
			fmt.Fprintf(&b, "- #%s  %s\n", c.ID, c.Title)
			continue
		case c.Has(Renamed):
			fmt.Fprintf(&b, "> #%s -> #%s (renamed)  %s\n", c.OldID, c.ID, c.Title)
		default:
			fmt.Fprintf(&b, "~ #%s  %s\n", c.ID, c.Title)
		}
		if c.Has(Moved) {
			fmt.Fprintf(&b, "    moved: %s -> %s\n", parentName(c.OldParent), parentName(c.NewParent))
		}
		if c.Has(TitleChanged) {
			fmt.Fprintf(&b, "    title: %q -> %q\n", c.OldTitle, c.Title)
		}
		if c.Has(AuthorityChanged) {
			fmt.Fprintf(&b, "    authority: %s -> %s\n", orNone(c.OldAuthority), orNone(c.NewAuthority))
		}
		if c.Has(KindChanged) {
			fmt.Fprintf(&b, "    kind: %s -> %s\n", orNone(string(c.OldKind)), orNone(string(c.NewKind)))
		}
		if c.Has(TextChanged) {
			b.WriteString("    text:\n")
			for _, l := range compactWordDiff(c.WordDiff, opts) {
				fmt.Fprintf(&b, "      %s\n", l)
			}
		}
		for _, t := range c.ExamplesAdded {
			fmt.Fprintf(&b, "    + example: %s\n", t)
		}
		for _, t := range c.ExamplesRemoved {
			fmt.Fprintf(&b, "    - example: %s\n", t)
		}
		for _, t := range c.ExamplesChanged {
			fmt.Fprintf(&b, "    ~ example: %s\n", t)
		}
	}
	b.WriteString("\n" + summaryLine(d.Summary) + "\n")
	return b.String()
}

func sideName(s DiffSide) string {
	n := s.File
	if n == "" {
		n = s.Name
	}
	if s.Version != "" {
		n += " (version " + s.Version + ")"
	}
	return n
}

func parentName(id string) string {
	if id == "" {
		return "(top level)"
	}
	return "#" + id
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func summaryLine(s DiffSummary) string {
	if s.Changed == 0 {
		return fmt.Sprintf("no clause-level changes (%d clauses)", s.NewClauses)
	}
	var parts []string
	for _, k := range ChangeKinds {
		n := s.Count(k)
		if n == 0 {
			continue
		}
		name := strings.ReplaceAll(string(k), "_", " ")
		if strings.HasPrefix(name, "examples ") {
			name = "with " + name
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, name))
	}
	clauses := "clauses"
	if s.Changed == 1 {
		clauses = "clause"
	}
	return fmt.Sprintf("%d %s changed: %s; %d unchanged (%d clauses -> %d)", s.Changed, clauses, strings.Join(parts, ", "), s.Unchanged, s.OldClauses, s.NewClauses)
}

// compactWordDiff renders a word diff as lines of [-deleted-]{+inserted+}
// changes with opts.Context words of context; changes further apart than
// twice the context start a new line, and the middle of a long inserted or
// deleted run is elided.
func compactWordDiff(segs []DiffSegment, opts DiffTextOptions) []string {
	ctx := opts.Context
	var lines []string
	var cur []piece // pieces of the current line
	add := func(op DiffOp, text string) { cur = append(cur, piece{op, text}) }
	endLine := func() {
		if len(cur) > 0 {
			lines = append(lines, joinPieces(cur))
		}
		cur = nil
	}
	for i, s := range segs {
		words := strings.Fields(s.Text)
		switch s.Op {
		case OpDelete:
			add(OpDelete, "[-"+elide(words, opts.MaxRun)+"-]")
		case OpInsert:
			add(OpInsert, "{+"+elide(words, opts.MaxRun)+"+}")
		default:
			first, last := i == 0, i == len(segs)-1
			switch {
			case first && last:
				// No change at all: nothing to show.
			case first:
				if len(words) > ctx {
					add(OpEqual, "…")
					words = words[len(words)-ctx:]
				}
				add(OpEqual, strings.Join(words, " "))
			case last:
				if len(words) > ctx {
					add(OpEqual, strings.Join(words[:ctx], " ")+" …")
				} else {
					add(OpEqual, strings.Join(words, " "))
				}
			case len(words) > 2*ctx+2:
				add(OpEqual, strings.Join(words[:ctx], " ")+" …")
				endLine()
				add(OpEqual, "… "+strings.Join(words[len(words)-ctx:], " "))
			default:
				add(OpEqual, strings.Join(words, " "))
			}
		}
	}
	endLine()
	return lines
}

// piece is a rendered segment of a word-diff line.
type piece struct {
	op   DiffOp
	text string
}

// joinPieces joins line pieces with spaces, except between a deletion and
// the insertion that replaces it.
func joinPieces(ps []piece) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 && !(ps[i-1].op == OpDelete && p.op == OpInsert) {
			b.WriteByte(' ')
		}
		b.WriteString(p.text)
	}
	return b.String()
}

func elide(words []string, maxRun int) string {
	if len(words) <= maxRun {
		return strings.Join(words, " ")
	}
	head, tail := maxRun*2/3, maxRun/3
	return fmt.Sprintf("%s …(%d more words)… %s", strings.Join(words[:head], " "), len(words)-head-tail, strings.Join(words[len(words)-tail:], " "))
}
