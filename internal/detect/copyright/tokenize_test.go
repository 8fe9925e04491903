package copyright

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func hashes(s string) []uint64 {
	var sc scanner
	var out []uint64
	for _, w := range sc.appendWords(nil, s) {
		out = append(out, w.hash)
	}
	return out
}

func spans(s string) []string {
	var sc scanner
	var out []string
	for _, w := range sc.appendWords(nil, s) {
		out = append(out, s[w.start:w.end])
	}
	return out
}

// TestFoldSame lists texts that must fold to the same words.
func TestFoldSame(t *testing.T) {
	for _, group := range [][]string{
		{"don't stop", "Don’t  STOP", "DON'T\nstop", "do\u200bn't stop", "don\u02bct stop", "dont stop", "don`t stop!"},
		{"fine fluid", "ﬁne ﬂuid", "ｆｉｎｅ　ｆｌｕｉｄ", "𝐟𝐢𝐧𝐞 𝐟𝐥𝐮𝐢𝐝", "ⓕⓘⓝⓔ ⓕⓛⓤⓘⓓ"},
		{"café crème", "cafe\u0301 cre\u0300me", "CAFÉ CRÈME"},
		{"north east wind", "north-east wind", "north—east wind", "north – east wind", "north\u2010east wind", "«north»…east, wind."},
		{"a b c", "a\r\nb\tc", "a\u2028b\u00a0c", "(a) [b] {c}", "a\n\n\nb   c"},
		{"hello world", "h\u0435llo w\u043erld", "HΕLLO WΟRLD", "hel\u00adlo wor\ufe0fld", "he\xffllo wo\xferld"},
		{"茶 山 小 记", "茶山小记", "茶，山。小记"},
		{"1 4", "¼"}, // NFKC: 1⁄4, and the fraction slash separates
		{"xy", "x\U000E0041y", "x\u2063y", "x\u034fy"}, // tag, invisible separator, grapheme joiner
	} {
		want := hashes(group[0])
		for _, s := range group[1:] {
			if got := hashes(s); !slices.Equal(got, want) {
				t.Errorf("%q folds to %d words %x, want those of %q: %x", s, len(got), got, group[0], want)
			}
		}
	}
}

// TestFoldDifferent lists texts that must not fold to the same words.
func TestFoldDifferent(t *testing.T) {
	for _, pair := range [][2]string{
		{"cafe", "café"},      // diacritics are kept
		{"dont", "don t"},     // a space separates
		{"resume", "résumé"},  // ditto
		{"straße", "strasse"}, // no full case folding
		{"well known", "wellknown"},
	} {
		if slices.Equal(hashes(pair[0]), hashes(pair[1])) {
			t.Errorf("%q and %q fold to the same words", pair[0], pair[1])
		}
	}
}

// TestWordSpans checks that each word's span in the source covers the
// characters it was folded from, invisible and compatibility characters
// included.
func TestWordSpans(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"  Héllo,\u200b wörld! ", []string{"Héllo", "wörld"}},
		{"don’t—stop", []string{"don’t", "stop"}},
		{"e\u0301t\u00e9", []string{"e\u0301t\u00e9"}},
		{"ﬁne ¼", []string{"ﬁne", "¼", "¼"}},
		{"ＡＢＣ ｄｅｆ", []string{"ＡＢＣ", "ｄｅｆ"}},
		{"a\xffb \xfe", []string{"a\xffb"}},
		{"茶山x", []string{"茶", "山", "x"}},
		{"'quoted'", []string{"quoted"}},
	} {
		if got := spans(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("%q: words %q, want %q", tc.text, got, tc.want)
		}
	}
}

// reference folds s the slow, obvious way: NFKC of the whole text, then
// one rune at a time. Invalid bytes are dropped and separate what NFKC
// sees (norm.NFKC.String leaves some text after an invalid lead byte such
// as "\xf4" unnormalised, which its iterator does not).
func reference(s string) []uint64 {
	var out []uint64
	in, h := false, uint64(0)
	add := func(r rune) {
		if !in {
			in, h = true, fnvOffset
		}
		var buf [utf8.UTFMax]byte
		for _, b := range buf[:utf8.EncodeRune(buf[:], r)] {
			h = (h ^ uint64(b)) * fnvPrime
		}
	}
	flush := func() {
		if in {
			out = append(out, mix(h))
			in = false
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) {
			r, w := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && w == 1 {
				break
			}
			j += w
		}
		b.WriteString(norm.NFKC.String(s[i:j]))
		i = j + 1 // past the invalid byte
	}
	n := b.String()
	for i := 0; i < len(n); {
		r, w := utf8.DecodeRuneInString(n[i:])
		i += w
		switch c, f := classify(r); c {
		case sep:
			flush()
		case letter:
			add(f)
		case single:
			flush()
			add(f)
			flush()
		}
	}
	flush()
	return out
}

// TestReference checks the fast tokenizer (ASCII fast path, NFKC by
// region) against the reference on tricky inputs; FuzzTokenize does the
// same on generated ones.
func TestReference(t *testing.T) {
	for _, s := range tokenizeSeeds {
		if got, want := hashes(s), reference(s); !slices.Equal(got, want) {
			t.Errorf("%q: %x, reference %x", s, got, want)
		}
	}
}

var tokenizeSeeds = []string{
	"", "a", "A\u0301", "e\u0301\u0327x", "ﬁ¼ｆｕｌｌ", "\xe2\x80", "한국어 텍스트", "a\xffb\u0301c",
	"Ⅻ ㎏ ㍿", "x\u0338y", "\u1100\u1161\u11a8", "\u0fb2\u0f80", "i\u0307 I\u0307", "ΐ ᾷ",
	"ab\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a\u030b\u030c\u030d\u030e\u030f\u0310\u0311\u0312\u0313\u0314\u0315\u0316\u0317\u0318\u0319\u031a\u031b\u031c\u031d\u031e\u031f\u0320\u0321",
	"Don’t STOP—north-east «wind»", strings.Repeat("é", 100), "\U000E0041\U000E0042 tags",
	"\xf4ŀ", "e\xff\u0301", "\xe2ŀ",
}
