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
	"unicode"
	"unicode/utf8"
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
	off  []int // off[i] is the source offset of the unit that produced Norm[i]
}

// Reset folds src into t, reusing t's buffers.
func (t *Text) Reset(src string) {
	t.src = src
	if cap(t.Norm) < len(src) {
		t.Norm = make([]byte, 0, len(src))
		t.off = make([]int, 0, len(src))
	}
	t.Norm, t.off = t.Norm[:0], t.off[:0]

	pendingSpace, spaceOff := false, 0
	emit := func(c byte, at int) {
		if pendingSpace {
			pendingSpace = false
			if n := len(t.Norm); n > 0 && t.Norm[n-1] != '\n' {
				t.Norm = append(t.Norm, ' ')
				t.off = append(t.off, spaceOff)
			}
		}
		t.Norm = append(t.Norm, c)
		t.off = append(t.off, at)
	}
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(src); {
		at := i
		c := src[i]
		var r rune
		if c < utf8.RuneSelf {
			r = rune(c)
			i++
			if c == '\r' && i < len(src) && src[i] == '\n' {
				continue // "\r\n" is one line break, produced by the '\n'
			}
		} else {
			var w int
			r, w = utf8.DecodeRuneInString(src[i:])
			i += w
			if r == utf8.RuneError && w == 1 {
				continue // invalid byte: produces nothing
			}
			r = fold(r)
			if r < 0 {
				continue // invisible
			}
		}
		switch {
		case r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			pendingSpace = false // drop whitespace at the end of a line
			t.Norm = append(t.Norm, '\n')
			t.off = append(t.off, at)
		case r == ' ' || r == '\t' || r < 0x20 || r == 0x7f || (r >= utf8.RuneSelf && (unicode.IsSpace(r) || unicode.IsControl(r))):
			if !pendingSpace {
				pendingSpace, spaceOff = true, at
			}
		case r < utf8.RuneSelf:
			b := byte(r)
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			emit(b, at)
		default:
			n := utf8.EncodeRune(buf[:], r)
			emit(buf[0], at)
			for _, b := range buf[1:n] {
				t.Norm = append(t.Norm, b)
				t.off = append(t.off, at)
			}
		}
	}
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
	start = t.off[ns]
	if ne <= ns {
		return start, start
	}
	last := t.off[ne-1]
	return start, last + unitLen(t.src, last)
}

// Offset returns the source offset of the unit that produced Norm[i], or
// len(source) when i is past the end.
func (t *Text) Offset(i int) int {
	if i >= len(t.off) {
		return len(t.src)
	}
	return t.off[i]
}

func unitLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, w := utf8.DecodeRuneInString(s[i:])
	return w
}

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
