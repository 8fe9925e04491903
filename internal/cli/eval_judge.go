package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/modelspec/modelspec/internal/eval"
	"github.com/modelspec/modelspec/internal/specload"
)

// evalJudgeFlags are eval run's model-backed grading flags.
type evalJudgeFlags struct {
	urls, models []string
	keyEnv       string
	graders      string
	spec         string
	timeout      time.Duration
}

func (f *evalJudgeFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.urls, "judge", nil, "an OpenAI-compatible base URL of a judge model (repeat for a panel; majority vote)")
	fs.StringArrayVar(&f.models, "judge-model", nil, "the judge's model (one for every --judge, or one per --judge in order)")
	fs.StringVar(&f.keyEnv, "judge-key-env", "OPENAI_API_KEY", "environment variable holding the judges' API key")
	fs.StringVar(&f.graders, "judge-graders", "judge,pairwise", "model-backed graders to run: judge (rubric propositions), pairwise (against a reference), or both")
	fs.StringVar(&f.spec, "spec", "", "the spec of the judges' rubric, of --spec-in-context and of synth's teacher (default: the built-in spec)")
	fs.DurationVar(&f.timeout, "judge-timeout", 60*time.Second, "time limit of one judgement, retries included")
}

// active reports whether any judge flag was given.
func (f evalJudgeFlags) active() bool { return len(f.urls) > 0 }

// caseGrader returns grade.case with the judges the flags ask for.
func (f evalJudgeFlags) caseGrader(client *http.Client) (eval.CaseGrader, error) {
	if !f.active() {
		if len(f.models) > 0 || f.spec != "" {
			return eval.CaseGrader{}, usageError("eval run: --judge-model and --spec need --judge URL")
		}
		return eval.CaseGrader{}, nil
	}
	models := f.models
	switch {
	case len(models) == 0:
		return eval.CaseGrader{}, usageError("eval run: --judge needs --judge-model")
	case len(models) == 1:
		models = slices.Repeat(models, len(f.urls))
	case len(models) != len(f.urls):
		return eval.CaseGrader{}, usageError("eval run: %d --judge-model for %d --judge (give one, or one per judge)", len(models), len(f.urls))
	}
	var rubric, pairwise bool
	for _, g := range strings.Split(f.graders, ",") {
		switch strings.TrimSpace(g) {
		case "judge":
			rubric = true
		case "pairwise":
			pairwise = true
		default:
			return eval.CaseGrader{}, usageError("eval run: --judge-graders %q: want judge, pairwise or judge,pairwise", f.graders)
		}
	}
	key := os.Getenv(f.keyEnv)
	var js []*eval.Judge
	for i, u := range f.urls {
		j, err := eval.NewJudge(eval.JudgeConfig{BaseURL: u, Model: models[i], APIKey: key, HTTPClient: client, Timeout: f.timeout})
		if err != nil {
			return eval.CaseGrader{}, usageError("eval run: --judge: %v", err)
		}
		js = append(js, j)
	}
	panel, err := eval.NewPanel(js...)
	if err != nil {
		return eval.CaseGrader{}, usageError("eval run: --judge: %v", err)
	}
	res, err := specload.Load(f.spec)
	if err != nil {
		return eval.CaseGrader{}, usageError("eval run: --spec: %v", err)
	}
	rubrics := eval.NewRubrics(res.Spec)
	var g eval.CaseGrader
	if rubric {
		g.Judge = &eval.JudgeGrader{Panel: panel, Rubrics: rubrics}
	}
	if pairwise {
		g.Pairwise = &eval.PairwiseGrader{Panel: panel, Rubrics: rubrics}
	}
	return g, nil
}

// params is how a stored run remembers its judges, so that a resumed run
// grades its remaining cases the same way.
func (f evalJudgeFlags) params() string {
	if !f.active() {
		return ""
	}
	models := f.models
	if len(models) == 1 {
		models = slices.Repeat(models, len(f.urls))
	}
	var parts []string
	for i, u := range f.urls {
		parts = append(parts, models[i]+"@"+u)
	}
	return strings.Join(parts, " ") + " graders=" + f.graders + " spec=" + f.spec
}

// writeJudgeAgreement prints the agreement of the judges of each
// model-backed grader that had more than one.
func writeJudgeAgreement(w io.Writer, rs []eval.Result) error {
	ag := eval.JudgeAgreement(rs)
	if len(ag) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := newTable(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "grader\tjudges\tcases\tunanimous\tpairwise agreement\tFleiss' kappa\t")
	for _, a := range ag {
		k := "-"
		if a.Kappa != nil {
			k = fmt.Sprintf("%.3f (%d cases)", *a.Kappa, a.KappaCases)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f%%\t%s\t\n", a.Grader, a.Judges, a.Cases, a.Unanimous, 100*a.Pairwise, k)
	}
	return tw.Flush()
}
