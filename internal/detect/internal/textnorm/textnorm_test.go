package textnorm

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Hello  World", "hello world"},
		{"  lead and trail \t", "lead and trail"},
		{"a\r\nb\rc\n\nd", "a\nb\nc\n\nd"},
		{"line  \n   next", "line\nnext"},
		{"ig\u200bno\u200dre\u2060 me\ufeff", "ignore me"},
		{"\uff29\uff47\uff4e\uff4f\uff52\uff45", "ignore"},
		{"\u3000wide\u3000space", "wide space"},
		{"caf\u00e9 \u00c9T\u00c9", "caf\u00e9 \u00e9t\u00e9"},
		{"don\u2019t \u201cquote\u201d \u2014 dash", "don't \"quote\" - dash"},
		{"\u0456gn\u043er\u0435", "ignore"},
		{"\U0001d422\U0001d420\U0001d427", "ign"},
		{"\u24be\u24d6\u24dd", "ign"},
		{"x\U000e0069\U000e0067\U000e006ey", "xigny"},
		{"bad\xffbyte", "badbyte"},
		{"tab\tand\u00a0nbsp", "tab and nbsp"},
		{"a\u2028b", "a\nb"},
		{"", ""},
	} {
		var x Text
		x.Reset(tc.in)
		if got := string(x.Norm); got != tc.want {
			t.Errorf("fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSpan(t *testing.T) {
	src := "  \uff29gnore\u200b  ALL\xff previous!"
	var x Text
	x.Reset(src)
	n := string(x.Norm)
	if n != "ignore all previous!" {
		t.Fatalf("fold = %q", n)
	}
	for _, tc := range []struct{ sub, want string }{
		{"ignore", "\uff29gnore"},
		{"ignore all", "\uff29gnore\u200b  ALL"},
		{"all previous", "ALL\xff previous"},
		{"!", "!"},
	} {
		i := strings.Index(n, tc.sub)
		s, e := x.Span(i, i+len(tc.sub))
		if got := src[s:e]; got != tc.want {
			t.Errorf("span of %q = %q, want %q", tc.sub, got, tc.want)
		}
	}
	if s, e := x.Span(len(n), len(n)); s != len(src) || e != len(src) {
		t.Errorf("span at end = [%d,%d), want [%d,%d)", s, e, len(src), len(src))
	}
}

func TestReuse(t *testing.T) {
	var x Text
	x.Reset(strings.Repeat("long text ", 100))
	x.Reset("Short")
	if string(x.Norm) != "short" || x.Source() != "Short" {
		t.Errorf("after reuse: %q from %q", x.Norm, x.Source())
	}
}

// FuzzReset checks that folding never panics, yields valid UTF-8 and maps
// every byte back to a unit boundary of the source, in order.
func FuzzReset(f *testing.F) {
	for _, s := range []string{"Hello", "\uff29\u200b\xff\r\n", "\U000e0041\U0001d400", "a  \t b\n\n c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var x Text
		checkAgainstRef(t, &x, src)
		if !utf8.Valid(x.Norm) {
			t.Fatalf("folded text is not valid UTF-8: %q", x.Norm)
		}
		bounds := map[int]bool{len(src): true}
		for i := 0; i < len(src); {
			bounds[i] = true
			_, w := utf8.DecodeRuneInString(src[i:])
			i += w
		}
		prev := 0
		for i := range x.Norm {
			s, e := x.Span(i, i+1)
			if !bounds[s] || !bounds[e] || s < prev || e <= s || e > len(src) {
				t.Fatalf("byte %d maps to [%d,%d) (prev %d) in %q", i, s, e, prev, src)
			}
			prev = s
		}
	})
}

func BenchmarkReset(b *testing.B) {
	src := strings.Repeat("Hello David, your card was charged $45.00. If you have questions, reply.\n", 1400)
	var x Text
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		x.Reset(src)
	}
}

// refFold is Reset as first written, with one source offset per folded
// byte: the reference the sparse offsets of Text are checked against.
func refFold(src string) (norm []byte, off []int) {
	pendingSpace, spaceOff := false, 0
	emit := func(c byte, at int) {
		if pendingSpace {
			pendingSpace = false
			if n := len(norm); n > 0 && norm[n-1] != '\n' {
				norm = append(norm, ' ')
				off = append(off, spaceOff)
			}
		}
		norm = append(norm, c)
		off = append(off, at)
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
				continue
			}
		} else {
			var w int
			r, w = utf8.DecodeRuneInString(src[i:])
			i += w
			if r == utf8.RuneError && w == 1 {
				continue
			}
			r = fold(r)
			if r < 0 {
				continue
			}
		}
		switch {
		case r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			pendingSpace = false
			norm = append(norm, '\n')
			off = append(off, at)
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
				norm = append(norm, b)
				off = append(off, at)
			}
		}
	}
	return norm, off
}

// checkAgainstRef fails t unless folding src gives refFold's text and maps
// every folded byte to refFold's offset.
func checkAgainstRef(t *testing.T, x *Text, src string) {
	t.Helper()
	x.Reset(src)
	norm, off := refFold(src)
	if !bytes.Equal(x.Norm, norm) {
		t.Fatalf("fold(%q) = %q, reference %q", src, x.Norm, norm)
	}
	for k := range norm {
		if got := x.Offset(k); got != off[k] {
			t.Fatalf("fold(%q): byte %d from %d, reference %d", src, k, got, off[k])
		}
	}
	if x.Offset(len(norm)) != len(src) {
		t.Fatalf("fold(%q): offset past the end = %d", src, x.Offset(len(norm)))
	}
}

func TestReference(t *testing.T) {
	var x Text // reused, as the detectors reuse it
	for _, src := range []string{
		"", " ", "\n", "a", "Hello  World", "  lead and trail \t", "a\r\nb\rc\n\nd", "line  \n   next",
		"ig\u200bno\u200dre\u2060 me\ufeff", "\uff29\uff47\uff4e\uff4f\uff52\uff45 X", "caf\u00e9 \u00c9T\u00c9 x",
		"don\u2019t \u201cquote\u201d \u2014 dash", "\u0456gn\u043er\u0435", "x\U000e0069\U000e0067y z",
		"bad\xffbyte \xff \xff", "tab\tand\u00a0nbsp", "a\u2028b \u3000 c", "\u023a\u023a ab", "\x00\x01a\x7fb",
		strings.Repeat("The Quick  brown\tfox.\r\n", 50),
	} {
		checkAgainstRef(t, &x, src)
	}
}

// TestReferenceLanes checks Reset against refFold where its eight-byte
// fast paths start, stop and cross lanes: each separator at every offset,
// between runs of letters and inside long runs of blanks.
func TestReferenceLanes(t *testing.T) {
	seps := []string{" ", "\n", "\n ", " \n", "\n\n", "  ", "\t\t ", " \x7f", "\x01 ", "\v", "\f", "\r\n", "\r", " \u00e9",
		"\n\t x", "\u200b", " \u3000 ", strings.Repeat(" ", 20), strings.Repeat(" \t", 9) + "\x1f", "\n" + strings.Repeat(" ", 11)}
	var x Text
	for _, sep := range seps {
		for k := range 18 {
			for _, m := range []int{0, 1, 7, 8, 9, 17} {
				src := strings.Repeat("Ab", k)[:k] + sep + strings.Repeat("cD", m)[:m]
				checkAgainstRef(t, &x, src)
				checkAgainstRef(t, &x, src+sep+src)
			}
		}
	}
}

// TestLaneTests checks the eight-byte tests of Reset against the byte
// tables they stand for, for every byte in every lane.
func TestLaneTests(t *testing.T) {
	for c := range 256 {
		for p := range 8 {
			x := uint64('a')*swar.Lanes1&^(0xff<<(8*p)) | uint64(c)<<(8*p)
			if got := blank8(x)>>(8*p+7)&1 == 1; got != blank[c] {
				t.Fatalf("blank8: byte %#x in lane %d: %v, want %v", c, p, got, blank[c])
			}
			if got := swar.Range8(x, '!', '~')>>(8*p+7)&1 == 1; got != plain[c] {
				t.Fatalf("plain bytes: byte %#x in lane %d: %v, want %v", c, p, got, plain[c])
			}
		}
	}
}
