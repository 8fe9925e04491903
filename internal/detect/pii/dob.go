package pii

import (
	"github.com/modelspec/modelspec/internal/detect"
)

// DOB finds dates of birth. A date counts as one when a birth cue ("born",
// "date of birth", "DOB", "birthday", "b.") stands in the 48 bytes before
// it: "dob_cue", 0.9. A full date with no cue whose year lies in
// [MinBirthYear, MaxBirthYear] is reported as "date_birth_range" with score
// 0.35, below DefaultMinScore: New reports only cued dates, and the zero
// value also the dates that could be birth dates, for recall-oriented use.
// Dates followed by a time of day ("2000-04-16 11:34") are timestamps and
// never score above 0.2 without a cue.
//
// Dates are numeric (M/D/YYYY, D/M/YYYY, D.M.YYYY, YYYY-MM-DD, M-D-YY) or
// written with a month name ("12 March 1985", "March 12, 1985", "Mar 12th
// 1985"); a numeric date must be valid in the month-first or the day-first
// reading. The range is fixed, not read from the clock, so that a decision
// can be replayed exactly.
type DOB struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*DOB)(nil)

// NewDOB returns a date-of-birth detector reporting findings from
// DefaultMinScore.
func NewDOB() *DOB { return &DOB{MinScore: DefaultMinScore} }

// ID returns "detect.pii.dob".
func (*DOB) ID() string { return IDPrefix + CatDOB }

// The years in which a date without a birth cue may be a birth date.
const (
	MinBirthYear = 1920
	MaxBirthYear = 2012
)

var dobCues = []string{"born", "birth", "dob", "d.o.b", "birthday", "birthdate", "b", "bday", "date of birth", "né", "née", "geboren"}

var months = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

// monthFirst marks the first letters of the month names, in both cases.
var monthFirst = func() (t [256]bool) {
	for m := range months {
		t[m[0]] = true
		t[m[0]-'a'+'A'] = true
	}
	return t
}()

// Detect returns one finding per date of birth.
func (d *DOB) Detect(text string) []detect.Finding { return d.detect(text, true) }

// detect is Detect; skip as in scan.go.
func (d *DOB) detect(text string, skip bool) []detect.Finding {
	em := newEmitter(IDPrefix+CatDOB, CatDOB, d.MinScore)
	i, nd := 0, -1 // nd: the first digit at or after i
	for i < len(text) {
		if skip && nd < i {
			// Every date holds a digit. One that starts before its first
			// digit, nd, starts with a month name (monthDayYear), and
			// only '.' and spaces stand between the month and the day:
			// only the word right before nd can start it.
			nd = indexDigit(text, i)
			if nd == len(text) {
				break
			}
			if p := monthWordBefore(text, i, nd); p >= 0 {
				if end := monthDayYear(text, p); end != 0 {
					d.report(text, p, end, &em)
					i = end
					continue
				}
			}
			i = max(i, nd)
		}
		c := text[i]
		if !isAlnum(c) || wordBefore(text, i) {
			i++
			continue
		}
		var end int
		if isDigit(c) {
			end = numericDate(text, i)
			if end == 0 {
				end = dayMonthYear(text, i)
			}
		} else {
			end = monthDayYear(text, i)
		}
		if end == 0 {
			// Skip the rest of the word.
			for i < len(text) && isAlnum(text[i]) {
				i++
			}
			continue
		}
		d.report(text, i, end, &em)
		i = end
	}
	return em.out
}

// monthWordBefore returns where the scan of every byte from i tries
// monthDayYear on a date whose day is the digit at nd, the first digit at
// or after i: the start of the run of ASCII letters, at most nine, that
// ends right before an optional '.' and one to three spaces before nd, if
// it is at or after i and opens a word; -1 when there is none. At any
// other byte from i to nd the scan tries nothing or fails: a month name is
// letters that run to the end of their word, and after it monthDayYear
// reads only '.', spaces and then the day, a digit, which is nd.
func monthWordBefore(text string, i, nd int) int {
	k := nd
	for k > i && nd-k < 3 && text[k-1] == ' ' {
		k--
	}
	if k == nd || k > i && text[k-1] == ' ' {
		return -1 // no space, or more than three
	}
	if k > i && text[k-1] == '.' {
		k--
	}
	e := k
	for k > i && e-k < 10 && isAlpha(text[k-1]) {
		k--
	}
	if e-k < 3 || e-k > 9 || wordBefore(text, k) {
		return -1
	}
	return k
}

func (d *DOB) report(text string, s, e int, em *emitter) {
	if hasCue(text, s, dobCues) {
		em.add(0.9, s, e, "dob_cue")
		return
	}
	year := lastYear(text[s:e])
	if year < MinBirthYear || year > MaxBirthYear {
		return
	}
	score := 0.35
	if timeFollows(text, e) {
		score = 0.2
	}
	em.add(score, s, e, "date_birth_range")
}

// num reads up to max digits at i.
func num(text string, i, max int) (v, n int) {
	for n < max && i+n < len(text) && isDigit(text[i+n]) {
		v = v*10 + int(text[i+n]-'0')
		n++
	}
	return v, n
}

// numericDate matches a numeric date at i and returns its end, or 0.
func numericDate(text string, i int) int {
	a, na := num(text, i, 5)
	if na == 0 || na > 4 || i+na >= len(text) {
		return 0
	}
	sep := text[i+na]
	if sep != '/' && sep != '-' && sep != '.' {
		return 0
	}
	j := i + na + 1
	b, nb := num(text, j, 3)
	if nb == 0 || nb > 2 || j+nb >= len(text) || text[j+nb] != sep {
		return 0
	}
	k := j + nb + 1
	c, nc := num(text, k, 5)
	end := k + nc
	if wordAfter(text, end) || end < len(text)-1 && (text[end] == sep || text[end] == '.') && isDigit(text[end+1]) {
		return 0
	}
	switch {
	case na == 4 && nc <= 2 && nc > 0: // YYYY-MM-DD
		if validDate(a, b, c) {
			return end
		}
	case na <= 2 && (nc == 4 || nc == 2):
		y := c
		if nc == 2 {
			y += 1900
			if c < 30 {
				y += 100
			}
		}
		if validDate(y, a, b) || validDate(y, b, a) {
			return end
		}
	}
	return 0
}

func validDate(y, m, d int) bool {
	if y < 1800 || y > 2100 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	return d <= days[m]
}

// monthAt reads a month name at i and returns its number and end.
func monthAt(text string, i int) (m, end int) {
	if i >= len(text) || !monthFirst[text[i]] {
		return 0, 0 // most words: no month opens with their letter
	}
	j := i
	for j < len(text) && j-i < 10 && isAlpha(text[j]) {
		j++
	}
	if j-i < 3 || j-i > 9 || wordAfter(text, j) {
		return 0, 0
	}
	var arr [10]byte
	m = months[string(lowerWindow(arr[:0], text, i, j))]
	if m == 0 {
		return 0, 0
	}
	if j < len(text) && text[j] == '.' {
		j++
	}
	return m, j
}

// dayNum reads a day of month with an optional ordinal suffix at i.
func dayNum(text string, i int) (d, end int) {
	d, n := num(text, i, 3)
	if n == 0 || n > 2 || d < 1 || d > 31 {
		return 0, 0
	}
	j := i + n
	if j+2 <= len(text) {
		switch a, b := text[j]|0x20, text[j+1]|0x20; {
		case a == 's' && b == 't', a == 'n' && b == 'd', a == 'r' && b == 'd', a == 't' && b == 'h':
			j += 2
		}
	}
	if wordAfter(text, j) {
		return 0, 0
	}
	return d, j
}

// yearAt reads a four-digit year after spaces (and an optional comma).
func yearAt(text string, i int) int {
	if i < len(text) && text[i] == ',' {
		i++
	}
	s := i
	for i < len(text) && i-s < 3 && text[i] == ' ' {
		i++
	}
	if i == s {
		return 0
	}
	y, n := num(text, i, 5)
	if n != 4 || wordAfter(text, i+n) || y < 1800 || y > 2100 {
		return 0
	}
	return i + n
}

func skipSpaces(text string, i int) int {
	s := i
	for i < len(text) && i-s < 3 && text[i] == ' ' {
		i++
	}
	return i
}

// dayMonthYear matches "12 March 1985" and "12th of March 1985" at i.
func dayMonthYear(text string, i int) int {
	_, j := dayNum(text, i)
	if j == 0 {
		return 0
	}
	k := skipSpaces(text, j)
	if k == j {
		return 0
	}
	if k+3 <= len(text) && text[k:k+3] == "of " {
		k += 3
	}
	m, e := monthAt(text, k)
	if m == 0 {
		return 0
	}
	return yearAt(text, e)
}

// monthDayYear matches "March 12, 1985" and "Mar 12th 1985" at i.
func monthDayYear(text string, i int) int {
	m, e := monthAt(text, i)
	if m == 0 {
		return 0
	}
	k := skipSpaces(text, e)
	if k == e {
		return 0
	}
	_, j := dayNum(text, k)
	if j == 0 {
		return 0
	}
	return yearAt(text, j)
}

// lastYear returns the year of a matched date: its last four-digit number,
// or its two-digit year mapped as numericDate does, or its first four
// digits (YYYY-MM-DD).
func lastYear(s string) int {
	if v, n := num(s, 0, 5); n == 4 {
		return v // YYYY-MM-DD
	}
	e := len(s)
	st := e
	for st > 0 && isDigit(s[st-1]) {
		st--
	}
	v, n := num(s, st, 4)
	if n == 2 {
		v += 1900
		if v < 1930 {
			v += 100
		}
	}
	return v
}

// timeFollows reports whether a time of day ("11:34", "T09:00") follows e.
func timeFollows(text string, e int) bool {
	i := e
	if i < len(text) && (text[i] == ' ' || text[i] == 'T') {
		i++
	}
	_, n := num(text, i, 3)
	return n >= 1 && n <= 2 && i+n < len(text) && text[i+n] == ':'
}
