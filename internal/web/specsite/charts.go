package specsite

import (
	"math"
	"math/rand/v2"
	"net/http"

	"github.com/modelspec/modelspec/internal/consensus"
	"github.com/modelspec/modelspec/internal/feedback"
)

// Chart geometry, in SVG user units.
const (
	plotW, plotH, plotPad = 480.0, 320.0, 24.0
	barW                  = 240.0
)

// point is a participant in the plane of the first two components.
type point struct {
	X, Y  float64
	Class string
}

// groupView is an opinion group: its label, size and centroid on the plot.
type groupView struct {
	Label  string
	Class  string
	Size   int
	CX, CY float64
}

// bar is one group's votes on a statement, as widths of a stacked bar.
type bar struct {
	Label, Class            string
	Agree, Disagree, Pass   int
	AgreeW, DisagreeW, PasW float64
	PAgree                  float64
}

// statementView is a statement with its scores and per-group bars.
type statementView struct {
	ID, Text, Clause        string
	Consensus, Divisiveness float64
	All                     consensus.Tally
	Bars                    []bar
}

// consensusView is everything the consensus page draws.
type consensusView struct {
	V                       feedback.Version
	W, H                    float64
	Points                  []point
	Groups                  []groupView
	Unite, Divide           []statementView
	Participants, Placed    int
	Explained               [2]float64
	MinVotes, BarW, BarRowH float64
}

var groupLetters = []string{"A", "B", "C", "D", "E"}

func (s *Site) consensus(w http.ResponseWriter, r *http.Request) {
	vw, v, sts, ok := s.pathStatements(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	votes, err := s.st.Votes(ctx, v.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// A fixed seed: the same votes always draw the same chart.
	res, err := feedback.Analyze(sts, votes, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, vw, "consensus", http.StatusOK, "Where people agree: "+v.ID, view(v, sts, res), v.ID, "")
}

// view lays the analysis out for the page: participants scaled into the
// plot, groups lettered A.. in the order consensus numbers them, and the
// statements that unite (highest group-aware consensus) and divide
// (largest spread between groups).
func view(v feedback.Version, sts []feedback.Statement, res *consensus.Result) consensusView {
	cv := consensusView{V: v, W: plotW, H: plotH, Participants: len(res.Participants), Explained: res.Projection.Explained,
		MinVotes: feedback.MinVotesToPlace, BarW: barW}
	scale := 0.0
	for _, p := range res.Participants {
		if p.Group >= 0 {
			scale = math.Max(scale, math.Max(math.Abs(p.X), math.Abs(p.Y)))
		}
	}
	if scale == 0 {
		scale = 1
	}
	px := func(x float64) float64 { return plotW/2 + x/scale*(plotW/2-plotPad) }
	py := func(y float64) float64 { return plotH/2 - y/scale*(plotH/2-plotPad) }
	for _, p := range res.Participants {
		if p.Group < 0 {
			continue
		}
		cv.Placed++
		cv.Points = append(cv.Points, point{X: px(p.X), Y: py(p.Y), Class: groupClass(p.Group)})
	}
	for g, gr := range res.Groups {
		cv.Groups = append(cv.Groups, groupView{Label: groupLabel(g), Class: groupClass(g), Size: gr.Size, CX: px(gr.Centroid[0]), CY: py(gr.Centroid[1])})
	}
	byID := map[string]feedback.Statement{}
	for _, st := range sts {
		byID[st.ID] = st
	}
	mk := func(sc consensus.Score) statementView {
		st := byID[sc.Statement]
		sv := statementView{ID: sc.Statement, Text: st.Text, Clause: st.Clause, Consensus: sc.Consensus, Divisiveness: sc.Divisiveness, All: sc.All}
		for g, t := range sc.Groups {
			n := float64(max(t.Seen(), 1))
			sv.Bars = append(sv.Bars, bar{Label: groupLabel(g), Class: groupClass(g), Agree: t.Agree, Disagree: t.Disagree, Pass: t.Pass,
				AgreeW: barW * float64(t.Agree) / n, DisagreeW: barW * float64(t.Disagree) / n, PasW: barW * float64(t.Pass) / n, PAgree: t.PAgree()})
		}
		return sv
	}
	for _, sc := range res.ByConsensus() {
		if sc.All.Seen() > 0 {
			cv.Unite = append(cv.Unite, mk(sc))
		}
	}
	if len(res.Groups) > 1 {
		for _, sc := range res.ByDivisiveness() {
			if sc.All.Seen() > 0 && sc.Divisiveness > 0 {
				cv.Divide = append(cv.Divide, mk(sc))
			}
		}
	}
	const show = 10
	cv.Unite, cv.Divide = cv.Unite[:min(len(cv.Unite), show)], cv.Divide[:min(len(cv.Divide), show)]
	return cv
}

func groupLabel(g int) string {
	if g < len(groupLetters) {
		return groupLetters[g]
	}
	return string(rune('A' + g))
}

func groupClass(g int) string { return "g" + string(rune('0'+g%10)) }
