package consensus

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// votes builds casts from rows like "a1: s1+ s2- s3=" (+ agree, - disagree,
// = pass; a statement left out is not voted on).
func votes(t testing.TB, rows map[string]string) []Cast {
	t.Helper()
	var out []Cast
	for p, row := range rows {
		var s string
		for _, tok := range splitFields(row) {
			s = tok[:len(tok)-1]
			v := map[byte]Vote{'+': Agree, '-': Disagree, '=': Pass}[tok[len(tok)-1]]
			out = append(out, Cast{Participant: p, Statement: s, Vote: v})
		}
	}
	return out
}

func splitFields(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == ' ' {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(r)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

func analyze(t *testing.T, cs []Cast, opts Options) (*Matrix, *Result) {
	t.Helper()
	m, err := Build(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Rand == nil {
		opts.Rand = rng(1)
	}
	r, err := Analyze(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, r
}

func score(t *testing.T, r *Result, id string) Score {
	t.Helper()
	for _, s := range r.Scores {
		if s.Statement == id {
			return s
		}
	}
	t.Fatalf("no score for %s", id)
	return Score{}
}

// groupsOf returns the members of each group, by participant id.
func groupsOf(r *Result) [][]string {
	out := make([][]string, len(r.Groups))
	for _, p := range r.Participants {
		if p.Group >= 0 {
			out[p.Group] = append(out[p.Group], p.ID)
		}
	}
	return out
}

// Two groups who disagree on s1..s3 and agree on s4. By hand:
// rows a = (1,1,-1,1), b = (-1,-1,1,1); column means (0,0,0,1); centred
// a = (1,1,-1,0) = -b, so PC1 = (1,1,-1,0)/√3 (sign: the first of the
// tied largest weights positive), a projects to √3, b to -√3, PC1 holds
// all the variance. Each group is one point, so k=2 with silhouette 1.
// Consensus: s4 has 3 agree of 3 in each group: (3+1)/(3+2) = 0.8 per
// group, 0.64. s1: 0.8 in A, (0+1)/(3+2) = 0.2 in B: 0.16, spread 0.6.
func TestTwoGroupsByHand(t *testing.T) {
	cs := votes(t, map[string]string{
		"a1": "s1+ s2+ s3- s4+", "a2": "s1+ s2+ s3- s4+", "a3": "s1+ s2+ s3- s4+",
		"b1": "s1- s2- s3+ s4+", "b2": "s1- s2- s3+ s4+", "b3": "s1- s2- s3+ s4+",
	})
	_, r := analyze(t, cs, Options{})
	if got, want := groupsOf(r), [][]string{{"a1", "a2", "a3"}, {"b1", "b2", "b3"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	if len(r.Silhouettes) != 1 || r.Silhouettes[0].K != 2 || !near(r.Silhouettes[0].Silhouette, 1) {
		t.Errorf("silhouettes %+v, want k=2 at 1 only (two distinct points)", r.Silhouettes)
	}
	s3 := math.Sqrt(3)
	for _, p := range r.Participants {
		want := s3
		if p.ID[0] == 'b' {
			want = -s3
		}
		if !near(p.X, want) || !near(p.Y, 0) {
			t.Errorf("%s at (%g, %g), want (%g, 0)", p.ID, p.X, p.Y, want)
		}
	}
	pc1 := r.Projection.Components[0]
	for j, w := range []float64{1 / s3, 1 / s3, -1 / s3, 0} {
		if !near(pc1[j], w) {
			t.Errorf("PC1 = %v, want (1,1,-1,0)/√3", pc1)
			break
		}
	}
	if !near(r.Projection.Explained[0], 1) || r.Projection.Explained[1] != 0 {
		t.Errorf("explained %v, want [1 0]", r.Projection.Explained)
	}
	s4, s1 := score(t, r, "s4"), score(t, r, "s1")
	if !near(s4.Consensus, 0.64) || !near(s4.Divisiveness, 0) || !near(s4.DisagreeConsensus, 0.04) {
		t.Errorf("s4 %+v, want consensus 0.64, divisiveness 0, disagree consensus 0.04", s4)
	}
	if !near(s1.Consensus, 0.16) || !near(s1.Divisiveness, 0.6) {
		t.Errorf("s1 %+v, want consensus 0.16, divisiveness 0.6", s1)
	}
	if top := r.ByConsensus()[0].Statement; top != "s4" {
		t.Errorf("most consensual %s, want s4", top)
	}
	if div := r.ByDivisiveness(); div[0].Statement != "s1" || div[3].Statement != "s4" {
		t.Errorf("divisive order %v, want s1 (then s2, s3) first, s4 last", div)
	}
	if s4.All != (Tally{Agree: 6}) {
		t.Errorf("s4 totals %+v, want 6 agree", s4.All)
	}
}

// Group-aware consensus is not a head count. Statement "big" has 10 of 12
// agreeing, but both members of the small group disagree: 11/12 · 1/4 =
// 0.229. Statement "mild" has 7 of 12 agreeing, spread over both groups:
// A (10 members) 6 agree, 4 disagree: 7/12; B 1 agree 1 disagree: 2/4;
// product 0.2917. "mild" ranks above "big".
func TestConsensusIsNotAHeadCount(t *testing.T) {
	rows := map[string]string{}
	for i := range 10 {
		mild := "mild+"
		if i >= 6 {
			mild = "mild-"
		}
		rows[fmt.Sprintf("a%02d", i)] = "x1+ x2+ x3+ x4- big+ " + mild
	}
	rows["b1"] = "x1- x2- x3- x4+ big- mild+"
	rows["b2"] = "x1- x2- x3- x4+ big- mild-"
	// "mild" splits the a's 6 to 4, a real difference that k=3 would
	// show; this test is about scoring two groups, so k is held at 2.
	_, r := analyze(t, votes(t, rows), Options{KMax: 2})
	g := groupsOf(r)
	if len(g) != 2 || len(g[0]) != 10 || fmt.Sprint(g[1]) != "[b1 b2]" {
		t.Fatalf("groups %v, want the ten a's and [b1 b2]", g)
	}
	big, mild := score(t, r, "big"), score(t, r, "mild")
	if !near(big.Consensus, 11.0/12*1.0/4) {
		t.Errorf("big consensus %g, want 11/12·1/4 = %g", big.Consensus, 11.0/12/4)
	}
	if !near(mild.Consensus, 7.0/12*2.0/4) {
		t.Errorf("mild consensus %g, want 7/12·2/4 = %g", mild.Consensus, 7.0/12/2)
	}
	order := r.ByConsensus()
	if slices.IndexFunc(order, func(s Score) bool { return s.Statement == "mild" }) > slices.IndexFunc(order, func(s Score) bool { return s.Statement == "big" }) {
		t.Errorf("big ranks above mild: %v", order)
	}
}

// Passes count as seen votes, missing cells do not: group A has 2 agree
// and 1 pass on s (3/5 = 0.6), group B 1 disagree and one member who did
// not vote on s ((0+1)/(1+2) = 1/3): consensus 0.2.
func TestSmoothingPassesAndMissing(t *testing.T) {
	cs := votes(t, map[string]string{
		"a1": "x+ y+ z- s+", "a2": "x+ y+ z- s+", "a3": "x+ y+ z- s=",
		"b1": "x- y- z+ s-", "b2": "x- y- z+",
	})
	_, r := analyze(t, cs, Options{})
	if g := groupsOf(r); fmt.Sprint(g) != "[[a1 a2 a3] [b1 b2]]" {
		t.Fatalf("groups %v", g)
	}
	s := score(t, r, "s")
	if s.Groups[0] != (Tally{Agree: 2, Pass: 1}) || s.Groups[1] != (Tally{Disagree: 1}) {
		t.Fatalf("tallies %+v", s.Groups)
	}
	if !near(s.Consensus, 0.2) {
		t.Errorf("consensus %g, want 3/5·1/3 = 0.2", s.Consensus)
	}
}

// Silhouette of x = {0, 1, 10, 11} split in two: for 0, a = 1 and
// b = (10+11)/2 = 10.5, so s = 9.5/10.5; for 1, a = 1, b = 9.5, s = 8.5/9.5;
// 10 and 11 mirror them.
func TestSilhouetteByHand(t *testing.T) {
	pts := [][2]float64{{0, 0}, {1, 0}, {10, 0}, {11, 0}}
	got := Silhouette(pts, []int{0, 0, 1, 1}, 2)
	want := (9.5/10.5 + 8.5/9.5) / 2
	if !near(got, want) {
		t.Errorf("silhouette %g, want %g", got, want)
	}
	// A bad split scores lower: {0, 10} and {1, 11}.
	if bad := Silhouette(pts, []int{0, 1, 0, 1}, 2); bad >= got {
		t.Errorf("bad split scores %g >= good %g", bad, got)
	}
	c := KMeans(pts, 2, 5, rng(3))
	if fmt.Sprint(c.Assign) != "[0 0 1 1]" || !near(c.Inertia, 1) {
		t.Errorf("kmeans %+v, want [0 0 1 1] with inertia 4·0.25 = 1", c)
	}
}

// noisy makes participants in `groups` opinion groups. Group 0 takes a
// random stance on each statement; group g > 0 takes the opposite one on
// the statements j with j%groups == 0 or g and group 0's on the rest, so
// any two groups differ on about 2/groups of the statements (for three
// groups, two thirds: equidistant). Each vote is flipped with
// probability flip and left out with probability miss.
func noisy(r *rand.Rand, groups, perGroup, statements int, flip, miss float64) (cs []Cast, truth map[string]int) {
	truth = map[string]int{}
	stance := make([][]Vote, groups)
	stance[0] = make([]Vote, statements)
	for j := range stance[0] {
		stance[0][j] = []Vote{Agree, Disagree}[r.IntN(2)]
	}
	for g := 1; g < groups; g++ {
		stance[g] = slices.Clone(stance[0])
		for j := range statements {
			if j%groups == g || j%groups == 0 {
				stance[g][j] = -stance[0][j]
			}
		}
	}
	for g := range groups {
		for k := range perGroup {
			p := fmt.Sprintf("g%d-p%02d", g, k)
			truth[p] = g
			for j := range statements {
				if r.Float64() < miss {
					continue
				}
				v := stance[g][j]
				if r.Float64() < flip {
					v = -v
				}
				cs = append(cs, Cast{Participant: p, Statement: fmt.Sprintf("s%02d", j), Vote: v})
			}
		}
	}
	return cs, truth
}

// purity checks that the groups found are the true groups, up to naming.
func purity(t *testing.T, r *Result, truth map[string]int, want int) {
	t.Helper()
	if len(r.Groups) != want {
		t.Fatalf("%d groups (silhouettes %+v), want %d", len(r.Groups), r.Silhouettes, want)
	}
	found := map[int]int{}
	for _, p := range r.Participants {
		tg := truth[p.ID]
		if g, ok := found[tg]; ok && g != p.Group {
			t.Fatalf("true group %d split across found groups %d and %d", tg, g, p.Group)
		}
		found[tg] = p.Group
	}
	if len(found) != want {
		t.Fatalf("true groups merged: %v", found)
	}
}

func TestRecoversNoisyGroups(t *testing.T) {
	for _, tc := range []struct{ groups, per int }{{2, 15}, {3, 12}} {
		for seed := range uint64(20) {
			t.Run(fmt.Sprintf("%d-groups/seed%d", tc.groups, seed), func(t *testing.T) {
				cs, truth := noisy(rng(seed+100), tc.groups, tc.per, 20, 0.1, 0.2)
				_, r := analyze(t, cs, Options{Rand: rng(seed)})
				purity(t, r, truth, tc.groups)
			})
		}
	}
}

func TestDeterministic(t *testing.T) {
	cs, _ := noisy(rng(7), 3, 10, 12, 0.15, 0.3)
	_, a := analyze(t, cs, Options{Rand: rng(42)})
	shuffled := slices.Clone(cs)
	rng(9).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	_, b := analyze(t, shuffled, Options{Rand: rng(42)})
	if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
		t.Error("the same votes in another order give another result")
	}
	_, c := analyze(t, cs, Options{Rand: rng(43)})
	if fmt.Sprint(groupsOf(a)) != fmt.Sprint(groupsOf(c)) {
		t.Error("another seed splits clear groups differently")
	}
}

func TestMinVotes(t *testing.T) {
	cs := votes(t, map[string]string{
		"a1": "s1+ s2+ s3-", "a2": "s1+ s2+ s3-", "b1": "s1- s2- s3+", "b2": "s1- s2- s3+",
		"lurker": "s1+",
	})
	_, r := analyze(t, cs, Options{MinVotes: 2})
	for _, p := range r.Participants {
		if p.ID == "lurker" && (p.Group != -1 || p.Votes != 1) {
			t.Errorf("lurker placed: %+v", p)
		}
	}
	if s := score(t, r, "s1"); s.All.Agree != 3 || s.Groups[0].Agree+s.Groups[1].Agree != 2 {
		t.Errorf("s1 %+v: the lurker counts in the totals, not in the groups", s)
	}
}

func TestDegenerate(t *testing.T) {
	for name, cs := range map[string][]Cast{
		"none":      nil,
		"one":       {{"p", "s", Agree}},
		"two":       {{"p", "s", Agree}, {"q", "s", Disagree}},
		"all-alike": votes(t, map[string]string{"a": "s+ t-", "b": "s+ t-", "c": "s+ t-", "d": "s+ t-"}),
		"all-pass":  votes(t, map[string]string{"a": "s= t=", "b": "s= t=", "c": "s= t="}),
	} {
		t.Run(name, func(t *testing.T) {
			m, r := analyze(t, cs, Options{})
			if len(m.Participants) > 0 && len(r.Groups) != 1 {
				t.Errorf("%d groups, want 1", len(r.Groups))
			}
			for _, s := range r.Scores {
				if !(s.Consensus > 0 && s.Consensus < 1) || math.IsNaN(s.Divisiveness) {
					t.Errorf("score %+v out of range", s)
				}
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	for name, cs := range map[string][]Cast{
		"value":     {{"p", "s", 2}},
		"empty":     {{"", "s", Agree}},
		"duplicate": {{"p", "s", Agree}, {"p", "s", Pass}},
	} {
		if _, err := Build(cs, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	m, _ := Build(nil, []string{"s"})
	if _, err := Analyze(m, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no Rand: %v, want ErrInvalid", err)
	}
	if _, err := Analyze(m, Options{Rand: rng(1), KMin: 4, KMax: 3}); !errors.Is(err, ErrInvalid) {
		t.Errorf("KMax < KMin: %v, want ErrInvalid", err)
	}
	if len(m.Statements) != 1 {
		t.Errorf("a statement nobody voted on has no column: %v", m.Statements)
	}
}

// FuzzAnalyze: any votes analyse without panic, every placed participant
// is in a group, and scores stay in range.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte{0, 0, 2, 1, 1, 0, 2, 1, 1, 0, 0, 0, 2, 2, 1})
	f.Add([]byte{})
	f.Add([]byte{3, 3, 1, 3, 4, 0, 9, 9, 2, 1, 2, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		seen := map[[2]byte]bool{}
		var cs []Cast
		for i := 0; i+2 < len(data) && len(cs) < 400; i += 3 {
			k := [2]byte{data[i] % 16, data[i+1] % 8}
			if seen[k] {
				continue
			}
			seen[k] = true
			cs = append(cs, Cast{Participant: fmt.Sprint("p", k[0]), Statement: fmt.Sprint("s", k[1]), Vote: Vote(int(data[i+2])%3 - 1)})
		}
		m, err := Build(cs, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Analyze(m, Options{Rand: rng(uint64(len(data)))})
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, g := range r.Groups {
			size += g.Size
		}
		if size != len(m.Participants) {
			t.Fatalf("group sizes add to %d, want %d", size, len(m.Participants))
		}
		for _, s := range r.Scores {
			if !(s.Consensus > 0 && s.Consensus < 1) || s.Divisiveness < 0 || s.Divisiveness >= 1 {
				t.Fatalf("score out of range: %+v", s)
			}
		}
		for _, p := range r.Participants {
			if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) {
				t.Fatalf("bad position %+v", p)
			}
		}
	})
}
