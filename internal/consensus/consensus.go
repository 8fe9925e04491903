package consensus

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Options tune Analyze.
type Options struct {
	// Rand is the only source of randomness (k-means starts). Required.
	Rand *rand.Rand
	// MinVotes is how many statements a participant must have voted on to
	// be placed and grouped (Polis waits for 7); 0 means 1. The votes of
	// the others still count in each statement's totals.
	MinVotes int
	// KMin and KMax bound the number of groups tried; 0 means 2 and 5, as
	// in Polis.
	KMin, KMax int
	// Restarts is the number of k-means runs per k; 0 means 10.
	Restarts int
}

// Result is the analysis of one vote matrix.
type Result struct {
	Participants []Participant
	// Groups are the opinion groups, K of them; one group holds everyone
	// placed when no split was found (fewer than three participants
	// placed, or all of them in one spot).
	Groups []Group
	// Silhouettes is the score of each k tried; the k with the highest
	// won (the smaller k on a tie).
	Silhouettes []KScore
	Projection  Projection
	// Scores has one entry per statement of the matrix, in its order.
	Scores []Score
}

// Participant is one row of the matrix after the analysis.
type Participant struct {
	ID    string
	Votes int
	// Group is the index into Result.Groups, or -1 for a participant with
	// too few votes to be placed.
	Group int
	X, Y  float64
}

// Group is one opinion group.
type Group struct {
	Size     int
	Centroid [2]float64
}

// KScore is the silhouette of the best clustering with K groups.
type KScore struct {
	K          int
	Silhouette float64
}

// Tally counts the votes on one statement.
type Tally struct {
	Agree, Disagree, Pass int
}

// Seen is the number of votes, passes included.
func (t Tally) Seen() int { return t.Agree + t.Disagree + t.Pass }

// PAgree is the smoothed probability that a member agrees:
// (agree+1)/(seen+2), Laplace's rule, so that a group that has not voted
// counts as undecided (1/2) rather than as agreeing or not.
func (t Tally) PAgree() float64 { return float64(t.Agree+1) / float64(t.Seen()+2) }

// PDisagree is the same for disagreeing.
func (t Tally) PDisagree() float64 { return float64(t.Disagree+1) / float64(t.Seen()+2) }

// Score is one statement's place in the conversation.
type Score struct {
	Statement string
	// All counts every vote, placed participants or not.
	All Tally
	// Groups counts the votes of each group's members.
	Groups []Tally
	// Consensus is the group-aware consensus of Polis: the product over
	// groups of each group's PAgree. It is high only where every group
	// tends to agree; one group against it pulls it down however large
	// the others are.
	Consensus float64
	// DisagreeConsensus is the same for disagreeing: statements every
	// group rejects.
	DisagreeConsensus float64
	// Divisiveness is the spread of PAgree between groups (largest minus
	// smallest), 0 with one group.
	Divisiveness float64
}

// Analyze places participants, finds opinion groups and scores each
// statement.
func Analyze(m *Matrix, opts Options) (*Result, error) {
	if opts.Rand == nil {
		return nil, fmt.Errorf("%w: Options.Rand is required", ErrInvalid)
	}
	if opts.MinVotes <= 0 {
		opts.MinVotes = 1
	}
	if opts.KMin <= 0 {
		opts.KMin = 2
	}
	if opts.KMax <= 0 {
		opts.KMax = 5
	}
	if opts.KMin < 2 || opts.KMax < opts.KMin {
		return nil, fmt.Errorf("%w: k from %d to %d, want 2 <= KMin <= KMax", ErrInvalid, opts.KMin, opts.KMax)
	}
	if opts.Restarts <= 0 {
		opts.Restarts = 10
	}
	res := &Result{Participants: make([]Participant, len(m.Participants))}
	var placed []int
	for i, id := range m.Participants {
		n := m.Votes(i)
		res.Participants[i] = Participant{ID: id, Votes: n, Group: -1}
		if n >= opts.MinVotes {
			placed = append(placed, i)
		}
	}
	res.Projection = Project(m, placed)
	pts := res.Projection.Points
	for r, i := range placed {
		res.Participants[i].X, res.Participants[i].Y = pts[r][0], pts[r][1]
	}
	best := Clustering{K: 1, Assign: make([]int, len(pts))}
	if len(pts) > 0 {
		best.Centroids = centroids(pts, best.Assign, 1)
	}
	bestS := 0.0
	if d := distinct(pts); d >= 2 {
		for k := opts.KMin; k <= opts.KMax && k < len(pts) && k <= d; k++ {
			c := KMeans(pts, k, opts.Restarts, opts.Rand)
			s := Silhouette(pts, c.Assign, c.K)
			res.Silhouettes = append(res.Silhouettes, KScore{K: k, Silhouette: s})
			if best.K == 1 || s > bestS+1e-9 {
				best, bestS = c, s
			}
		}
	}
	if len(pts) > 0 {
		res.Groups = make([]Group, best.K)
		for g := range res.Groups {
			res.Groups[g].Centroid = best.Centroids[g]
		}
	}
	for r, i := range placed {
		g := best.Assign[r]
		res.Participants[i].Group = g
		res.Groups[g].Size++
	}
	res.Scores = scores(m, res)
	return res, nil
}

// distinct counts the distinct points (to within rounding).
func distinct(pts [][2]float64) int {
	n := 0
	for i, p := range pts {
		dup := false
		for _, q := range pts[:i] {
			if dist2(p, q) < 1e-18 {
				dup = true
				break
			}
		}
		if !dup {
			n++
		}
	}
	return n
}

func scores(m *Matrix, res *Result) []Score {
	out := make([]Score, len(m.Statements))
	for j, id := range m.Statements {
		s := Score{Statement: id, Groups: make([]Tally, len(res.Groups))}
		for i := range m.Participants {
			if !m.Seen[i][j] {
				continue
			}
			count(&s.All, m.Cells[i][j])
			if g := res.Participants[i].Group; g >= 0 {
				count(&s.Groups[g], m.Cells[i][j])
			}
		}
		s.Consensus, s.DisagreeConsensus = 1, 1
		lo, hi := 1.0, 0.0
		for _, t := range s.Groups {
			p := t.PAgree()
			s.Consensus *= p
			s.DisagreeConsensus *= t.PDisagree()
			lo, hi = min(lo, p), max(hi, p)
		}
		if len(s.Groups) == 0 {
			s.Consensus, s.DisagreeConsensus = s.All.PAgree(), s.All.PDisagree()
		} else {
			s.Divisiveness = hi - lo
		}
		out[j] = s
	}
	return out
}

func count(t *Tally, v Vote) {
	switch v {
	case Agree:
		t.Agree++
	case Disagree:
		t.Disagree++
	default:
		t.Pass++
	}
}

// ByConsensus returns the scores, most consensual first (ties by
// statement id).
func (r *Result) ByConsensus() []Score {
	return sortedBy(r.Scores, func(s Score) float64 { return s.Consensus })
}

// ByDivisiveness returns the scores, most divisive first.
func (r *Result) ByDivisiveness() []Score {
	return sortedBy(r.Scores, func(s Score) float64 { return s.Divisiveness })
}

func sortedBy(ss []Score, key func(Score) float64) []Score {
	out := slices.Clone(ss)
	slices.SortStableFunc(out, func(a, b Score) int {
		if c := cmp.Compare(key(b), key(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.Statement, b.Statement)
	})
	return out
}
