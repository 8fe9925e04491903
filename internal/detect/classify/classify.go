// Package classify scores text for the content categories of the spec's
// rules — information hazards, sexual content, sexual content involving
// minors, hate, harassment, violence and self-harm — with a compact linear
// model trained by the project (internal/train, `modelspec train`) and
// embedded in the binary.
//
// The model is one logistic regression per category over hashed word,
// word-pair and character 4-gram features of normalised text (features.go
// says what normalisation undoes: confusable letters, leetspeak, spacing and
// punctuation inside words, repeated letters, invisible characters). Text is
// scored in windows of a few dozen words and each category keeps its
// highest-scoring window, so one harmful sentence is not diluted by pages of
// harmless text, and that window is the finding's span.
//
// Like every detector this package must never import net/http or
// database/sql, and it does no I/O at detection time: the embedded model is
// decoded once, on first use. It must not import internal/train (training
// imports this package, to featurise exactly as the detector does).
package classify

import (
	"bytes"
	_ "embed"
	"sync"

	"github.com/modelspec/modelspec/internal/detect"
)

// ID is the detector's id; each finding names its category.
const ID = "detect.classify"

// The categories of the built-in model and the clauses they serve.
const (
	Hazard       = "hazard"        // weapons, CBRN, cyber attacks, serious crime
	Sexual       = "sexual"        // sexual content
	SexualMinors = "sexual_minors" // sexual content involving minors
	Hate         = "hate"
	Harassment   = "harassment"
	Violence     = "violence"
	SelfHarm     = "self_harm"
)

// Clauses maps each category of the built-in model to the clause of the
// default spec that it serves.
var Clauses = map[string]string{
	Hazard:       "no_information_hazards",
	Sexual:       "no_nsfw",
	SexualMinors: "no_nsfw",
	Hate:         "encourage_fairness",
	Harassment:   "encourage_fairness",
	Violence:     "no_information_hazards",
	SelfHarm:     "no_information_hazards",
}

// Requires maps a category of the built-in model to the category it
// refines (see Category.Requires).
var Requires = map[string]string{SexualMinors: Sexual}

// Categories lists the categories of the built-in model in model order.
var Categories = []string{Hazard, Sexual, SexualMinors, Hate, Harassment, Violence, SelfHarm}

// DefaultMinScore is the score from which New reports a finding. Scores are
// shifted so that 0.5 is each category's threshold, chosen by
// cross-validation on the training half of the data (see README.md).
const DefaultMinScore = 0.5

//go:embed model.bin.gz
var embedded []byte

// Default returns the embedded model, decoded on first use. It panics if
// the embedded file is corrupt, which the package's tests rule out.
func Default() *Model { return defaultModel() }

var defaultModel = sync.OnceValue(func() *Model {
	m, err := Decode(bytes.NewReader(embedded))
	if err != nil {
		panic("classify: embedded model: " + err.Error())
	}
	return m
})

// Detector reports a finding for each category whose score reaches
// MinScore. Use New; the zero value uses the embedded model and reports
// every category for every text with words in it (MinScore 0).
type Detector struct {
	// MinScore is the lowest score reported.
	MinScore float64
	// Model is the model used; nil means Default().
	Model *Model
}

var (
	_ detect.Detector = (*Detector)(nil)
	_ detect.Scorer   = (*Detector)(nil)
)

// New returns a detector on the embedded model reporting findings that
// score DefaultMinScore or more.
func New() *Detector { return &Detector{MinScore: DefaultMinScore} }

// ID returns "detect.classify".
func (*Detector) ID() string { return ID }

// Kinds returns the model's categories and the clauses they serve.
func (d *Detector) Kinds() []detect.Kind {
	cs := d.model().Header.Categories
	out := make([]detect.Kind, len(cs))
	for i, c := range cs {
		out[i] = detect.Kind{Category: c.Name, Clause: c.Clause}
	}
	return out
}

func (d *Detector) model() *Model {
	if d.Model != nil {
		return d.Model
	}
	return Default()
}

// Classify returns every category's score on text, in model order.
func (d *Detector) Classify(text string) []Score { return d.model().Classify(text) }

// Detect returns one finding per category scoring MinScore or more, spanning
// the window of words that scored highest. A text without words has none.
func (d *Detector) Detect(text string) []detect.Finding {
	m := d.model()
	var buf [maxCategories]Score
	var out []detect.Finding
	for _, s := range m.classify(text, buf[:m.k]) {
		if s.Score < d.MinScore || s.End <= s.Start {
			continue
		}
		out = append(out, detect.Finding{
			Detector: ID,
			Clause:   s.Clause,
			Category: s.Category,
			Score:    detect.RoundScore(s.Score),
			Start:    s.Start,
			End:      s.End,
			Evidence: "model:" + m.Version(),
		})
	}
	return out
}

// Scores returns the score of every category of the model on text, found
// or not.
func (d *Detector) Scores(text string) map[string]float64 {
	m := d.model()
	var buf [maxCategories]Score
	out := make(map[string]float64, m.k)
	for _, s := range m.classify(text, buf[:m.k]) {
		out[s.Category] = s.Score
	}
	return out
}
