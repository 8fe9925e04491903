package secrets

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
	"github.com/modelspec/modelspec/internal/detect/internal/swar"
)

func TestCases(t *testing.T) {
	detecttest.RunCases(t, New(), "testdata/cases.jsonl", ID, Clause, Category)
}

// TestDefaultRules checks what the embedded gitleaks configuration yields:
// every regex compiles with Go's regexp, and only the rules that need a
// file path are skipped.
func TestDefaultRules(t *testing.T) {
	d := New()
	ws := d.Warnings()
	for _, w := range ws {
		t.Log(w)
		if strings.Contains(w, "does not compile") {
			t.Errorf("unexpected: %s", w)
		}
	}
	if len(ws) != 5 {
		t.Errorf("%d rules skipped, want the 5 that need a file path", len(ws))
	}
	if n := len(d.RuleIDs()); n != 217 {
		t.Errorf("%d rules in use, want 217 of gitleaks %s's 222", n, GitleaksVersion)
	}
	rs := d.set()
	n := 0
	for _, r := range rs.rules {
		if !r.anchored {
			n++
			t.Logf("no plan (matched near a keyword only): %s", r.id)
		}
	}
	if n > 10 {
		t.Errorf("%d rules without a plan", n)
	}
}

func TestParseErrors(t *testing.T) {
	for name, cfg := range map[string]string{
		"unknown key":       "[[rules]]\nid = \"a\"\nregex = 'x'\nkeywords = ['x']\nfoo = 1\n",
		"no id":             "[[rules]]\nregex = 'x'\nkeywords = ['x']\n",
		"duplicate id":      "[[rules]]\nid = 'a'\nregex = 'x'\nkeywords = ['x']\n[[rules]]\nid = 'a'\nregex = 'y'\nkeywords = ['y']\n",
		"bad toml":          "[[rules]\n",
		"empty allowlist":   "[allowlist]\ndescription = 'nothing'\n",
		"bad global regex":  "[allowlist]\nregexes = ['(?=x)']\n",
		"unknown condition": "[allowlist]\ncondition = 'XOR'\nregexes = ['x']\n",
	} {
		if _, err := Parse([]byte(cfg)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", name, err)
		}
	}
	d, err := Parse([]byte("[[rules]]\nid = 'no-keywords'\nregex = 'x'\n[[rules]]\nid = 'bad-group'\nregex = '(x)'\nsecretGroup = 2\nkeywords = ['x']\n[[rules]]\nid = 'bad-allowlist'\nregex = 'x'\nkeywords = ['x']\n[[rules.allowlists]]\nregexes = ['(?=x)']\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ws := d.Warnings(); len(ws) != 3 || len(d.RuleIDs()) != 0 {
		t.Errorf("warnings %q, rules %q; want 3 skipped, none left", ws, d.RuleIDs())
	}
}

func TestInvalidUTF8(t *testing.T) {
	for _, text := range []string{
		"\xff\xfe\xfd", "ghp_\xff" + strings.Repeat("a", 36), "\xe2\x80", "AKIA\xc3",
		"token=\xffAbCdEf0123456789xyz\xfe", "\x00-----BEGIN PRIVATE KEY-----\xff" + strings.Repeat("QUJD", 30) + "\n-----END PRIVATE KEY-----\xc3",
		"key \u212a\u212a\u212a = 'Zx8Kp2Lm9Qr4Tv7Wn1Bc'",
	} {
		fs := New().Detect(text)
		if err := detecttest.Check(text, fs, ID, Clause, Category); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}

func TestConcurrent(t *testing.T) {
	d := New()
	cs := detecttest.MustLoadCases(t, "testdata/cases.jsonl")
	want := make([][]string, len(cs))
	for i, c := range cs {
		want[i] = detecttest.Evidence(d.Detect(c.Text))
	}
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for i, c := range cs {
				ok = ok && slices.Equal(detecttest.Evidence(d.Detect(c.Text)), want[i])
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("concurrent Detect disagreed with sequential Detect")
		}
	}
}

// TestMinScore checks that a generic finding scores by its entropy and that
// MinScore filters it.
func TestMinScore(t *testing.T) {
	text := `password = "Zx8Kp2Lm9Qr4Tv7W"`
	fs := (&Detector{}).Detect(text)
	if len(fs) != 1 || fs[0].Evidence != "generic-api-key" {
		t.Fatalf("findings %+v, want one generic-api-key", fs)
	}
	if s := fs[0].Score; s < 0.5 || s > 0.85 {
		t.Errorf("score %v outside [0.5, 0.85]", s)
	}
	if fs := (&Detector{MinScore: 0.9}).Detect(text); len(fs) != 0 {
		t.Errorf("MinScore 0.9: %+v, want none", fs)
	}
}

// TestKeywordAutomaton checks both keyword passes, find and the dfa's
// find1, against a plain search for every keyword, overlaps, case, texts
// shorter than a trigram and keywords of one and two bytes included: the
// same hits in the same order (by end, then start).
func TestKeywordAutomaton(t *testing.T) {
	kws := []string{"key", "api", "api_key", "ey", "s.", "-----begin", "a"}
	a, d := newAutomaton(kws), newDFA(kws)
	for _, text := range []string{"API_KEY = x", "they.key", "Keys. ApI", "-----BEGIN KEY", "", "aaa", "\xffkEy\xfe",
		"a", "ey", "xa", "xey", "ke", "s", "s.", "x s.", strings.Repeat("they key ", 20) + "s."} {
		want := bruteHits(kws, text)
		if got := a.find(text, nil); !slices.Equal(got, want) {
			t.Errorf("find %q: hits %v, want %v", text, got, want)
		}
		if got := d.find1(text, a.lens, nil); !slices.Equal(got, want) {
			t.Errorf("find1 %q: hits %v, want %v", text, got, want)
		}
		first := int32(-1)
		if len(want) > 0 {
			first = want[0].kw
		}
		if got := d.first(text); got != first {
			t.Errorf("first %q: %d, want %d", text, got, first)
		}
	}
}

// bruteHits finds every keyword in text by comparing at every offset, in
// the order the automaton reports: by end, then start.
func bruteHits(kws []string, text string) []hit {
	lower := []byte(text)
	for i, c := range lower {
		lower[i] = swar.LowerASCII(c)
	}
	var want []hit
	for end := 1; end <= len(text); end++ {
		for id, k := range kws {
			if end >= len(k) && string(lower[end-len(k):end]) == k {
				want = append(want, hit{int32(id), end - len(k)})
			}
		}
	}
	slices.SortStableFunc(want, func(x, y hit) int {
		return cmp.Or(x.start+len(kws[x.kw])-y.start-len(kws[y.kw]), x.start-y.start)
	})
	return want
}

func mustLoadCases(t testing.TB) []detecttest.Case {
	return detecttest.MustLoadCases(t, "testdata/cases.jsonl")
}

// find1 appends every occurrence of d's keywords in text to dst, as find
// does, by the DFA byte by byte: the reference for find. lens are the
// keywords' lengths by id.
func (d *dfa) find1(text string, lens []int, dst []hit) []hit {
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = d.trans[s+int32(d.class[text[i]])]
		if s < 0 {
			s = ^s
			for _, id := range d.out[s/int32(d.nclass)] {
				dst = append(dst, hit{id, i + 1 - lens[id]})
			}
		}
	}
	return dst
}

// checkFind fails t unless a's find reports exactly what find1 of d, the
// DFA of the same keywords, does, in the same order, after a prefix of dst
// that it must leave alone.
func checkFind(t *testing.T, a *automaton, d *dfa, text string) {
	t.Helper()
	prefix := []hit{{0, 1 << 20}, {0, 0}}
	want := d.find1(text, a.lens, slices.Clone(prefix))
	if got := a.find(text, slices.Clone(prefix)); !slices.Equal(got, want) {
		t.Fatalf("%d bytes %.300q: find %v, find1 %v", len(text), text, got, want)
	}
}

// TestKeywordFind compares find with find1 on texts built to trip the
// filter: the rules' own keywords (and their prefixes, which pass the
// trigram but not the rest) around the edges of the 64-byte blocks and at
// the very end, in mixed case; and on keyword sets with one- and two-byte
// keywords and with more than 63 byte classes, which the filter merges.
func TestKeywordFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var sets [][]string
	sets = append(sets, New().set().kw.pattern)
	var wide []string // 95 printable bytes: more classes than the filter has bits
	for c := byte(' '); c < 0x7f; c++ {
		if c < 'A' || c > 'Z' {
			wide = append(wide, string([]byte{c, c ^ 1, c}))
		}
	}
	sets = append(sets, wide, []string{"a", "bc", "abc", "cab", "bca", "ab", "~", "x~y"})
	for _, kws := range sets {
		kws, _ = lowerKeywords(kws)
		a, d := newAutomaton(kws), newDFA(kws)
		for range 1500 {
			n := rng.IntN(300)
			b := make([]byte, n)
			for i := range b {
				b[i] = "aeiouxyz _-=.:KEYtoken\n\xff"[rng.IntN(24)]
			}
			for range rng.IntN(8) {
				k := []byte(kws[rng.IntN(len(kws))])
				k = k[:1+rng.IntN(len(k))] // a prefix, often the whole
				if rng.IntN(2) == 0 {
					for i, c := range k {
						if 'a' <= c && c <= 'z' {
							k[i] = c - 'a' + 'A'
						}
					}
				}
				if len(k) > n {
					continue
				}
				p := rng.IntN(n - len(k) + 1)
				switch rng.IntN(3) {
				case 0: // across a block edge
					edge := 64 * (1 + rng.IntN(4))
					p = min(max(edge-rng.IntN(len(k)+2), 0), n-len(k))
				case 1: // at the end
					p = n - len(k)
				}
				copy(b[p:], k)
			}
			checkFind(t, a, d, string(b))
		}
	}
	a := New().set().kw
	d := newDFA(a.pattern)
	checkFind(t, a, d, benchText(64<<10))
	checkFind(t, a, d, strings.Repeat("bundle_enterprise__contribsys__com", 40))
}

// FuzzKeywordFind compares find with find1 on the rules' keywords and on a
// set with one- and two-byte keywords.
func FuzzKeywordFind(f *testing.F) {
	f.Add("api_key token secret")
	f.Add("they ask s. q~ ey")
	f.Add("-----BEGIN\xffghp_xoxe.xoxb-")
	a := New().set().kw
	small := []string{"a", "bc", "abc", "cab", "ey"}
	b := newAutomaton(small)
	ad, bd := newDFA(a.pattern), newDFA(small)
	f.Fuzz(func(t *testing.T, s string) {
		checkFind(t, a, ad, s)
		checkFind(t, b, bd, s)
	})
}
