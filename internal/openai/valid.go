package openai

import (
	"encoding/binary"
	"math/bits"
)

// A one-pass JSON syntax checker for the valid case, which is nearly every
// request, answer and chunk the gateway reads. encoding/json's Valid calls
// a state function through a pointer for every byte; scanValid runs the
// grammar as ordinary code and crosses string bodies, most of a chat
// request, eight bytes at a time. It accepts exactly what json.Valid
// accepts (FuzzValid and TestValidMatchesEncodingJSON hold it to that), as
// encoding/json implements RFC 8259 (scanner.go):
//
//   - white space is space, tab, CR and LF, anywhere between tokens and
//     around the value; empty or all-space input is invalid;
//   - numbers are -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?;
//   - a string holds no byte below 0x20, and a backslash starts one of
//     \" \\ \/ \b \f \n \r \t or \u and four hex digits; \u escapes of
//     lone surrogates are accepted and bytes of 0x80 and above are not
//     checked as UTF-8;
//   - nesting deeper than maxNesting objects and arrays is invalid.
//
// It also reports where the nesting first goes deeper than a caller's
// limit, so that DecodeConversation checks syntax and depth in one pass.
// It does not say why input is invalid: callers take the error and its
// offset from encoding/json (checkSyntax), so that messages stay as they
// were.

// Valid reports whether data is one JSON value, exactly as json.Valid
// does, several times faster.
func Valid(data []byte) bool {
	ok, _ := scanValid(data, maxNesting)
	return ok
}

// maxNesting is encoding/json's maxNestingDepth: json.Valid rejects a
// document whose objects and arrays nest deeper.
const maxNesting = 10000

// scanValid reports whether data is one JSON value exactly as json.Valid
// accepts it. deep is the offset of the first '{' or '[' that opens a
// level deeper than maxDepth, or -1; for valid data it is what checkDepth
// returns. For invalid data, deep only counts brackets before the point
// where the scan stopped, and callers must not rely on it.
//
// It keeps its own stack of open objects and arrays (a bit per level) and
// never recurses, so deep input cannot grow the goroutine's stack.
func scanValid(data []byte, maxDepth int) (ok bool, deep int) {
	// objects has bit d set when the open level d is an object, clear when
	// it is an array. Levels count from 1.
	var objects [maxNesting/64 + 1]uint64
	depth := 0
	deep = -1
	n := len(data)
	i := 0
	for {
		// A value starts at data[i], after any white space.
		i = skipSpace(data, i)
		if i >= n {
			return false, deep
		}
		switch c := data[i]; c {
		case '{', '[':
			if depth == maxNesting {
				return false, deep
			}
			if depth >= maxDepth && deep < 0 {
				deep = i
			}
			depth++
			word, bit := depth>>6, uint64(1)<<(depth&63)
			i = skipSpace(data, i+1)
			if c == '[' {
				objects[word] &^= bit
				if i < n && data[i] == ']' {
					i++
					depth--
					break // an empty array is a complete value
				}
				continue // the first element
			}
			objects[word] |= bit
			if i < n && data[i] == '}' {
				i++
				depth--
				break // an empty object is a complete value
			}
			if i = skipKey(data, i); i < 0 {
				return false, deep
			}
			continue // the first member's value
		case '"':
			if i = endOfString(data, i+1); i < 0 {
				return false, deep
			}
		case 't':
			if n-i < 4 || string(data[i:i+4]) != "true" {
				return false, deep
			}
			i += 4
		case 'f':
			if n-i < 5 || string(data[i:i+5]) != "false" {
				return false, deep
			}
			i += 5
		case 'n':
			if n-i < 4 || string(data[i:i+4]) != "null" {
				return false, deep
			}
			i += 4
		default:
			if i = endOfNumber(data, i); i < 0 {
				return false, deep
			}
		}
		// A value ended at data[i]: close the objects and arrays it ends,
		// up to a comma that starts the next element or member.
		for {
			i = skipSpace(data, i)
			if depth == 0 {
				return i == n, deep
			}
			if i >= n {
				return false, deep
			}
			c := data[i]
			i++
			if objects[depth>>6]&(1<<(depth&63)) != 0 {
				if c == '}' {
					depth--
					continue
				}
				if c != ',' {
					return false, deep
				}
				i = skipSpace(data, i)
				if i = skipKey(data, i); i < 0 {
					return false, deep
				}
				break
			}
			if c == ']' {
				depth--
				continue
			}
			if c != ',' {
				return false, deep
			}
			break
		}
	}
}

// skipKey returns the index just past the colon of the object member
// whose key string starts at data[i], or -1 when there is none.
func skipKey(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	if i = endOfString(data, i+1); i < 0 {
		return -1
	}
	i = skipSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return -1
	}
	return i + 1
}

// endOfString returns the index just past the closing quote of the string
// whose body starts at data[i], or -1 when the string is malformed or
// unterminated.
func endOfString(data []byte, i int) int {
	n := len(data)
	for {
		// Cross plain bytes eight at a time, then the tail one at a time.
		for i+8 <= n {
			if m := stringSpecial(binary.LittleEndian.Uint64(data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < n && !stringStop[data[i]] {
			i++
		}
		if i >= n {
			return -1
		}
		switch data[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= n {
				return -1
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if n-i < 6 || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		default: // a control character
			return -1
		}
	}
}

// endOfNumber returns the index just past the number that starts at
// data[i], or -1 when there is no well-formed number there. What follows
// the number is the caller's to check: "01" is the number 0 and a stray 1.
func endOfNumber(data []byte, i int) int {
	n := len(data)
	if data[i] == '-' {
		i++
	}
	switch {
	case i < n && data[i] == '0':
		i++
	case i < n && '1' <= data[i] && data[i] <= '9':
		for i++; i < n && isDigit(data[i]); i++ {
		}
	default:
		return -1
	}
	if i < n && data[i] == '.' {
		if i++; i >= n || !isDigit(data[i]) {
			return -1
		}
		for i++; i < n && isDigit(data[i]); i++ {
		}
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		if i++; i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= n || !isDigit(data[i]) {
			return -1
		}
		for i++; i < n && isDigit(data[i]); i++ {
		}
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// stringStop marks the bytes that end a run of plain bytes in a string:
// the closing quote, a backslash and the control characters, which
// encoding/json rejects unescaped.
var stringStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

const (
	lo7 = 0x7f7f7f7f7f7f7f7f
	hi8 = 0x8080808080808080
)

// stringSpecial has the high bit set for each byte of x (eight bytes of a
// string, little-endian) that stringStop marks. Masking to seven bits
// first keeps every addition inside its byte, so each flag is exact, not
// just the lowest; bytes of 0x80 and above are never flagged.
func stringSpecial(x uint64) uint64 {
	m := x & lo7
	notCtl := m + 0x6060606060606060                      // high bit: m >= 0x20
	notQuote := (m ^ 0x2222222222222222) + lo7            // high bit: m != '"'
	notBackslash := (m ^ 0x5c5c5c5c5c5c5c5c) + lo7        // high bit: m != '\\'
	return ^(notCtl & notQuote & notBackslash) &^ x & hi8 // and x < 0x80
}
