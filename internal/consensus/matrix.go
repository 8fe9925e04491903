// Package consensus finds opinion groups in agree/disagree votes on
// statements and ranks the statements by how far every group agrees, as
// Polis does: a vote matrix (participants × statements), its first two
// principal components, k-means in that plane with k chosen by silhouette,
// and group-aware consensus.
//
// The boundary: pure maths. It never imports net/http or database/sql,
// never reads the clock, and draws randomness only from the *rand.Rand it
// is given, so that the same votes and the same seed give the same groups.
package consensus

import (
	"errors"
	"fmt"
	"slices"
)

// Vote is one participant's answer to one statement.
type Vote int8

// The votes, with the values the matrix holds.
const (
	Disagree Vote = -1
	Pass     Vote = 0
	Agree    Vote = 1
)

// ErrInvalid marks input that cannot be analysed.
var ErrInvalid = errors.New("invalid votes")

// Cast is one vote as stored: who, on what, which answer.
type Cast struct {
	Participant string
	Statement   string
	Vote        Vote
}

// Matrix is the vote matrix: one row per participant, one column per
// statement, rows and columns in sorted id order so that the same votes
// give the same matrix whatever order they came in.
type Matrix struct {
	Participants []string
	Statements   []string
	// Cells[i][j] is participant i's vote on statement j; Seen[i][j] is
	// false where the participant has not voted (a missing cell, which is
	// not a pass).
	Cells [][]Vote
	Seen  [][]bool
}

// Build makes the matrix of votes. Statements lists statements that must
// have a column even if nobody voted on them (may be nil). A participant
// who voted twice on one statement is ErrInvalid: the store keeps one
// vote per pair, the last one.
func Build(votes []Cast, statements []string) (*Matrix, error) {
	pset, sset := map[string]bool{}, map[string]bool{}
	for _, s := range statements {
		sset[s] = true
	}
	for i, v := range votes {
		if v.Participant == "" || v.Statement == "" {
			return nil, fmt.Errorf("%w: vote %d: empty participant or statement", ErrInvalid, i)
		}
		if v.Vote < Disagree || v.Vote > Agree {
			return nil, fmt.Errorf("%w: vote %d: value %d, want -1, 0 or 1", ErrInvalid, i, v.Vote)
		}
		pset[v.Participant], sset[v.Statement] = true, true
	}
	m := &Matrix{Participants: sortedKeys(pset), Statements: sortedKeys(sset)}
	pi, si := index(m.Participants), index(m.Statements)
	m.Cells = make([][]Vote, len(m.Participants))
	m.Seen = make([][]bool, len(m.Participants))
	for i := range m.Participants {
		m.Cells[i] = make([]Vote, len(m.Statements))
		m.Seen[i] = make([]bool, len(m.Statements))
	}
	for _, v := range votes {
		i, j := pi[v.Participant], si[v.Statement]
		if m.Seen[i][j] {
			return nil, fmt.Errorf("%w: %s voted twice on %s", ErrInvalid, v.Participant, v.Statement)
		}
		m.Cells[i][j], m.Seen[i][j] = v.Vote, true
	}
	return m, nil
}

// Votes returns how many statements participant i voted on.
func (m *Matrix) Votes(i int) int {
	n := 0
	for _, s := range m.Seen[i] {
		if s {
			n++
		}
	}
	return n
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func index(ids []string) map[string]int {
	m := make(map[string]int, len(ids))
	for i, id := range ids {
		m[id] = i
	}
	return m
}
