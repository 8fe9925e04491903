package feedback

import (
	"math/rand/v2"

	"github.com/modelspec/modelspec/internal/consensus"
)

// MinVotesToPlace is how many statements a participant must have voted on
// to be placed in an opinion group (Polis waits for 7; a spec's comment
// period has fewer statements, so fewer are asked).
const MinVotesToPlace = 3

// Analyze runs the consensus analysis on the published statements and the
// votes on them. rng is the only randomness (k-means starts): pass a
// fixed seed to get the same chart for the same votes.
func Analyze(sts []Statement, votes []Vote, rng *rand.Rand) (*consensus.Result, error) {
	var ids []string
	public := map[string]bool{}
	for _, s := range sts {
		if s.Status == Published {
			public[s.ID] = true
			ids = append(ids, s.ID)
		}
	}
	var cs []consensus.Cast
	for _, v := range votes {
		if public[v.Statement] {
			cs = append(cs, consensus.Cast{Participant: v.Participant, Statement: v.Statement, Vote: consensus.Vote(v.Value)})
		}
	}
	m, err := consensus.Build(cs, ids)
	if err != nil {
		return nil, err
	}
	return consensus.Analyze(m, consensus.Options{Rand: rng, MinVotes: MinVotesToPlace})
}
