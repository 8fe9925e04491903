// Package textnorm folds text into a canonical form for pattern matching and
// maps spans of the folded text back to byte offsets in the original.
//
// It undoes simple evasion: letter case, runs of whitespace, invisible
// characters (zero-width, bidi controls, variation selectors, soft hyphens),
// Unicode "tag" characters used to smuggle ASCII, fullwidth forms,
// mathematical and circled letters, common Cyrillic and Greek look-alikes,
// curly quotes and dashes. It does no I/O and allocates only the two buffers
// of a Text, which a caller may reuse.
package textnorm

import (
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

// Text is a folded copy of a source string.
//
// Norm is valid UTF-8 in which ASCII letters are lower case, every run of
// horizontal whitespace is one space, whitespace at the start and end of a
// line is removed, and every line break ("\n", "\r\n", "\r", U+2028, …) is
// one '\n'. Each byte of Norm comes from exactly one unit of the source (a
// rune, or one byte of invalid UTF-8); invalid bytes and invisible characters
// produce nothing.
type Text struct {
	Norm []byte
	src  string
	// marks map Norm back to the source, sparsely: Norm[k] comes from the
	// source offset of the last mark m with m.norm <= k, plus k-m.norm
	// unless m.rune (every byte a folded rune produces comes from the
	// rune's offset). ASCII text copied one to one needs one mark per run,
	// so folding costs little more than a lower-casing copy; Offset finds
	// the mark by binary search.
	marks []mark
}

type mark struct {
	norm, src int
	rune      bool
}

// Byte kinds of ASCII for the fast path of Reset.
const (
	aPlain   = iota // produces itself, lower-cased
	aSpace          // horizontal whitespace and control characters
	aNewline        // '\n', '\v', '\f'
	aCR             // '\r'
)

var asciiKind = func() (k [utf8.RuneSelf]uint8) {
	for c := range k {
		switch {
		case c == '\n' || c == '\v' || c == '\f':
			k[c] = aNewline
		case c == '\r':
			k[c] = aCR
		case c == ' ' || c == '\t' || c < 0x20 || c == 0x7f:
			k[c] = aSpace
		}
	}
	return k
}()

// plain reports the ASCII bytes that produce themselves, lower-cased.
var plain = func() (p [256]bool) {
	for c := range utf8.RuneSelf {
		p[c] = asciiKind[c] == aPlain
	}
	return p
}()

// blank reports the ASCII bytes that fold into a space.
var blank = func() (p [256]bool) {
	for c := range utf8.RuneSelf {
		p[c] = asciiKind[c] == aSpace
	}
	return p
}()

// blank8 marks the lanes of x holding a blank byte (see blank), for the
// fast path of Reset, which tests eight bytes of source at once (see swar).
func blank8(x uint64) uint64 {
	control := swar.Range8(x, 0, 0x1f) &^ swar.Range8(x, '\n', '\r') // but line breaks: '\n', '\v', '\f', '\r'
	return control | swar.Equal8(x, ' ') | swar.Equal8(x, 0x7f)
}

// plainAfter has the high bit of the last lane set for a plain byte: what
// Reset's fast path needs to know of the byte after its eight.
var plainAfter = func() (t [256]uint64) {
	for c := range t {
		if plain[c] {
			t[c] = 1 << 63
		}
	}
	return t
}()

// Reset folds src into t, reusing t's buffers.
func (t *Text) Reset(src string) {
	t.src = src
	if cap(t.Norm) < len(src) {
		t.Norm = make([]byte, 0, len(src))
	}
	norm := t.Norm[:0]
	t.marks = t.marks[:0]

	// linear is the source offset a byte appended now must come from to
	// continue the last mark one to one; -1 after a rune's bytes.
	linear := -1
	at1 := func(at int) { // the next byte comes from at, one to one
		if at != linear {
			t.marks = append(t.marks, mark{norm: len(norm), src: at})
		}
		linear = at + 1
	}
	pendingSpace, spaceOff := false, 0
	space := func() {
		pendingSpace = false
		if n := len(norm); n > 0 && norm[n-1] != '\n' {
			at1(spaceOff)
			norm = append(norm, ' ')
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			switch asciiKind[c] {
			case aPlain:
				if pendingSpace {
					space()
				}
				at1(i)
				// The rest of the run of bytes copied one to one (plain
				// bytes, line breaks and single spaces between words),
				// eight bytes at a time.
				j := i
				nl0 := uint64(0) // the run starts with a plain byte
				for {
					var x, after uint64
					if j+9 <= len(src) {
						x = swar.Load64(src, j)
						after = plainAfter[src[j+8]]
					} else {
						// The last bytes; the zero lanes past the end are
						// not plain, so they stop the run.
						for q := j; q < len(src); q++ {
							x |= uint64(src[q]) << (8 * (q - j))
						}
					}
					// How many of the eight bytes, from the first,
					// continue the run (bytes that each produce
					// themselves, lower-cased): a plain byte, a '\n', or
					// a space before a plain byte, unless it starts a
					// line. after tells of the byte after x, nl0 of the
					// byte before it (a '\n': the high bit of lane 0).
					// Written out here: as a function it is not inlined.
					plainLanes := swar.Range8(x, '!', '~') // the plain bytes
					space, nl := swar.Equal8(x, ' '), swar.Equal8(x, '\n')
					ok := plainLanes | nl | space&(plainLanes>>8|after)&^(nl<<8|nl0)
					k := bits.TrailingZeros64(^ok&swar.Lanes8) >> 3
					nl0 = nl >> 56
					norm = binary.LittleEndian.AppendUint64(norm, swar.Lower8(x))
					if k < 8 {
						norm = norm[:len(norm)-8+k] // drop the lanes past the run
						j += k
						break
					}
					// Not j += k: the next load must not wait for k.
					j += 8
				}
				i, linear = j, j
			case aSpace:
				if !pendingSpace {
					pendingSpace, spaceOff = true, i
				}
				// The rest of the blanks, eight bytes at a time while
				// all are (the padding of tables and code runs long).
				for i++; i+8 <= len(src); i += 8 {
					if b := blank8(swar.Load64(src, i)); b != swar.Lanes8 {
						i += bits.TrailingZeros64(^b&swar.Lanes8) >> 3
						break
					}
				}
				for ; i < len(src) && blank[src[i]]; i++ {
				}
			case aCR:
				if i+1 < len(src) && src[i+1] == '\n' {
					i++ // "\r\n" is one line break, produced by the '\n'
					continue
				}
				fallthrough
			case aNewline:
				pendingSpace = false // drop whitespace at the end of a line
				at1(i)
				norm = append(norm, '\n')
				i++
			}
			continue
		}
		at := i
		r, w := utf8.DecodeRuneInString(src[i:])
		i += w
		if r == utf8.RuneError && w == 1 {
			continue // invalid byte: produces nothing
		}
		r = fold(r)
		switch {
		case r < 0:
			// invisible
		case r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029:
			pendingSpace = false
			at1(at)
			norm = append(norm, '\n')
		case r == ' ' || r == '\t' || r < 0x20 || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r):
			if !pendingSpace {
				pendingSpace, spaceOff = true, at
			}
		case r < utf8.RuneSelf:
			if pendingSpace {
				space()
			}
			at1(at)
			norm = append(norm, swar.LowerASCII(byte(r)))
		default:
			if pendingSpace {
				space()
			}
			t.marks = append(t.marks, mark{norm: len(norm), src: at, rune: true})
			linear = -1
			norm = utf8.AppendRune(norm, r)
		}
	}
	t.Norm = norm
}

// Source returns the string last passed to Reset.
func (t *Text) Source() string { return t.src }

// Span maps the folded span Norm[ns:ne] to the source span [start, end). An
// empty span maps to an empty span at the source offset of Norm[ns] (or the
// end of the source). Both offsets fall on unit boundaries of the source.
func (t *Text) Span(ns, ne int) (start, end int) {
	if ns >= len(t.Norm) {
		return len(t.src), len(t.src)
	}
	start = t.Offset(ns)
	if ne <= ns {
		return start, start
	}
	last := t.Offset(ne - 1)
	return start, last + unitLen(t.src, last)
}

// Offset returns the source offset of the unit that produced Norm[i], or
// len(source) when i is past the end.
func (t *Text) Offset(i int) int {
	if i >= len(t.Norm) || i < 0 {
		return len(t.src)
	}
	// The last mark at or before i (marks[0].norm is 0 when Norm is not
	// empty).
	lo, hi := 0, len(t.marks)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if t.marks[mid].norm <= i {
			lo = mid
		} else {
			hi = mid
		}
	}
	m := t.marks[lo]
	if m.rune {
		return m.src
	}
	return m.src + i - m.norm
}

func unitLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, w := utf8.DecodeRuneInString(s[i:])
	return w
}

// Fold maps a non-ASCII rune to the rune it is matched as, or -1 when it
// is invisible and dropped, as Reset does: detectors use it to tell cheaply
// whether a character may fold into something they look for.
func Fold(r rune) rune { return fold(r) }

// fold maps a non-ASCII rune to the rune it is matched as, or -1 when it is
// invisible and must be dropped.
func fold(r rune) rune {
	switch {
	case r == 0xAD, r == 0x34F, r == 0x61C, r == 0x115F, r == 0x1160, r == 0x17B4, r == 0x17B5, r == 0x180E,
		r >= 0x200B && r <= 0x200F, // zero-width space/joiners, LRM, RLM
		r >= 0x202A && r <= 0x202E, // bidi embeddings and overrides
		r >= 0x2060 && r <= 0x206F, // word joiner, invisible operators, bidi isolates
		r == 0x3164, r == 0xFEFF, r == 0xFFA0,
		r >= 0xFE00 && r <= 0xFE0F,   // variation selectors
		r >= 0xE0100 && r <= 0xE01EF, // variation selectors supplement
		r == 0xE0001, r == 0xE007F:   // tag begin/cancel
		return -1
	case r >= 0xE0020 && r <= 0xE007E: // tag characters smuggle ASCII
		return r - 0xE0000
	case r >= 0xFF01 && r <= 0xFF5E: // fullwidth ASCII
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	case r >= 0x1D400 && r <= 0x1D6A3: // mathematical alphanumeric letters
		k := (r - 0x1D400) % 52
		if k < 26 {
			return 'a' + k
		}
		return 'a' + k - 26
	case r >= 0x1D7CE && r <= 0x1D7FF: // mathematical digits
		return '0' + (r-0x1D7CE)%10
	case r >= 0x24B6 && r <= 0x24CF: // circled capital letters
		return 'a' + r - 0x24B6
	case r >= 0x24D0 && r <= 0x24E9: // circled small letters
		return 'a' + r - 0x24D0
	}
	if m, ok := lookalike[r]; ok {
		return m
	}
	return unicode.ToLower(r)
}

// lookalike maps punctuation variants and letters that render like ASCII
// letters to that ASCII character.
var lookalike = map[rune]rune{
	// quotes, primes and dashes
	0x2018: '\'', 0x2019: '\'', 0x201A: '\'', 0x201B: '\'', 0x2032: '\'', 0x02BC: '\'',
	0x201C: '"', 0x201D: '"', 0x201E: '"', 0x201F: '"', 0x2033: '"', 0x00AB: '"', 0x00BB: '"',
	0x2010: '-', 0x2011: '-', 0x2012: '-', 0x2013: '-', 0x2014: '-', 0x2015: '-', 0x2212: '-',
	0x2024: '.', 0x2026: '.', 0xFE52: '.', 0x3002: '.',
	0x2044: '/', 0x2215: '/', 0x2581: '_',
	0xFE64: '<', 0xFE65: '>', 0x2039: '<', 0x203A: '>', 0x2329: '<', 0x232A: '>', 0x27E8: '<', 0x27E9: '>',
	0x01C0: '|', 0x2223: '|',
	// Cyrillic
	0x0430: 'a', 0x0410: 'a', 0x0412: 'b', 0x0435: 'e', 0x0415: 'e', 0x0451: 'e', 0x041A: 'k', 0x043A: 'k',
	0x041C: 'm', 0x041D: 'h', 0x043E: 'o', 0x041E: 'o', 0x0440: 'p', 0x0420: 'p', 0x0441: 'c', 0x0421: 'c',
	0x0422: 't', 0x0443: 'y', 0x0423: 'y', 0x0445: 'x', 0x0425: 'x', 0x0456: 'i', 0x0406: 'i', 0x0458: 'j',
	0x0408: 'j', 0x0455: 's', 0x0405: 's', 0x0501: 'd', 0x051B: 'q', 0x051D: 'w', 0x04BB: 'h', 0x0261: 'g',
	// Greek
	0x03BF: 'o', 0x039F: 'o', 0x0391: 'a', 0x0392: 'b', 0x0395: 'e', 0x0396: 'z', 0x0397: 'h', 0x0399: 'i',
	0x039A: 'k', 0x039C: 'm', 0x039D: 'n', 0x03A1: 'p', 0x03A4: 't', 0x03A5: 'y', 0x03A7: 'x', 0x03B9: 'i',
	0x03BD: 'v', 0x03C1: 'p',
	// Latin small capitals and dotless i
	0x0131: 'i', 0x1D00: 'a', 0x0299: 'b', 0x1D04: 'c', 0x1D05: 'd', 0x1D07: 'e', 0x0262: 'g', 0x029C: 'h',
	0x026A: 'i', 0x1D0A: 'j', 0x1D0B: 'k', 0x029F: 'l', 0x1D0D: 'm', 0x0274: 'n', 0x1D0F: 'o', 0x1D18: 'p',
	0x0280: 'r', 0x1D1B: 't', 0x1D1C: 'u', 0x1D20: 'v', 0x1D21: 'w', 0x028F: 'y', 0x1D22: 'z',
}
