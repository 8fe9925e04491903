package rolespoof

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// mayHoldReference is mayHold as first written, a byte at a time: the
// reference its eight-byte skip is checked against.
func mayHoldReference(text string) bool {
	lineStart := true
	for i := 0; i < len(text); {
		c := text[i]
		if c >= utf8.RuneSelf {
			r, w := utf8.DecodeRuneInString(text[i:])
			if foldsToMatter(r, w) {
				return true
			}
			i += w
			lineStart = false
			continue
		}
		if lineStart {
			lineStart = false
			j := i
			for j < len(text) && lineLead[text[j]] {
				j++
			}
			k := j
			for k < len(text) && headerByte[text[k]] {
				k++
			}
			if _, ok := headerWordSet.Get(text[j:k]); ok {
				return true
			}
			for ; i < j; i++ {
				if text[i] == '[' && bracketMay(text, i) {
					return true
				}
			}
			i = k
			continue
		}
		switch c {
		case '\n', '\r', '\v', '\f':
			lineStart = true
		case '<':
			if angleMay(text, i) {
				return true
			}
		case '[':
			if bracketMay(text, i) {
				return true
			}
		}
		i++
	}
	return false
}

// TestMayHoldReference checks mayHold against mayHoldReference on the case
// corpus and on each byte that matters at every offset of a line.
func TestMayHoldReference(t *testing.T) {
	texts := []string{}
	for _, c := range detecttest.MustLoadCases(t, "testdata/cases.jsonl") {
		texts = append(texts, c.Text)
	}
	for _, b := range []string{"\n", "\r", "\v", "\f", "<", "[", "<|im_start|>", "[INST]", "\nSystem: x", "\u0455", "\u200b", "\xff", "\u2028", "\x00", "]", "{", ";"} {
		for k := range 20 {
			line := strings.Repeat("word ", 4)[:k] + b + " tail of the line"
			texts = append(texts, line, "x "+line, line+"\n"+line)
		}
	}
	for _, s := range texts {
		if got, want := mayHold(s), mayHoldReference(s); got != want {
			t.Errorf("mayHold(%q) = %v, reference %v", s, got, want)
		}
	}
}

// TestPlain8 checks the eight-byte test against the bytes it stands for,
// for every byte in every lane.
func TestPlain8(t *testing.T) {
	for c := range 256 {
		for p := range 8 {
			b := []byte("abcdefgh")
			b[p] = byte(c)
			var x uint64
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(b[i])
			}
			want := c < utf8.RuneSelf && !strings.ContainsRune("\n\r\v\f<[", rune(c))
			if got := plain8(x)>>(8*p+7)&1 == 1; got != want {
				t.Fatalf("plain8: byte %#x in lane %d: %v, want %v", c, p, got, want)
			}
		}
	}
}
