package label

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrUndefined is returned when an agreement coefficient has no value: too
// few pairable values, or no variation at all (every rater gave every unit
// the same value, so chance agreement is already perfect).
var ErrUndefined = errors.New("agreement undefined")

// Level is the level of measurement of Krippendorff's alpha: the distance
// between two values.
type Level int

// Levels of measurement.
const (
	Nominal  Level = iota // values only equal or not
	Ordinal               // values ranked; distance by how many values lie between
	Interval              // values are numbers; distance is their squared difference
)

func (l Level) String() string {
	switch l {
	case Nominal:
		return "nominal"
	case Ordinal:
		return "ordinal"
	case Interval:
		return "interval"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// Unit is one thing rated: the value each rater gave it. Raters who did
// not rate it are absent (missing data).
type Unit map[string]float64

// Alpha is Krippendorff's alpha over units at the given level, following
// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": the
// coincidence matrix of pairable values (units with two or more values;
// each pair from a unit of m values weighs 1/(m-1)), then
// alpha = 1 - (n-1) * sum o_ck d_ck / sum n_c n_k d_ck.
// For Ordinal the values are ranks (any numbers; only their order counts)
// and d_ck = (sum_{g=c..k} n_g - (n_c+n_k)/2)^2 over the values between.
// It returns ErrUndefined when fewer than two values are pairable or the
// expected disagreement is 0.
func Alpha(units []Unit, level Level) (float64, error) {
	// Coincidences o[c][k] over the distinct values, sorted.
	var values []float64
	for _, u := range units {
		if len(u) < 2 {
			continue
		}
		for _, v := range u {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("alpha: value %v is not a number", v)
			}
			if i, ok := slices.BinarySearch(values, v); !ok {
				values = slices.Insert(values, i, v)
			}
		}
	}
	k := len(values)
	o := make([]float64, k*k)
	for _, u := range units {
		m := len(u)
		if m < 2 {
			continue
		}
		vs := make([]int, 0, m)
		for _, v := range u {
			i, _ := slices.BinarySearch(values, v)
			vs = append(vs, i)
		}
		w := 1 / float64(m-1)
		for i := range vs {
			for j := range vs {
				if i != j {
					o[vs[i]*k+vs[j]] += w
				}
			}
		}
	}
	nc := make([]float64, k)
	n := 0.0
	for c := range k {
		for d := range k {
			nc[c] += o[c*k+d]
		}
		n += nc[c]
	}
	if n < 2 {
		return 0, fmt.Errorf("%w: %v pairable values", ErrUndefined, n)
	}
	delta := func(c, d int) float64 {
		switch level {
		case Nominal:
			if c == d {
				return 0
			}
			return 1
		case Ordinal:
			lo, hi := min(c, d), max(c, d)
			s := 0.0
			for g := lo; g <= hi; g++ {
				s += nc[g]
			}
			s -= (nc[lo] + nc[hi]) / 2
			return s * s
		default:
			x := values[c] - values[d]
			return x * x
		}
	}
	var obs, exp float64
	for c := range k {
		for d := range k {
			if c == d {
				continue
			}
			dd := delta(c, d)
			obs += o[c*k+d] * dd
			exp += nc[c] * nc[d] * dd
		}
	}
	if exp == 0 {
		return 0, fmt.Errorf("%w: no variation in the values", ErrUndefined)
	}
	return 1 - (n-1)*obs/exp, nil
}

// Kappa is Cohen's kappa between two raters over the units both rated
// (a[i] and b[i] are their values for unit i): (p_o - p_e) / (1 - p_e),
// p_e from each rater's own marginal distribution. It returns
// ErrUndefined for no units or when chance agreement is 1 (both raters
// used one and the same value throughout).
func Kappa[T comparable](a, b []T) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("kappa: %d values against %d", len(a), len(b))
	}
	n := float64(len(a))
	if n == 0 {
		return 0, fmt.Errorf("%w: no units rated by both", ErrUndefined)
	}
	ca, cb := map[T]float64{}, map[T]float64{}
	agree := 0.0
	for i := range a {
		ca[a[i]]++
		cb[b[i]]++
		if a[i] == b[i] {
			agree++
		}
	}
	po := agree / n
	pe := 0.0
	for v, x := range ca {
		pe += (x / n) * (cb[v] / n)
	}
	if pe >= 1 {
		return 0, fmt.Errorf("%w: both raters gave every unit the same value", ErrUndefined)
	}
	return (po - pe) / (1 - pe), nil
}

// Stat is a coefficient with how much data it rests on; Value is NaN and
// Note says why when it is undefined.
type Stat struct {
	Value float64 `json:"value"`
	Units int     `json:"units"`
	Note  string  `json:"note,omitempty"`
}

// Defined reports whether the coefficient has a value.
func (s Stat) Defined() bool { return !math.IsNaN(s.Value) }

func stat(v float64, err error, units int) Stat {
	if err != nil {
		return Stat{Value: math.NaN(), Units: units, Note: err.Error()}
	}
	return Stat{Value: v, Units: units}
}

// PairKappa is Cohen's kappa between two raters.
type PairKappa struct {
	A      string `json:"a"`
	B      string `json:"b"`
	Choice Stat   `json:"choice"` // nominal, over the tasks both labelled
	Rating Stat   `json:"rating"` // nominal over the four classes, over the responses both rated
}

// ClauseAgreement is the agreement on the tasks a clause applies to.
type ClauseAgreement struct {
	Clause string `json:"clause"` // "" for all tasks
	Tasks  int    `json:"tasks"`
	Labels int    `json:"labels"`
	// ChoiceAlpha is nominal alpha over the chosen response, one unit a
	// task, among human raters.
	ChoiceAlpha Stat `json:"choice_alpha"`
	// RatingAlpha is ordinal alpha over the ratings, one unit a response,
	// among human raters.
	RatingAlpha Stat `json:"rating_alpha"`
	// WithAuto are the same with the auto-graders counted as raters.
	ChoiceAlphaWithAuto Stat `json:"choice_alpha_with_auto"`
	RatingAlphaWithAuto Stat `json:"rating_alpha_with_auto"`
	// Pairs are Cohen's kappas for every pair of raters (humans and
	// auto-graders) who labelled at least one task in common.
	Pairs []PairKappa `json:"pairs"`
}

// Agreement computes per-clause agreement: one row for all tasks (Clause
// "") and one for each clause that applies to a task or is cited by a
// label of it, sorted by clause. Labels of tasks not in tasks are ignored.
func Agreement(tasks []Task, labels []Label) []ClauseAgreement {
	byTask := map[string][]Label{}
	for _, l := range labels {
		byTask[l.TaskID] = append(byTask[l.TaskID], l)
	}
	clauseTasks := map[string][]Task{"": nil}
	for _, t := range tasks {
		clauseTasks[""] = append(clauseTasks[""], t)
		seen := map[string]bool{}
		add := func(c string) {
			if !seen[c] {
				seen[c] = true
				clauseTasks[c] = append(clauseTasks[c], t)
			}
		}
		for _, c := range t.Clauses {
			add(c)
		}
		for _, l := range byTask[t.ID] {
			for _, c := range l.Clauses {
				add(c)
			}
		}
	}
	var out []ClauseAgreement
	for c, ts := range clauseTasks {
		out = append(out, agreementOn(c, ts, byTask))
	}
	slices.SortFunc(out, func(a, b ClauseAgreement) int { return cmp.Compare(a.Clause, b.Clause) })
	return out
}

func agreementOn(clause string, tasks []Task, byTask map[string][]Label) ClauseAgreement {
	ca := ClauseAgreement{Clause: clause, Tasks: len(tasks), Pairs: []PairKappa{}}
	var choiceH, choiceA, ratingH, ratingA []Unit
	// Per rater: task -> choice and (task/response) -> rating, for kappas.
	choices := map[string]map[string]string{}
	ratings := map[string]map[string]Rating{}
	for _, t := range tasks {
		ids := t.ResponseIDs()
		ch, chA := Unit{}, Unit{}
		rt := make([]Unit, len(ids))
		rtA := make([]Unit, len(ids))
		for i := range ids {
			rt[i], rtA[i] = Unit{}, Unit{}
		}
		for _, l := range byTask[t.ID] {
			ca.Labels++
			if choices[l.Trainer] == nil {
				choices[l.Trainer], ratings[l.Trainer] = map[string]string{}, map[string]Rating{}
			}
			if b := l.Best(); b != "" {
				v := float64(slices.Index(ids, b))
				chA[l.Trainer] = v
				if l.Kind == Human {
					ch[l.Trainer] = v
				}
				choices[l.Trainer][t.ID] = b
			}
			for i, id := range ids {
				r, ok := l.Ratings[id]
				if !ok || r.Rank() < 0 {
					continue
				}
				v := float64(r.Rank())
				rtA[i][l.Trainer] = v
				if l.Kind == Human {
					rt[i][l.Trainer] = v
				}
				ratings[l.Trainer][t.ID+"\x00"+id] = r
			}
		}
		choiceH, choiceA = append(choiceH, ch), append(choiceA, chA)
		ratingH, ratingA = append(ratingH, rt...), append(ratingA, rtA...)
	}
	ca.ChoiceAlpha = alphaStat(choiceH, Nominal)
	ca.ChoiceAlphaWithAuto = alphaStat(choiceA, Nominal)
	ca.RatingAlpha = alphaStat(ratingH, Ordinal)
	ca.RatingAlphaWithAuto = alphaStat(ratingA, Ordinal)
	raters := make([]string, 0, len(choices))
	for r := range choices {
		raters = append(raters, r)
	}
	slices.Sort(raters)
	for i, a := range raters {
		for _, b := range raters[i+1:] {
			var xa, xb []string
			for tid, va := range choices[a] {
				if vb, ok := choices[b][tid]; ok {
					xa, xb = append(xa, va), append(xb, vb)
				}
			}
			var ra, rb []Rating
			for key, va := range ratings[a] {
				if vb, ok := ratings[b][key]; ok {
					ra, rb = append(ra, va), append(rb, vb)
				}
			}
			if len(xa) == 0 && len(ra) == 0 {
				continue
			}
			kc, errC := Kappa(xa, xb)
			kr, errR := Kappa(ra, rb)
			ca.Pairs = append(ca.Pairs, PairKappa{A: a, B: b, Choice: stat(kc, errC, len(xa)), Rating: stat(kr, errR, len(ra))})
		}
	}
	return ca
}

func alphaStat(units []Unit, level Level) Stat {
	n := 0
	for _, u := range units {
		if len(u) >= 2 {
			n++
		}
	}
	v, err := Alpha(units, level)
	return stat(v, err, n)
}

// MarshalJSON writes an undefined Value as null (JSON has no NaN).
func (s Stat) MarshalJSON() ([]byte, error) {
	type plain struct {
		Value *float64 `json:"value"`
		Units int      `json:"units"`
		Note  string   `json:"note,omitempty"`
	}
	p := plain{Units: s.Units, Note: s.Note}
	if s.Defined() {
		v := s.Value
		p.Value = &v
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Stat) UnmarshalJSON(b []byte) error {
	var p struct {
		Value *float64 `json:"value"`
		Units int      `json:"units"`
		Note  string   `json:"note"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Stat{Value: math.NaN(), Units: p.Units, Note: p.Note}
	if p.Value != nil {
		s.Value = *p.Value
	}
	return nil
}
