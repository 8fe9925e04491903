package pii

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Compiled numbering plans. Validating a candidate with
// phonenumbers.IsValidNumberForRegion costs a microsecond or more: the
// library builds "^(?:" + pattern + ")$" for each number type, looks the
// compiled regexp up in a cache guarded by a mutex, and runs it. This file
// compiles, once per region, the same patterns the library tests into one
// deterministic automaton over the ten digits, so that a validation is one
// table walk over the number's digits: no strings, no locks, no regexps.
//
// What the library does (phonenumberutil.go, v1.8.1), and what a plan
// reproduces:
//
//   - IsValidNumberForRegion(num, r): the metadata of r (of the calling code
//     for the non-geographical "001"), which must exist and, for a
//     geographical region, have num's calling code; then
//     getNumberTypeHelper(nsn, metadata) != UNKNOWN, where nsn is the
//     national significant number with its leading zeros.
//   - getNumberTypeHelper is UNKNOWN unless the general description
//     matches, and otherwise is not UNKNOWN exactly when one of premium rate,
//     toll free, shared cost, VoIP, personal number, pager, UAN, voicemail,
//     fixed line matches, or mobile when the metadata does not say mobile and
//     fixed-line patterns are the same (then mobile is never tested).
//   - isNumberMatchingDesc(nsn, desc): len(nsn) is one of desc's possible
//     lengths (any length when it lists none) and "^(?:pattern)$" matches.
//   - IsValidNumber(num) picks the region first (GetRegionCodeForNumber):
//     the only region of the calling code, or the first of its regions whose
//     leading digits pattern "^(?:leading)" matches a prefix of nsn or, when
//     it has none, for which getNumberTypeHelper is not UNKNOWN; no region
//     means not valid.
//
// A plan is an automaton whose state after reading nsn tells, for each of
// those patterns, whether it matches (the leading digits as a prefix, the
// others in full); the possible lengths are a table by length. The automaton
// is built from the regexps' own compiled programs (regexp/syntax, the
// parser regexp uses) by the subset construction, so it accepts exactly what
// regexp would. TestNumberPlans and FuzzNumberPlans compare plans with the
// library on every length each region allows, random digits and the
// metadata's example numbers; the byte-by-byte reference path of Phone
// (detect with skip false) still calls the library.

// Number descriptions, as bits of a plan's match masks.
const (
	descGeneral = iota
	descPremium
	descTollFree
	descSharedCost
	descVoip
	descPersonal
	descPager
	descUAN
	descVoicemail
	descFixed
	descMobile
	descLeading // leading digits, matched as a prefix
	numDescs
)

// maxNSN is the longest national significant number a plan validates
// (phonenumbers.MAX_LENGTH_FOR_NSN; national() refuses longer ones).
const maxNSN = 17

// maxPlanStates bounds one plan's automaton; a region whose patterns would
// need more is validated by the library (see numberPlan.lib).
const maxPlanStates = 1 << 15

// numberPlan validates national significant numbers of one region.
type numberPlan struct {
	region string
	// never is set when the library's IsValidNumberForRegion is false for
	// every number of this calling code (no metadata, another calling code).
	never bool
	// lib is set when the region's patterns could not be compiled: valid
	// then asks the library.
	lib bool
	cc  int32
	// hasLeading is set when the region has a leading digits pattern,
	// which GetRegionCodeForNumber uses instead of full validation;
	// leadingRe is that pattern, for a plan that asks the library.
	hasLeading bool
	leadingRe  *regexp.Regexp

	next  [][10]int32 // next[s][d]: state after digit d in state s; -1: no pattern can match
	match []uint16    // descriptions matching a number that ends in state s
	lens  [maxNSN + 1]uint16
	types uint16 // descriptions that make a number valid once the general one matches
}

// valid reports what IsValidNumberForRegion reports for nsn in p's region,
// and whether p's leading digits pattern matches a prefix of nsn.
func (p *numberPlan) valid(nsn []byte) (ok, leading bool) {
	if p.never || len(nsn) == 0 || len(nsn) > maxNSN {
		return false, false
	}
	if p.lib {
		return p.libValid(nsn)
	}
	s := int32(0)
	for _, c := range nsn {
		d := c - '0'
		if d > 9 {
			return false, false // not a digit: no pattern matches it
		}
		if s = p.next[s][d]; s < 0 {
			return false, false
		}
	}
	m := p.match[s]
	leading = m&(1<<descLeading) != 0
	m &= p.lens[len(nsn)]
	return m&(1<<descGeneral) != 0 && m&p.types != 0, leading
}

// libValid is valid by the library, for a region that has no automaton.
func (p *numberPlan) libValid(nsn []byte) (ok, leading bool) {
	num := new(numBuf).national(p.cc, nsn)
	if num == nil {
		return false, false
	}
	ok = phonenumbers.IsValidNumberForRegion(num, p.region)
	leading = p.leadingRe != nil && p.leadingRe.MatchString(string(nsn)) // a copy: Match would make nsn escape
	return ok, leading
}

var metaOnce = sync.OnceValues(func() (map[string]*phonenumbers.PhoneMetadata, map[int32]*phonenumbers.PhoneMetadata) {
	geo := map[string]*phonenumbers.PhoneMetadata{}
	nonGeo := map[int32]*phonenumbers.PhoneMetadata{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		// The library panics at init when its embedded metadata does not
		// load, so this is unreachable; no plan then validates anything.
		return geo, nonGeo
	}
	for _, m := range coll.GetMetadata() {
		if m.GetId() == "001" {
			nonGeo[m.GetCountryCode()] = m
		} else {
			geo[m.GetId()] = m
		}
	}
	return geo, nonGeo
})

// newNumberPlan compiles region's plan for calling code cc, with an
// automaton of at most maxStates states (maxPlanStates; tests force the
// library fallback with fewer).
func newNumberPlan(region string, cc int32, maxStates int) *numberPlan {
	p := &numberPlan{region: region, cc: cc}
	geo, nonGeo := metaOnce()
	var m *phonenumbers.PhoneMetadata
	if region == "001" {
		if phonenumbers.GetRegionCodesForCountryCode(int(cc)) != nil {
			m = nonGeo[cc]
		}
	} else if rc := phonenumbers.GetCountryCodeForRegion(region); rc != 0 {
		m = geo[region]
		if m.GetCountryCode() != cc {
			m = nil
		}
	}
	if m == nil {
		p.never = true
		return p
	}
	descs := [numDescs - 1]*phonenumbers.PhoneNumberDesc{
		descGeneral: m.GetGeneralDesc(), descPremium: m.GetPremiumRate(), descTollFree: m.GetTollFree(),
		descSharedCost: m.GetSharedCost(), descVoip: m.GetVoip(), descPersonal: m.GetPersonalNumber(),
		descPager: m.GetPager(), descUAN: m.GetUan(), descVoicemail: m.GetVoicemail(),
		descFixed: m.GetFixedLine(), descMobile: m.GetMobile(),
	}
	var pats []string
	var prefix []bool
	for k, d := range descs {
		if d == nil {
			// The library would dereference it; the embedded metadata
			// has every description (TestNumberPlans).
			p.never = true
			return p
		}
		pats = append(pats, "^(?:"+d.GetNationalNumberPattern()+")$")
		prefix = append(prefix, false)
		if len(d.PossibleLength) == 0 {
			for n := range p.lens {
				p.lens[n] |= 1 << k
			}
		}
		for _, n := range d.PossibleLength {
			if n >= 0 && int(n) < len(p.lens) {
				p.lens[n] |= 1 << k
			}
		}
		if k != descGeneral && (k != descMobile || !m.GetSameMobileAndFixedLinePattern()) {
			p.types |= 1 << k
		}
	}
	ld := m.GetLeadingDigits()
	if ld != "" {
		pats = append(pats, "^(?:"+ld+")")
		prefix = append(prefix, true)
		p.hasLeading = true
	}
	for n := range p.lens {
		p.lens[n] |= 1 << descLeading
	}
	next, match, err := compileDigitDFA(pats, prefix, maxStates)
	if err != nil {
		p.lib = true
		if ld != "" {
			p.leadingRe, err = regexp.Compile("^(?:" + ld + ")")
			if err != nil {
				p.never = true // the library would panic on it (MustCompile)
			}
		}
		return p
	}
	p.next, p.match = next, match
	return p
}

// callingCode holds the plans of the regions of one calling code, in the
// library's order (the main region first), built on first use.
type callingCode struct {
	once  sync.Once
	plans []*numberPlan
}

var callingCodes [1000]callingCode

// validIntlNSN reports what phonenumbers.IsValidNumber reports for the
// number of calling code cc and national significant number nsn.
func validIntlNSN(cc int, nsn []byte) bool {
	if cc < 0 || cc >= len(callingCodes) || len(nsn) == 0 || len(nsn) > maxNSN {
		return false
	}
	c := &callingCodes[cc]
	c.once.Do(func() {
		for _, r := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			c.plans = append(c.plans, newNumberPlan(r, int32(cc), maxPlanStates))
		}
	})
	switch len(c.plans) {
	case 0:
		return false
	case 1:
		ok, _ := c.plans[0].valid(nsn)
		return ok
	}
	// Several regions share the code: the number is valid when it is
	// valid for the region GetRegionCodeForNumber picks.
	for _, p := range c.plans {
		ok, leading := p.valid(nsn)
		if p.hasLeading {
			if leading {
				return ok
			}
		} else if ok {
			return true
		}
	}
	return false
}

var errTooManyStates = errors.New("too many states")

// compileDigitDFA builds a deterministic automaton over the digits 0-9 that
// runs the regexps pats at once from the start of the input: bit k of
// match[s] is set when pats[k] matches the input read so far in full, or,
// when prefix[k], matches a prefix of it. State 0 is the start state.
//
// The automaton simulates the regexps' own compiled programs: a state is the
// set of program counters the Pike VM would hold after the input (after
// following empty transitions), plus the bits of the prefix patterns that
// already matched (they stay set, and their threads are dropped). Only the
// empty-width assertions of text begin and end are supported: "^" holds at
// the start, "$" is checked when the input ends (a thread waiting on it is
// kept in the set); anything else (word boundaries) is an error.
func compileDigitDFA(pats []string, prefix []bool, maxStates int) (next [][10]int32, match []uint16, err error) {
	if len(pats) > 16 {
		return nil, nil, fmt.Errorf("%d patterns, at most 16", len(pats))
	}
	type inst struct {
		syntax.Inst
		pat int // index of the pattern
	}
	// One program holding every pattern's instructions; starts[k] is the
	// first instruction of pattern k.
	var prog []inst
	var starts []uint32
	for k, pat := range pats {
		re, err := syntax.Parse(pat, syntax.Perl)
		if err != nil {
			return nil, nil, fmt.Errorf("parse %q: %w", pat, err)
		}
		p, err := syntax.Compile(re.Simplify())
		if err != nil {
			return nil, nil, fmt.Errorf("compile %q: %w", pat, err)
		}
		off := uint32(len(prog))
		for _, in := range p.Inst {
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				in.Out += off
				in.Arg += off
			case syntax.InstMatch, syntax.InstFail:
			default:
				in.Out += off
			}
			prog = append(prog, inst{in, k})
		}
		starts = append(starts, off+uint32(p.Start))
	}

	const begin = syntax.EmptyBeginLine | syntax.EmptyBeginText
	const end = syntax.EmptyEndLine | syntax.EmptyEndText
	// closure adds to set the instructions reachable from pc without input
	// (only the ones that consume a digit, match or wait for the end), and
	// returns the bits of the prefix patterns that reach their match. As in
	// the Pike VM, an instruction is visited once per step (gen): what it
	// leads to does not depend on the path to it.
	seen := make([]uint32, len(prog))
	gen := uint32(0)
	var closure func(set []uint32, pc uint32, atStart, atEnd bool) ([]uint32, uint16, error)
	closure = func(set []uint32, pc uint32, atStart, atEnd bool) ([]uint32, uint16, error) {
		if seen[pc] == gen {
			return set, 0, nil
		}
		seen[pc] = gen
		in := &prog[pc]
		switch in.Op {
		case syntax.InstFail:
			return set, 0, nil
		case syntax.InstMatch:
			if prefix[in.pat] {
				return set, 1 << in.pat, nil
			}
			return append(set, pc), 0, nil
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			return append(set, pc), 0, nil
		case syntax.InstCapture, syntax.InstNop:
			return closure(set, in.Out, atStart, atEnd)
		case syntax.InstAlt, syntax.InstAltMatch:
			set, m1, err := closure(set, in.Out, atStart, atEnd)
			if err != nil {
				return nil, 0, err
			}
			set, m2, err := closure(set, in.Arg, atStart, atEnd)
			return set, m1 | m2, err
		case syntax.InstEmptyWidth:
			need := syntax.EmptyOp(in.Arg)
			if need&^(begin|end) != 0 {
				return nil, 0, fmt.Errorf("pattern %q: unsupported assertion %v", pats[in.pat], need)
			}
			if need&begin != 0 && !atStart {
				return set, 0, nil
			}
			if need&end != 0 && !atEnd {
				return append(set, pc), 0, nil // waits for the end
			}
			return closure(set, in.Out, atStart, atEnd)
		}
		return nil, 0, fmt.Errorf("pattern %q: unsupported instruction %v", pats[in.pat], in.Op)
	}
	// normalize sorts and dedups a state's set, dropping the threads of
	// prefix patterns that already matched.
	normalize := func(set []uint32, sticky uint16) []uint32 {
		set = slices.DeleteFunc(set, func(pc uint32) bool { return sticky&(1<<prog[pc].pat) != 0 })
		slices.Sort(set)
		return slices.Compact(set)
	}
	key := func(set []uint32, sticky uint16) string {
		b := make([]byte, 0, 2+4*len(set))
		b = append(b, byte(sticky), byte(sticky>>8))
		for _, pc := range set {
			b = append(b, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
		}
		return string(b)
	}
	type state struct {
		set    []uint32
		sticky uint16
	}
	var states []state
	ids := map[string]int32{}
	add := func(set []uint32, sticky uint16) (int32, error) {
		set = normalize(set, sticky)
		if len(set) == 0 && sticky == 0 {
			return -1, nil
		}
		k := key(set, sticky)
		if id, ok := ids[k]; ok {
			return id, nil
		}
		if len(states) >= maxStates {
			return 0, errTooManyStates
		}
		id := int32(len(states))
		ids[k] = id
		states = append(states, state{set, sticky})
		return id, nil
	}

	var set []uint32
	var sticky uint16
	gen++
	for _, pc := range starts {
		var m uint16
		if set, m, err = closure(set, pc, true, false); err != nil {
			return nil, nil, err
		}
		sticky |= m
	}
	if _, err := add(set, sticky); err != nil {
		return nil, nil, err
	}
	for s := 0; s < len(states); s++ {
		st := states[s]
		// What matches when the input ends here: a match instruction in
		// the set, or one reached through a "$" the thread waited on.
		m := st.sticky
		gen++
		for _, pc := range st.set {
			in := &prog[pc]
			switch in.Op {
			case syntax.InstMatch:
				m |= 1 << in.pat
			case syntax.InstEmptyWidth:
				var ends []uint32
				var pm uint16
				if ends, pm, err = closure(nil, in.Out, false, true); err != nil {
					return nil, nil, err
				}
				m |= pm
				for _, e := range ends {
					if prog[e].Op == syntax.InstMatch {
						m |= 1 << prog[e].pat
					}
				}
			}
		}
		match = append(match, m)
		var row [10]int32
		for d := range 10 {
			var nset []uint32
			nsticky := st.sticky
			gen++
			for _, pc := range st.set {
				in := &prog[pc]
				switch in.Op {
				case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				default:
					continue
				}
				if !in.MatchRune(rune('0' + d)) {
					continue
				}
				var pm uint16
				if nset, pm, err = closure(nset, in.Out, false, false); err != nil {
					return nil, nil, err
				}
				nsticky |= pm
			}
			if row[d], err = add(nset, nsticky); err != nil {
				return nil, nil, err
			}
		}
		next = append(next, row)
	}
	return next, match, nil
}
