package secrets

import (
	"math/rand/v2"
	"regexp/syntax"
	"strings"
	"testing"
)

// simulateRef is simulate as it was before it stopped reading a step's
// bytes at the first one out of the class past every run's start: the
// reference the fast path is compared with.
func simulateRef(r *rule, s string) bool {
	if len(s) > 191 {
		s = s[:191]
	}
	cur := bits{1}
	lo, reach := 0, 0
	for i := range r.sim {
		st := &r.sim[i]
		end := min(len(s), reach+st.max)
		var m bits
		for j := lo; j < end; j++ {
			if st.class[s[j]] {
				m[j>>6] |= 1 << (j & 63)
			}
		}
		var acc bits
		if st.min == 0 {
			acc = cur
		}
		x := cur
		for k := 1; k <= st.max; k++ {
			a0, a1, a2 := x[0]&m[0], x[1]&m[1], x[2]&m[2]
			x = bits{a0 << 1, a1<<1 | a0>>63, a2<<1 | a1>>63}
			if x.empty() {
				break
			}
			if k >= st.min {
				acc[0] |= x[0]
				acc[1] |= x[1]
				acc[2] |= x[2]
			}
		}
		if acc.empty() {
			return false
		}
		cur = acc
		lo += st.min
		reach = end
	}
	return true
}

// checkSimulate fails t if simulate and simulateRef disagree on s at the
// start of any keyword occurrence of a rule with a simulation, or at every
// offset when the text is short.
func checkSimulate(t *testing.T, rs *ruleSet, s string) {
	t.Helper()
	offsets := map[int]bool{}
	for _, h := range rs.kw.find(s, nil) {
		offsets[h.start] = true
	}
	if len(s) <= 64 {
		for i := range s {
			offsets[i] = true
		}
	}
	for _, r := range rs.rules {
		if r.sim == nil {
			continue
		}
		for p := range offsets {
			if got, want := r.simulate(s[p:]), simulateRef(r, s[p:]); got != want {
				t.Fatalf("%s at %d of %.200q: simulate %v, reference %v", r.id, p, s, got, want)
			}
		}
	}
}

// TestSimulate compares simulate with its reference on the case texts,
// the benchmark text and random texts made of the bytes the rules' steps
// are about: keyword letters, assignment characters, quotes, spaces, long
// token runs.
func TestSimulate(t *testing.T) {
	rs := New().set()
	texts := []string{benchText(4 << 10)}
	for _, c := range mustLoadCases(t) {
		texts = append(texts, c.Text)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "apikeytoknsecrtpwd_-.=:'\" \n\tABCXYZ0189/+"
	for range 1500 {
		b := make([]byte, 1+rng.IntN(200))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		for range rng.IntN(4) { // a keyword followed by a long token
			k := rs.kw.pattern[rng.IntN(len(rs.kw.pattern))] + " = '" + strings.Repeat("Zx8Kp2Lm9Q", 1+rng.IntN(20))
			p := rng.IntN(len(b))
			b = append(b[:p], append([]byte(k), b[p:]...)...)
		}
		texts = append(texts, string(b))
	}
	for _, s := range texts {
		checkSimulate(t, rs, s)
	}
}

// FuzzSimulate compares simulate with its reference.
func FuzzSimulate(f *testing.F) {
	f.Add("api_key = 'Zx8Kp2Lm9Qr4Tv7Wn1Bc'")
	f.Add("token: \"" + strings.Repeat("a", 150) + "\"")
	rs := New().set()
	f.Fuzz(func(t *testing.T, s string) { checkSimulate(t, rs, s) })
}

// TestRequiredRun checks the run every match must hold, on regexes whose
// answer is known, and that every rule without a plan has one (else its
// windows are searched in full, which is correct but slow).
func TestRequiredRun(t *testing.T) {
	for _, c := range []struct {
		expr  string
		class string // bytes in the class, among "abcxyz019_-"
		n     int
	}{
		{`a{3}b+`, "a", 3},
		{`(?i)x{2}`, "x", 2},
		{`x(?:[a-c]{4}|[xyz]{2})y`, "abcxyz", 2},
		{`(?:q|[a-c]{4})`, "", 0},
		{`\b(\d{15,16}(\||%)[0-9a-z]{27,40})`, "abcxyz019", 27},
		{`[a-z]*[0-9]?x`, "", 0},
	} {
		re, err := syntax.Parse(c.expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		class, n := requiredRun(re)
		var got string
		for _, b := range []byte("abcxyz019_-") {
			if class[b] && n > 0 {
				got += string(b)
			}
		}
		if n != c.n || got != c.class {
			t.Errorf("%s: run of %d in %q, want %d in %q", c.expr, n, got, c.n, c.class)
		}
	}
	for _, r := range New().set().rules {
		if !r.anchored && r.runMin == 0 {
			t.Errorf("%s: no required run", r.id)
		}
	}
	r := &rule{plan: plan{runMin: 3}}
	r.runClass['a'] = true
	for s, want := range map[string]bool{"aaa": true, "xaaay": true, "aaxaa": false, "": false} {
		if r.hasRun(s) != want {
			t.Errorf("hasRun(%q) = %v", s, !want)
		}
	}
}
