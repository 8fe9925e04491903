// Package secrets finds credentials in text — API keys, access tokens,
// private keys, passwords in configuration — with gitleaks'
// maintained rule set (gitleaks.toml beside this file, MIT, see NOTICE),
// under clause protect_privacy.
//
// The rules are data: the gitleaks v8 configuration is parsed with a TOML
// library when the detector is built (once per process for the embedded
// one), every rule's regex is compiled with Go's
// regexp (RE2, linear time), and rules that cannot be used here (a regex Go
// rejects, a rule that needs a file path) are skipped and listed by Warnings,
// never a panic. Detection follows gitleaks: a rule is tried only where one of
// its keywords occurs (ASCII case ignored, one pass for all
// keywords), its secret is the rule's secretGroup or first non-empty group,
// a secret whose Shannon entropy is not above the rule's threshold is
// dropped, and the global and per-rule allowlists (regexes on the secret,
// the match or the line; stopwords in the secret) let placeholders and known
// examples go. A finding of a "generic" rule yields to a specific rule's
// finding that overlaps it. See plan.go for how a rule's regex is run only
// near its keywords, which is what keeps the cost close to one pass over the
// text.
//
// Not done here, unlike the gitleaks tool: decoding base64, hex or percent
// encoded text before matching, the "gitleaks:allow" comment (a user could
// write it to evade screening), and rules that need a file path.
//
// Like every detector it must never import net/http or database/sql and does
// no I/O at detection time: the configuration is embedded and parsed once.
package secrets

import (
	_ "embed"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/modelspec/modelspec/internal/detect"
)

// Identity of the detector's findings.
const (
	ID       = "detect.secrets"
	Clause   = "protect_privacy"
	Category = "secret"
)

// DefaultMinScore is the score from which New reports a finding: every
// finding of a rule for a specific credential format scores above it, and a
// generic-api-key finding scores from 0.5 (entropy at the rule's threshold)
// up to 0.85.
const DefaultMinScore = 0.5

// GitleaksVersion is the gitleaks release whose default rules are embedded.
const GitleaksVersion = "v8.30.1"

//go:embed gitleaks.toml
var defaultConfig []byte

var defaultRules = sync.OnceValues(func() (*ruleSet, error) { return parseConfig(defaultConfig) })

// Detector finds secrets. Use New, or Parse for a rule set of one's own; the
// zero value uses the embedded rules and reports every finding (MinScore 0).
type Detector struct {
	// MinScore is the lowest score reported.
	MinScore float64

	rules *ruleSet // nil: the embedded default
}

var _ detect.Detector = (*Detector)(nil)

// New returns a detector with gitleaks' default rules that reports findings
// scoring DefaultMinScore or more.
// The embedded configuration is parsed and compiled (some 50 ms) by the
// first call of New, or by the first Detect of a zero Detector.
func New() *Detector {
	d := &Detector{MinScore: DefaultMinScore}
	d.rules = d.set() // the embedded rules, looked up once
	return d
}

// Parse returns a detector for a gitleaks v8 TOML configuration (the format
// of gitleaks.toml), reporting findings scoring DefaultMinScore or more.
// Rules that cannot be used are skipped and listed by Warnings; a
// configuration that cannot be read is an error wrapping ErrConfig.
func Parse(config []byte) (*Detector, error) {
	rs, err := parseConfig(config)
	if err != nil {
		return nil, err
	}
	return &Detector{MinScore: DefaultMinScore, rules: rs}, nil
}

// ID returns "detect.secrets".
func (*Detector) ID() string { return ID }

// Kinds returns the one kind of finding it reports.
func (*Detector) Kinds() []detect.Kind { return []detect.Kind{{Category: Category, Clause: Clause}} }

func (d *Detector) set() *ruleSet {
	if d.rules != nil {
		return d.rules
	}
	rs, err := defaultRules()
	if err != nil {
		return &ruleSet{warnings: []string{"embedded gitleaks.toml: " + err.Error()}}
	}
	return rs
}

// Warnings lists the rules of the configuration that were skipped, and why.
func (d *Detector) Warnings() []string { return slices.Clone(d.set().warnings) }

// RuleIDs lists the ids of the rules in use, in configuration order.
func (d *Detector) RuleIDs() []string {
	rs := d.set()
	out := make([]string, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.id
	}
	return out
}

// cand is a keyword occurrence where a rule may match.
type cand struct{ start, end int }

// state is the scratch space of one Detect call that finds a keyword,
// pooled. Its work is all zero between calls.
type state struct {
	cands   [][]cand  // by rule
	touched []int32   // rules with candidates
	work    []int     // by rule: bytes given to tail checks
	ends    []endMemo // by rule: where mayEnd last looked
	found   []found
}

type found struct {
	rule       *rule
	start, end int // span of the secret
	match      int // length of the whole match
	entropy    float64
}

// better reports whether g is preferred to f for the same secret: the higher
// score, then the more specific (shorter) match, then the earlier rule.
func (g found) better(f found) bool {
	if gs, fs := g.rule.score(g.entropy), f.rule.score(f.entropy); gs != fs {
		return gs > fs
	}
	if g.match != f.match {
		return g.match < f.match
	}
	return g.rule.index < f.rule.index
}

// maxLine bounds the line around a match that regexTarget "line"
// allowlists see.
const maxLine = 1024

var pool = sync.Pool{New: func() any { return new(state) }}

// Detect returns one finding per secret, spanning the secret (the rule's
// secret group, or its whole match), with the rule id as evidence.
func (d *Detector) Detect(text string) []detect.Finding {
	rs := d.set()
	if rs.kw == nil || len(text) == 0 {
		return nil
	}
	// Most texts hold no keyword, or a few: those need no pooled state.
	var buf [8]hit
	hits := rs.kw.find(text, buf[:0])
	if len(hits) == 0 {
		return nil
	}
	st := pool.Get().(*state)
	if len(st.cands) < len(rs.rules) {
		st.cands = make([][]cand, len(rs.rules))
	}
	if len(st.work) < len(rs.rules) {
		st.work = make([]int, len(rs.rules))
		st.ends = make([]endMemo, len(rs.rules))
	}
	st.touched = st.touched[:0]
	for _, h := range hits {
		end := h.start + rs.kw.lens[h.kw]
		for _, u := range rs.kwRules[h.kw] {
			r := rs.rules[u.rule]
			if r.anchored {
				// Past its budget a rule keeps every candidate that passes
				// the cheap checks, and scanMerged bounds the cost.
				if !u.anchor || !r.mayEnd(text, h.start, &st.ends[u.rule]) || !r.mayStart(text, h.start, &st.work[u.rule], r.budget(len(text))) {
					continue
				}
			}
			if len(st.cands[u.rule]) == 0 {
				st.touched = append(st.touched, u.rule)
			}
			st.cands[u.rule] = append(st.cands[u.rule], cand{h.start, end})
		}
	}
	st.found = st.found[:0]
	for _, ri := range st.touched {
		r, cs := rs.rules[ri], st.cands[ri]
		slices.SortFunc(cs, func(a, b cand) int { return a.start - b.start })
		rest, from := cs, 0
		if r.anchored {
			st.found, rest, from = r.scanEach(rs, text, cs, st.found, &st.work[ri], r.budget(len(text)))
		}
		st.found = r.scanMerged(rs, text, rest, from, st.found)
		st.cands[ri] = cs[:0]
	}
	out := d.findings(st.found)
	// Only the rules of the keywords found were charged work.
	for _, h := range hits {
		for _, u := range rs.kwRules[h.kw] {
			st.work[u.rule], st.ends[u.rule] = 0, endMemo{}
		}
	}
	if cap(st.found) <= 1<<10 {
		pool.Put(st)
	}
	return out
}

// findings turns what the rules found into findings: a generic rule's
// secret yields to an overlapping secret of a specific rule, and of rules
// finding the same secret the best is kept. It takes O(n log n) time.
func (d *Detector) findings(fs []found) []detect.Finding {
	slices.SortFunc(fs, func(a, b found) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.end - b.end
	})
	// specific[i]: start of the i-th specific secret; reach[i]: the largest
	// end among the first i+1.
	var specific, reach []int
	for _, f := range fs {
		if !f.rule.generic {
			specific = append(specific, f.start)
			reach = append(reach, max(f.end, lastOr(reach, 0)))
		}
	}
	var out []detect.Finding
	for i, f := range fs {
		if f.rule.generic {
			// a specific secret overlaps f if one starting before f.end
			// ends after f.start
			n, _ := slices.BinarySearch(specific, f.end)
			if n > 0 && reach[n-1] > f.start {
				continue
			}
		}
		s := f.rule.score(f.entropy)
		if s < d.MinScore || dup(fs, i, -1) || dup(fs, i, 1) {
			continue
		}
		out = append(out, detect.Finding{
			Detector: ID,
			Clause:   Clause,
			Category: Category,
			Score:    s,
			Start:    f.start,
			End:      f.end,
			Evidence: f.rule.id,
		})
	}
	detect.SortFindings(out)
	return out
}

func lastOr(s []int, v int) int {
	if len(s) == 0 {
		return v
	}
	return s[len(s)-1]
}

// dup reports whether a neighbour of fs[i] in direction dir has the same
// span and is better.
func dup(fs []found, i, dir int) bool {
	f := fs[i]
	for j := i + dir; j >= 0 && j < len(fs) && fs[j].start == f.start && fs[j].end == f.end; j += dir {
		if fs[j].better(f) {
			return true
		}
	}
	return false
}

// budget is the work rule r may spend on a text of n bytes in tail checks
// and searches of one candidate at a time (mayStart, scanEach) before its
// remaining candidates go to scanMerged, which reads each byte of their
// windows once. A wild rule's search (`.*?` in curl-auth-header, `[\s\S]`
// in private-key) reads up to r.tail (8 KB) whether it matches or not, so
// on candidates closer together than that the searches overlap: it gets
// the text's length ("curl -H " repeated: 68 -> 16 ms of CPU for 64 KB;
// private-key headers with no end: 32 -> 16 ms), where the 8 times of the
// others keep one search per candidate on dense but ordinary text.
func (r *rule) budget(n int) int {
	if r.wild {
		return n + 1<<14
	}
	return 8*n + 1<<16
}

// endMemo is where mayEnd last looked: at is the first end byte at or
// after from (len(text) when there is none).
type endMemo struct {
	from, at int
	ok       bool
}

// mayEnd reports whether a match of anchored rule r whose tail starts at
// offset p can end within its reach (step 0 in plan.go): a byte of
// r.endSet in the r.tail+1 bytes from p, or the end of the text there when
// the rule may end with it. m remembers the last search: keyword hits come
// in order of their ends, so the text is read about once per rule however
// close together they are ("key=" repeated has no end byte, and no
// candidate then needs a regexp).
func (r *rule) mayEnd(text string, p int, m *endMemo) bool {
	if !r.end {
		return true
	}
	lim := min(len(text), p+r.tail+1)
	if lim == len(text) && r.endText {
		return true
	}
	e := p
	switch {
	case m.ok && m.from <= p && p <= m.at:
		e = m.at // no end byte in [from, at)
	case m.ok && p < m.from:
		for ; e < m.from && !r.endSet[text[e]]; e++ {
		}
		if e == m.from {
			e = m.at
		}
	default:
		for ; e < len(text) && !r.endSet[text[e]]; e++ {
		}
	}
	*m = endMemo{from: p, at: e, ok: true}
	return e < lim
}

// mayStart reports whether a match of anchored rule r may have its tail at
// offset p (steps 1 to 5 in plan.go). Step 5 is charged to *work; past
// budget it is skipped, and the candidates that pass steps 1 to 4 go to
// scanMerged, whose cost is bounded.
func (r *rule) mayStart(text string, p int, work *int, budget int) bool {
	if r.boundary && p > 0 && isWordByte(text[p-1]) == isWordByte(text[p]) {
		return false
	}
	if r.gate && !r.passGate(text[p:]) {
		return false
	}
	if r.sim != nil && !r.simulate(text[p:]) {
		return false
	}
	if r.pre != nil && !r.pre.get().MatchString(text[p:min(len(text), p+r.preLen+1)]) {
		return false
	}
	if *work > budget {
		return true
	}
	m := r.tailRe.get().FindStringIndex(text[p:min(len(text), p+r.tail+1)])
	if m == nil {
		// An anchored search stops when no thread is left: for a rule
		// that is not wild, within a few hundred bytes unless a long run
		// of one character class goes on, and such a run holds no other
		// occurrence that could go as far.
		if r.wild {
			*work += r.tail + 1
		} else {
			*work += min(r.tail+1, 256)
		}
		return false
	}
	*work += m[1]
	return true
}

// passGate reports whether s starts with r.gateMin to r.gateMax characters
// of r.gateSkip followed by a byte of r.gateNext.
func (r *rule) passGate(s string) bool {
	n := 0 // characters before s[i]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c&0xC0 == 0x80 { // inside a character
			if !r.gateSkip[c] {
				return false
			}
			continue
		}
		if n >= r.gateMin && r.gateNext[c] {
			return true
		}
		if n >= r.gateMax || !r.gateSkip[c] {
			return false
		}
		n++
	}
	return false
}

// scanEach runs anchored rule r's regex once per candidate (sorted by
// start) and takes the first match, so that the search stops soon after the
// candidate (step 6 in plan.go): anchored where the head's run before the
// keyword begins when the head is a class run, otherwise on the window from
// r.head+1 bytes before the candidate to r.tail+1 bytes after. A window starts no earlier than the end of
// the previous match: matches do not overlap, as in a search of the whole
// text. (Starting there loses the byte before it for a leading \b; the byte
// is the non-word byte that ended the previous match in every rule here.)
// The bytes searched are charged to *work; past budget it returns the
// candidates left, for scanMerged.
func (r *rule) scanEach(rs *ruleSet, text string, cs []cand, dst []found, work *int, budget int) ([]found, []cand, int) {
	pos := 0
	for i, c := range cs {
		if c.start < pos || i > 0 && c == cs[i-1] {
			continue
		}
		if *work > budget {
			return dst, cs[i:], pos
		}
		ws := max(pos, c.start-r.head-1, 0)
		we := min(len(text), c.start+r.tail+1)
		if r.headRun {
			// The leftmost start is where the run of head characters
			// before the keyword begins.
			s, n := c.start, 0
			for s > pos && n < r.headRunes && r.headClass[text[s-1]] {
				s--
				n++
			}
			if m := r.anch.get().FindStringSubmatchIndex(text[s:we]); m != nil {
				ms, me := s+m[0], s+m[1]
				*work += me - s
				if me < we || we == len(text) {
					dst = r.check(rs, text, m, s, dst)
					pos = max(me, ms+1)
				}
				continue
			}
			*work += c.start - s
			ws = s // no match from there: search, for the rare cases it misses
		}
		for ws < we {
			m := r.re.get().FindStringSubmatchIndex(text[ws:we])
			if m == nil {
				*work += we - ws
				break
			}
			ms, me := ws+m[0], ws+m[1]
			*work += me - ws
			if me == we && we < len(text) {
				break // the match may depend on what follows the window
			}
			dst = r.check(rs, text, m, ws, dst)
			pos = max(me, ms+1)
			ws = pos
			if me > c.start {
				break
			}
		}
	}
	return dst, nil, 0
}

// scanMerged runs r's regex over the union of the candidates' windows,
// each byte once: for rules without a plan (the keyword may be anywhere in
// the match, so a match is looked for within r.head+1 bytes of the keyword),
// and for anchored rules whose candidates are so many that one search per
// candidate would cost more than a few passes over the text. Windows start
// no earlier than from.
func (r *rule) scanMerged(rs *ruleSet, text string, cs []cand, from int, dst []found) []found {
	end := func(c cand) int {
		if r.anchored {
			return min(len(text), c.start+r.tail+1)
		}
		return min(len(text), c.end+r.tail+1)
	}
	for i := 0; i < len(cs); {
		ws, we := max(from, cs[i].start-r.head-1), end(cs[i])
		j := i + 1
		for ; j < len(cs) && cs[j].start-r.head-1 <= we; j++ {
			we = max(we, end(cs[j]))
		}
		i = j
		if ws >= we || r.runMin > 0 && !r.hasRun(text[ws:we]) {
			continue // no room for a match, or not the run every match holds
		}
		for _, m := range r.re.get().FindAllStringSubmatchIndex(text[ws:we], -1) {
			if ws+m[1] == we && we < len(text) {
				break // the match may depend on what follows the window
			}
			dst = r.check(rs, text, m, ws, dst)
		}
	}
	return dst
}

// check applies gitleaks' secret extraction, entropy threshold and
// allowlists to the match m (submatch indexes into text[off:]).
func (r *rule) check(rs *ruleSet, text string, m []int, off int, dst []found) []found {
	ms, me := off+m[0], off+m[1]
	for ms < me && text[ms] == '\n' {
		ms++
	}
	for me > ms && text[me-1] == '\n' {
		me--
	}
	ss, se := ms, me
	if len(m) > 2 {
		if r.secretGroup > 0 {
			if a := m[2*r.secretGroup]; a >= 0 {
				ss, se = off+a, off+m[2*r.secretGroup+1]
			} else {
				ss, se = ms, ms
			}
		} else {
			for g := 1; 2*g < len(m); g++ {
				if a, b := m[2*g], m[2*g+1]; a >= 0 && b > a {
					ss, se = off+a, off+b
					break
				}
			}
		}
	}
	secret, match := text[ss:se], text[ms:me]
	h := entropy(secret)
	if r.entropy != 0 && h <= r.entropy {
		return dst
	}
	// The line, cut to maxLine bytes either side of the match so that
	// many matches on one huge line cost no more than on short lines.
	ls := max(0, ms-maxLine)
	ls += strings.LastIndexByte(text[ls:ms], '\n') + 1
	le := min(len(text), me+maxLine)
	if i := strings.IndexByte(text[me:le], '\n'); i >= 0 {
		le = me + i
	}
	line := text[ls:max(le, me)]
	for _, a := range rs.global {
		if a.allowed(secret, match, line) {
			return dst
		}
	}
	for _, a := range r.allow {
		if a.allowed(secret, match, line) {
			return dst
		}
	}
	if se == ss { // an empty secret group: report the match
		ss, se = ms, me
	}
	return append(dst, found{r, ss, se, me - ms, h})
}

// score is how sure a finding is. A rule for a specific credential format
// (a distinctive prefix, or a service name next to an assignment) scores
// 0.9 or 0.8; a generic-api-key finding scores by how far the entropy of its
// secret is above the rule's threshold.
func (r *rule) score(h float64) float64 {
	switch {
	case r.generic:
		return detect.RoundScore(0.5 + 0.35*min(max(h-r.entropy, 0)/1.5, 1))
	case r.anchored && r.head == 0:
		return 0.9
	}
	return 0.8
}

// entropy is the Shannon entropy of s in bits per character, computed as
// gitleaks does (rune counts over the length in bytes).
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var ascii [128]int
	var other map[rune]int
	for _, c := range s {
		if c < 128 {
			ascii[c]++
			continue
		}
		if other == nil {
			other = map[rune]int{}
		}
		other[c]++
	}
	inv := 1 / float64(len(s))
	h := 0.0
	for _, n := range ascii {
		if n > 0 {
			f := float64(n) * inv
			h -= f * math.Log2(f)
		}
	}
	for _, n := range other {
		f := float64(n) * inv
		h -= f * math.Log2(f)
	}
	return h
}
