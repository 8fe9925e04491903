package eval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelspec/modelspec/internal/judge"
	"github.com/modelspec/modelspec/internal/openai"
)

// Model-backed graders: grade.judge (propositions about the answer, scored
// by a judge model against the clause's rubric) and grade.pairwise (the
// answer against a reference). Both ask every judge of a Panel and take a
// majority vote. A judge that errors or replies invalidly casts no vote;
// a case without a majority of the whole panel is unscored with the
// reason, never passed or failed by default.

// Judge is one judge model behind an OpenAI-compatible endpoint. Requests
// go through judge.Client, the client the clause detector uses, so that
// retries (408, 429, 5xx, network errors), timeouts and error statuses are
// handled alike.
type Judge struct {
	// Name identifies the judge in votes: "model@host".
	Name   string
	Model  string
	client *judge.Client
}

// JudgeConfig configures NewJudge.
type JudgeConfig struct {
	BaseURL string
	Model   string
	APIKey  string
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client
	// Header is added to every request.
	Header http.Header
	// Timeout bounds one judgement, retries included (default 60s).
	Timeout time.Duration
	// MaxRetries after the first attempt (default 2; negative: none).
	MaxRetries int
	// Backoff is the first wait between attempts (default 500ms).
	Backoff time.Duration
}

// ErrJudgeConfig is returned (wrapped) by NewJudge for a bad config.
var ErrJudgeConfig = errors.New("bad judge")

// NewJudge returns a judge, or an error naming what is wrong with cfg.
func NewJudge(cfg JudgeConfig) (*Judge, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w %q: want an http(s) base URL such as https://api.openai.com/v1", ErrJudgeConfig, cfg.BaseURL)
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("%w %s: no model (--judge-model)", ErrJudgeConfig, cfg.BaseURL)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	c := judge.NewClient(judge.ClientConfig{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, Header: cfg.Header,
		HTTPClient: cfg.HTTPClient, Timeout: cfg.Timeout, MaxRetries: cfg.MaxRetries, Backoff: cfg.Backoff})
	return &Judge{Name: cfg.Model + "@" + u.Host, Model: cfg.Model, client: c}, nil
}

// ask sends req and returns the text of the reply.
func (j *Judge) ask(ctx context.Context, req openai.ChatRequest) (string, error) {
	cc, err := j.client.Complete(ctx, req)
	if err != nil {
		return "", err
	}
	return judge.ReplyText(cc)
}

// Panel is the judges a model-backed grader asks. With one judge its
// verdict is the panel's; with several, the majority's.
type Panel struct {
	Judges []*Judge
}

// NewPanel returns a panel of js; two judges may not share a name (the
// same model at the same host), since their votes would be one vote twice.
func NewPanel(js ...*Judge) (*Panel, error) {
	if len(js) == 0 {
		return nil, fmt.Errorf("%w: a panel needs at least one judge", ErrJudgeConfig)
	}
	seen := map[string]bool{}
	for _, j := range js {
		if seen[j.Name] {
			return nil, fmt.Errorf("%w: %s given twice", ErrJudgeConfig, j.Name)
		}
		seen[j.Name] = true
	}
	return &Panel{Judges: js}, nil
}

// Vote is one judge's verdict on a case.
type Vote struct {
	Judge string `json:"judge"`
	// Status is pass, fail, or unscored when the judge could not answer
	// (Reason says why).
	Status string  `json:"status"`
	Label  string  `json:"label,omitempty"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason,omitempty"`
	// Answers are grade.judge's propositions as this judge answered them.
	Answers []PropositionAnswer `json:"answers,omitempty"`
}

// ErrNoMajority is returned (wrapped) when a panel has no majority.
var ErrNoMajority = errors.New("no majority")

// poll asks every judge of p at once with ask and returns their votes in
// panel order.
func (p *Panel) poll(ctx context.Context, ask func(ctx context.Context, j *Judge) Vote) []Vote {
	votes := make([]Vote, len(p.Judges))
	var wg sync.WaitGroup
	for i, j := range p.Judges {
		wg.Go(func() {
			votes[i] = ask(ctx, j)
			votes[i].Judge = j.Name
		})
	}
	wg.Wait()
	return votes
}

// Majority combines votes of a panel of n judges: pass when more than half
// of the n voted pass, fail when more than half voted fail; otherwise
// (a tie, or too many judges that could not answer) the grade is unscored
// and the error wraps ErrNoMajority. So an unanswered judge counts against
// both sides: 2 of 3 decide, 1 of 2 does not. The score is the mean of the
// majority's scores; the label the most common among them (first in panel
// order on a tie); the reason the majority's reasons, each after its
// judge's name when there are several.
func Majority(votes []Vote) (Grade, error) {
	n := len(votes)
	var pass, fail, none int
	for _, v := range votes {
		switch v.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			none++
		}
	}
	g := Grade{Votes: votes}
	switch {
	case 2*pass > n:
		g.Status = Pass
	case 2*fail > n:
		g.Status = Fail
	default:
		g.Status = Unscored
		var why []string
		for _, v := range votes {
			if v.Status != Pass && v.Status != Fail {
				why = append(why, v.Judge+": "+v.Reason)
			}
		}
		msg := fmt.Sprintf("%d judge(s): %d pass, %d fail, %d unscored", n, pass, fail, none)
		if len(why) > 0 {
			msg += " (" + strings.Join(why, "; ") + ")"
		}
		g.Reason = msg
		return g, fmt.Errorf("%w: %s", ErrNoMajority, msg)
	}
	labels := map[string]int{}
	var sum float64
	var reasons []string
	k := 0
	for _, v := range votes {
		if v.Status != g.Status {
			continue
		}
		k++
		sum += v.Score
		labels[v.Label]++
		if v.Reason != "" {
			if n > 1 {
				reasons = append(reasons, v.Judge+": "+v.Reason)
			} else {
				reasons = append(reasons, v.Reason)
			}
		}
	}
	g.Score = math.Round(sum/float64(k)*1000) / 1000
	for _, v := range votes {
		if v.Status == g.Status && labels[v.Label] > labels[g.Label] {
			g.Label = v.Label
		}
	}
	if g.Status == Fail {
		g.Reason = strings.Join(reasons, "; ")
	}
	return g, nil
}

// JudgeGrader ("grade.judge") asks each judge of Panel the propositions of
// the case (Propositions) about the answer, with the rubric of the case's
// clauses from the spec in use (Rubrics), validates each reply
// (ParseRubricReply), combines each judge's answers by CombineRubric and
// the judges by Majority.
type JudgeGrader struct {
	Panel   *Panel
	Rubrics *Rubrics
}

var (
	_ ContextGrader = (*JudgeGrader)(nil)
	_ ContextGrader = (*PairwiseGrader)(nil)
)

// ID returns "grade.judge".
func (*JudgeGrader) ID() string { return "grade.judge" }

// Grade implements Grader without a deadline of the caller's.
func (g *JudgeGrader) Grade(c Case, answer string) (Grade, error) {
	return g.GradeContext(context.Background(), c, answer)
}

// GradeContext implements ContextGrader.
func (g *JudgeGrader) GradeContext(ctx context.Context, c Case, answer string) (Grade, error) {
	if strings.TrimSpace(answer) == "" {
		return Grade{}, ErrEmptyAnswer
	}
	if g.Panel == nil || g.Rubrics == nil {
		return Grade{}, errors.New("grade.judge: no judge configured (--judge URL --judge-model M)")
	}
	rubric, err := g.Rubrics.For(c.Clauses)
	if err != nil {
		return Grade{}, fmt.Errorf("grade.judge: case %s: %w", c.ID, err)
	}
	ps := Propositions(c)
	votes := g.Panel.poll(ctx, func(ctx context.Context, j *Judge) Vote {
		reply, err := j.ask(ctx, RubricRequest(j.Model, rubric, c, answer, ps))
		if err != nil {
			return Vote{Status: Unscored, Reason: oneLine(err.Error())}
		}
		as, err := ParseRubricReply(reply, ps)
		if err != nil {
			return Vote{Status: Unscored, Reason: oneLine(err.Error())}
		}
		v := CombineRubric(ps, as)
		return Vote{Status: v.Status, Label: v.Label, Score: v.Score, Reason: v.Reason, Answers: as}
	})
	gr, err := Majority(votes)
	if err != nil {
		return gr, fmt.Errorf("grade.judge: %w", err)
	}
	return gr, nil
}

// Agreement describes how often the judges of a panel agreed, over the
// results of one grader.
type Agreement struct {
	Grader string `json:"grader"`
	// Judges is the largest panel seen.
	Judges int `json:"judges"`
	// Cases counts the cases with at least two pass/fail votes; Unanimous
	// those where all of them agreed.
	Cases     int `json:"cases"`
	Unanimous int `json:"unanimous"`
	// Pairwise is the share of pairs of pass/fail votes on the same case
	// that agree, over all such pairs.
	Pairwise float64 `json:"pairwise"`
	// Kappa is Fleiss' kappa over the cases where every judge of the
	// panel voted pass or fail (nil with fewer than two such cases or no
	// variation): agreement corrected for chance, 1 perfect, 0 chance.
	Kappa *float64 `json:"kappa"`
	// KappaCases counts the cases kappa is computed on.
	KappaCases int `json:"kappa_cases"`
}

// JudgeAgreement computes the judges' agreement per model-backed grader
// from the votes stored in rs (each result's checks, or its own votes),
// sorted by grader id. Graders with one judge are left out.
func JudgeAgreement(rs []Result) []Agreement {
	type acc struct {
		Agreement
		pairs, agree int
		rows         [][2]int // pass, fail per complete case
	}
	by := map[string]*acc{}
	add := func(grader string, votes []Vote) {
		if len(votes) < 2 {
			return
		}
		a := by[grader]
		if a == nil {
			a = &acc{Agreement: Agreement{Grader: grader}}
			by[grader] = a
		}
		a.Judges = max(a.Judges, len(votes))
		var pass, fail int
		for _, v := range votes {
			switch v.Status {
			case Pass:
				pass++
			case Fail:
				fail++
			}
		}
		if pass+fail >= 2 {
			a.Cases++
			if pass == 0 || fail == 0 {
				a.Unanimous++
			}
			a.pairs += (pass + fail) * (pass + fail - 1) / 2
			a.agree += pass*(pass-1)/2 + fail*(fail-1)/2
		}
		if pass+fail == len(votes) {
			a.rows = append(a.rows, [2]int{pass, fail})
		}
	}
	for _, r := range rs {
		for _, ch := range r.Checks {
			add(ch.Grader, ch.Votes)
		}
		if len(r.Votes) > 0 && len(r.Checks) == 0 {
			g := "grade.judge"
			if len(r.Graders) == 1 {
				g = r.Graders[0]
			}
			add(g, r.Votes)
		}
	}
	out := make([]Agreement, 0, len(by))
	for _, a := range by {
		if a.pairs > 0 {
			a.Pairwise = math.Round(float64(a.agree)/float64(a.pairs)*1000) / 1000
		}
		a.Kappa, a.KappaCases = fleissKappa(a.rows, a.Judges)
		out = append(out, a.Agreement)
	}
	slices.SortFunc(out, func(x, y Agreement) int { return cmp.Compare(x.Grader, y.Grader) })
	return out
}

// fleissKappa is Fleiss' kappa for rows of (pass, fail) counts, each row
// summing to n raters. It returns nil with fewer than two rows of n, or
// when every vote fell in one category (chance agreement is then 1).
func fleissKappa(rows [][2]int, n int) (*float64, int) {
	var full [][2]int
	for _, r := range rows {
		if r[0]+r[1] == n {
			full = append(full, r)
		}
	}
	N := len(full)
	if N < 2 || n < 2 {
		return nil, N
	}
	var pbar, tot [2]float64
	var P float64
	for _, r := range full {
		s := 0.0
		for j := range 2 {
			tot[j] += float64(r[j])
			s += float64(r[j] * (r[j] - 1))
		}
		P += s / float64(n*(n-1))
	}
	P /= float64(N)
	pe := 0.0
	for j := range 2 {
		pbar[j] = tot[j] / float64(N*n)
		pe += pbar[j] * pbar[j]
	}
	if pe >= 1 {
		return nil, N
	}
	k := math.Round((P-pe)/(1-pe)*1000) / 1000
	return &k, N
}
