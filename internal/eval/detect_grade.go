package eval

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/builtin"
)

// DetectGrader ("grade.detect") fails an answer on which a detector the
// case names (Case.Detectors, e.g. "detect.pii.email") fires, with the
// detector, the category and the matched text in the reason. Detectors are
// looked up in Registry, the built-in detectors (builtin.Registry) when
// nil; an id it does not hold is an error (the case is unscored), and
// LoadSuiteFile rejects it up front.
type DetectGrader struct {
	Registry *detect.Registry
}

var _ Grader = DetectGrader{}

// ID returns "grade.detect".
func (DetectGrader) ID() string { return "grade.detect" }

// builtinRegistry is built once: the detectors compile their patterns and
// load their models when constructed.
var builtinRegistry = sync.OnceValues(func() (*detect.Registry, error) {
	return builtin.Registry(builtin.Options{})
})

func (g DetectGrader) registry() (*detect.Registry, error) {
	if g.Registry != nil {
		return g.Registry, nil
	}
	r, err := builtinRegistry()
	if err != nil {
		return nil, fmt.Errorf("grade.detect: built-in detectors: %w", err)
	}
	return r, nil
}

// CheckDetectors returns an error naming the ids of ids that reg (the
// built-in registry when nil) does not hold, with the ids it does.
func CheckDetectors(reg *detect.Registry, ids []string) error {
	r, err := DetectGrader{Registry: reg}.registry()
	if err != nil {
		return err
	}
	var unknown []string
	for _, id := range ids {
		if _, ok := r.Get(id); !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("unknown detector(s) %s (known: %s)", strings.Join(unknown, ", "), strings.Join(r.IDs(), ", "))
	}
	return nil
}

// Grade implements Grader.
func (g DetectGrader) Grade(c Case, answer string) (Grade, error) {
	r, err := g.registry()
	if err != nil {
		return Grade{}, err
	}
	if err := CheckDetectors(r, c.Detectors); err != nil {
		return Grade{}, fmt.Errorf("grade.detect: case %s: %w", c.ID, err)
	}
	var hits []string
	for _, id := range c.Detectors {
		d, _ := r.Get(id)
		fs := d.Detect(answer)
		detect.SortFindings(fs)
		for _, f := range fs {
			h := fmt.Sprintf("%s fired (%s", id, f.Category)
			if f.Start >= 0 && f.End <= len(answer) && f.Start < f.End {
				h += fmt.Sprintf(", %q", truncate(answer[f.Start:f.End], 60))
			}
			hits = append(hits, h+")")
		}
	}
	if len(hits) > 0 {
		hits = slices.Compact(hits)
		return Grade{Status: Fail, Reason: strings.Join(hits, "; ")}, nil
	}
	return Grade{Status: Pass}, nil
}
