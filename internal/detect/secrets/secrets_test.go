package secrets

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
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

// TestKeywordAutomaton checks the Aho-Corasick pass against a plain search
// for every keyword, overlaps and case included.
func TestKeywordAutomaton(t *testing.T) {
	kws := []string{"key", "api", "api_key", "ey", "s.", "-----begin", "a"}
	a := newAutomaton(kws)
	for _, text := range []string{"API_KEY = x", "they.key", "Keys. ApI", "-----BEGIN KEY", "", "aaa", "\xffkEy\xfe"} {
		var got, want []hit
		got = a.find(text, nil)
		lower := []byte(text)
		for i, c := range lower {
			lower[i] = lowerASCII(c)
		}
		for end := 1; end <= len(text); end++ {
			for id, k := range kws {
				if end >= len(k) && string(lower[end-len(k):end]) == k {
					want = append(want, hit{int32(id), end - len(k)})
				}
			}
		}
		slices.SortFunc(got, func(x, y hit) int { return cmp.Or(x.start-y.start, int(x.kw-y.kw)) })
		slices.SortFunc(want, func(x, y hit) int { return cmp.Or(x.start-y.start, int(x.kw-y.kw)) })
		if !slices.Equal(got, want) {
			t.Errorf("%q: hits %v, want %v", text, got, want)
		}
	}
}

func mustLoadCases(t testing.TB) []detecttest.Case {
	return detecttest.MustLoadCases(t, "testdata/cases.jsonl")
}

// checkLanes fails t unless the two-lane scan reports exactly what one lane
// does, in the same order, with the scratch space reused.
func checkLanes(t *testing.T, a *automaton, text string, tmp []hit) []hit {
	t.Helper()
	want := a.find1(text, nil)
	got, tmp := a.findLanes(text, nil, tmp)
	if !slices.Equal(got, want) {
		t.Fatalf("%d bytes: two lanes %v, one lane %v", len(text), got, want)
	}
	return tmp
}

// TestKeywordLanes puts keywords at and around the middle of texts long
// enough for two lanes, with the rules' own keywords.
func TestKeywordLanes(t *testing.T) {
	a := New().set().kw
	rng := rand.New(rand.NewPCG(7, 8))
	var tmp []hit
	for range 2000 {
		n := twoLanes + rng.IntN(600)
		b := make([]byte, n)
		for i := range b {
			b[i] = "aeiouxyz _-=.:KEYtoken\n"[rng.IntN(23)]
		}
		for range rng.IntN(6) {
			k := a.pattern[rng.IntN(len(a.pattern))]
			p := max(0, min(n-len(k), n/2-len(k)+rng.IntN(2*len(k)+1)))
			copy(b[p:], k)
		}
		tmp = checkLanes(t, a, string(b), tmp)
	}
	tmp = checkLanes(t, a, benchText(64<<10), tmp)
}

// FuzzKeywordLanes compares the two-lane scan with one lane.
func FuzzKeywordLanes(f *testing.F) {
	f.Add("api_key token secret")
	a := New().set().kw
	f.Fuzz(func(t *testing.T, s string) {
		for len(s) < twoLanes {
			s += s + "x"
		}
		checkLanes(t, a, s, nil)
	})
}
