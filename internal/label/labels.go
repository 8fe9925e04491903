package label

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Rating is a response's class under rule-based rewards, best first.
type Rating string

// Ratings, from best to worst: ideal (what the spec asks for), acceptable
// (complies, could be better), unacceptable (breaks a default or the
// objectives: an over-refusal, a lecture, a wrong format), disallowed
// (breaks a rule: hazardous, privacy-violating, obeys injected text).
const (
	Ideal        Rating = "ideal"
	Acceptable   Rating = "acceptable"
	Unacceptable Rating = "unacceptable"
	Disallowed   Rating = "disallowed"
)

// RatingScale lists the ratings in order, best first; agreement on
// ratings is ordinal over this order.
var RatingScale = []Rating{Ideal, Acceptable, Unacceptable, Disallowed}

// Rank is the rating's place on RatingScale (0 best), -1 when unknown.
func (r Rating) Rank() int { return slices.Index(RatingScale, r) }

// Reward is the scalar a rating stands for: 1, 0.5, -0.5, -1.
func (r Rating) Reward() float64 {
	switch r {
	case Ideal:
		return 1
	case Acceptable:
		return 0.5
	case Unacceptable:
		return -0.5
	case Disallowed:
		return -1
	}
	return 0
}

// Kinds of label.
const (
	Human = "human"
	Auto  = "auto"
)

// MaxCommentLength bounds a label's comment, in bytes.
const MaxCommentLength = 4000

// Label is one rater's answer to a task. A trainer gives a task at most
// one label (a later one replaces it); an auto-grader labels as
// "auto:<grader id>".
type Label struct {
	TaskID  string `json:"task_id"`
	Project string `json:"project,omitempty"`
	Trainer string `json:"trainer"`
	Kind    string `json:"kind"` // Human or Auto
	// Choice is the id of the better response; Ranking orders every
	// response, best first. A label has one or the other; Ranking[0] is
	// then the choice.
	Choice  string   `json:"choice,omitempty"`
	Ranking []string `json:"ranking,omitempty"`
	// Ratings maps response ids to ratings. A trainer rates every
	// response; an auto-grader may leave out one it cannot judge.
	Ratings map[string]Rating `json:"ratings"`
	// Clauses are the clauses the rater cites for the choice.
	Clauses []string `json:"clauses"`
	Comment string   `json:"comment,omitempty"`
	// Reasons are an auto-grader's reasons, by response id.
	Reasons map[string]string `json:"reasons,omitempty"`
	Time    time.Time         `json:"time"`
}

// Best returns the chosen response: Choice, or Ranking[0].
func (l Label) Best() string {
	if l.Choice != "" {
		return l.Choice
	}
	if len(l.Ranking) > 0 {
		return l.Ranking[0]
	}
	return ""
}

// Prefers reports whether l orders a above b, and whether it orders them
// at all: a ranking orders every pair; a choice puts the chosen response
// above each other and leaves the others unordered.
func (l Label) Prefers(a, b string) (prefers, ordered bool) {
	if len(l.Ranking) > 0 {
		ia, ib := slices.Index(l.Ranking, a), slices.Index(l.Ranking, b)
		if ia < 0 || ib < 0 || ia == ib {
			return false, false
		}
		return ia < ib, true
	}
	switch l.Choice {
	case "":
		return false, false
	case a:
		return b != a, b != a
	case b:
		return false, true
	}
	return false, false
}

// Validate checks l against its task t, wrapping ErrInvalid and naming the
// field. Human labels must choose or rank and rate every response.
func (l Label) Validate(t Task) error {
	if l.TaskID != t.ID {
		return fmt.Errorf("%w: task_id %q is not task %q", ErrInvalid, l.TaskID, t.ID)
	}
	if err := ValidID(l.Trainer); err != nil {
		return fmt.Errorf("%w: trainer: %v", ErrInvalid, err)
	}
	switch l.Kind {
	case Human:
		if strings.HasPrefix(l.Trainer, "auto:") {
			return fmt.Errorf("%w: trainer %q: the auto: prefix is kept for auto-graders", ErrInvalid, l.Trainer)
		}
	case Auto:
		if !strings.HasPrefix(l.Trainer, "auto:") {
			return fmt.Errorf("%w: trainer %q: an auto-grader's name starts with auto:", ErrInvalid, l.Trainer)
		}
	default:
		return fmt.Errorf("%w: kind %q: want %s or %s", ErrInvalid, l.Kind, Human, Auto)
	}
	if l.Time.IsZero() {
		return fmt.Errorf("%w: time: missing", ErrInvalid)
	}
	ids := t.ResponseIDs()
	switch {
	case l.Choice != "" && len(l.Ranking) > 0:
		return fmt.Errorf("%w: choice and ranking: give one", ErrInvalid)
	case l.Choice != "":
		if !slices.Contains(ids, l.Choice) {
			return fmt.Errorf("%w: choice %q: task %s has responses %s", ErrInvalid, l.Choice, t.ID, strings.Join(ids, ", "))
		}
	case len(l.Ranking) > 0:
		if len(l.Ranking) != len(ids) {
			return fmt.Errorf("%w: ranking: %d responses, task %s has %d", ErrInvalid, len(l.Ranking), t.ID, len(ids))
		}
		seen := map[string]bool{}
		for i, id := range l.Ranking {
			if !slices.Contains(ids, id) || seen[id] {
				return fmt.Errorf("%w: ranking[%d] %q: unknown or repeated response", ErrInvalid, i, id)
			}
			seen[id] = true
		}
	case l.Kind == Human:
		return fmt.Errorf("%w: choice: pick the better response or rank them", ErrInvalid)
	}
	for id, r := range l.Ratings {
		if !slices.Contains(ids, id) {
			return fmt.Errorf("%w: ratings: unknown response %q", ErrInvalid, id)
		}
		if r.Rank() < 0 {
			return fmt.Errorf("%w: ratings[%s] %q: want ideal, acceptable, unacceptable or disallowed", ErrInvalid, id, r)
		}
	}
	if l.Kind == Human {
		for _, id := range ids {
			if _, ok := l.Ratings[id]; !ok {
				return fmt.Errorf("%w: ratings[%s]: rate every response", ErrInvalid, id)
			}
		}
	}
	for i, c := range l.Clauses {
		if err := ValidID(c); err != nil {
			return fmt.Errorf("%w: clauses[%d]: %v", ErrInvalid, i, err)
		}
	}
	if len(l.Comment) > MaxCommentLength {
		return fmt.Errorf("%w: comment: %d bytes, at most %d", ErrInvalid, len(l.Comment), MaxCommentLength)
	}
	if !utf8.ValidString(l.Comment) {
		return fmt.Errorf("%w: comment: not UTF-8", ErrInvalid)
	}
	return nil
}
