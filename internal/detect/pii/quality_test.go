package pii

// Quality figures on third-party data in ../shared/data (never copied into the
// repository). They run only when asked, and skip when the data is missing:
//
//	MODELSPEC_QUALITY=1 go test ./internal/detect/pii -run TestQuality -v
//
// MODELSPEC_QUALITY=v also lists false positives and misses (on the tuning
// half only).
//
// Data: Presidio research's synthetic PII set (synth_dataset_v2.json, 1,500
// texts). It has no split, so rows are split by the FNV-1a 64 parity of
// full_text: the detectors were tuned on the even half (TestQualityTune)
// and the figures are published for the odd half (TestQualityHeldOut). The
// false-alarm rate is measured on XSTest's safe prompts, odd half of the id
// hash (the even half was looked at while tuning).
//
// Mapping of Presidio's entity types to categories (recall is measured on
// the primary type; a finding counts as correct when spans of any accepted
// type cover at least half of it):
//
//	category  primary type     also accepted for precision
//	email     EMAIL_ADDRESS    -
//	phone     PHONE_NUMBER     -
//	card      CREDIT_CARD      -
//	ssn       US_SSN           -
//	iban      IBAN_CODE        -
//	ip        IP_ADDRESS       -
//	address   STREET_ADDRESS   ZIP_CODE, GPE (the city and country lines of an address block)
//	dob       DATE_TIME*       DATE_TIME
//	person    PERSON           -
//
// *dob recall counts only the DATE_TIME spans of texts whose template speaks
// of birth ("born", "birth"): the set labels every date, and only dates of
// birth are personal data. Its recall on all DATE_TIME spans is printed too.
// Not mapped (no detector): US_DRIVER_LICENSE, AGE, ZIP_CODE (alone),
// DOMAIN_NAME, GPE, ORGANIZATION, TITLE, NRP.
//
// Span matching: a gold span is found when findings of its category cover at
// least 50% of its characters; a finding is correct when gold spans of an
// accepted type cover at least 50% of its bytes. "Exact" figures count only
// findings whose span equals a gold span (spaces trimmed).

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect"
	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

type goldSpan struct {
	typ        string
	start, end int // bytes
}

type sample struct {
	text     string
	masked   string
	spans    []goldSpan
	birthCtx bool
}

var primary = map[string]string{
	CatEmail: "EMAIL_ADDRESS", CatPhone: "PHONE_NUMBER", CatCard: "CREDIT_CARD", CatSSN: "US_SSN",
	CatIBAN: "IBAN_CODE", CatIP: "IP_ADDRESS", CatAddress: "STREET_ADDRESS", CatDOB: "DATE_TIME", CatPerson: "PERSON",
}

var accepted = map[string][]string{
	CatAddress: {"STREET_ADDRESS", "ZIP_CODE", "GPE"},
}

func acceptedTypes(cat string) []string {
	if a, ok := accepted[cat]; ok {
		return a
	}
	return []string{primary[cat]}
}

func presidio(t *testing.T, parity uint64) []sample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dt.DataDir(), "presidio-research-synth-pii", "synth_dataset_v2.json"))
	if err != nil {
		t.Skipf("no Presidio data: %v", err)
	}
	var rows []struct {
		Text   string `json:"full_text"`
		Masked string `json:"masked"`
		Spans  []struct {
			Type  string `json:"entity_type"`
			Start int    `json:"start_position"`
			End   int    `json:"end_position"`
		} `json:"spans"`
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	var out []sample
	for _, r := range rows {
		if dt.FNVParity(r.Text) != parity {
			continue
		}
		// Character offsets to byte offsets.
		off := make([]int, 0, len(r.Text)+1)
		for i := range r.Text {
			off = append(off, i)
		}
		off = append(off, len(r.Text))
		s := sample{text: r.Text, masked: r.Masked}
		m := strings.ToLower(r.Masked)
		s.birthCtx = strings.Contains(m, "born") || strings.Contains(m, "birth")
		for _, sp := range r.Spans {
			if sp.Start < 0 || sp.End > len(off)-1 || sp.Start >= sp.End {
				t.Fatalf("bad span %+v in %q", sp, r.Text)
			}
			s.spans = append(s.spans, goldSpan{sp.Type, off[sp.Start], off[sp.End]})
		}
		out = append(out, s)
	}
	return out
}

// covered returns how many bytes of [a,b) the spans cover.
func covered(a, b int, spans [][2]int) int {
	mark := make([]bool, b-a)
	n := 0
	for _, s := range spans {
		for i := max(a, s[0]); i < min(b, s[1]); i++ {
			if !mark[i-a] {
				mark[i-a] = true
				n++
			}
		}
	}
	return n
}

type prf struct {
	tp, fp, gold, found int
	exact               int
}

func (p prf) String() string {
	prec, rec := ratio(p.tp, p.tp+p.fp), ratio(p.found, p.gold)
	f1 := 0.0
	if prec+rec > 0 {
		f1 = 2 * prec * rec / (prec + rec)
	}
	return fmt.Sprintf("P %5.1f%% (%d/%d)  R %5.1f%% (%d/%d)  F1 %5.1f%%  exact-P %5.1f%%",
		100*prec, p.tp, p.tp+p.fp, 100*rec, p.found, p.gold, 100*f1, 100*ratio(p.exact, p.tp+p.fp))
}

func (p prf) values() (prec, rec, f1 float64) {
	prec, rec = ratio(p.tp, p.tp+p.fp), ratio(p.found, p.gold)
	if prec+rec > 0 {
		f1 = 2 * prec * rec / (prec + rec)
	}
	return
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// evaluate scores every detector on samples and returns the figures by
// category (and "dob (all DATE_TIME)").
func evaluate(t *testing.T, samples []sample, ds []detect.Detector, verbose bool) map[string]*prf {
	res := map[string]*prf{}
	for _, d := range ds {
		cat := strings.TrimPrefix(d.ID(), IDPrefix)
		p := &prf{}
		all := &prf{}
		for _, s := range samples {
			fs := d.Detect(s.text)
			var pred [][2]int
			for _, f := range fs {
				pred = append(pred, [2]int{f.Start, f.End})
			}
			var acc [][2]int
			for _, g := range s.spans {
				for _, typ := range acceptedTypes(cat) {
					if g.typ == typ {
						acc = append(acc, [2]int{g.start, g.end})
					}
				}
			}
			for _, f := range fs {
				if 2*covered(f.Start, f.End, acc) >= f.End-f.Start {
					p.tp++
					all.tp++
					for _, g := range s.spans {
						if g.typ == primary[cat] && strings.TrimSpace(s.text[g.start:g.end]) == strings.TrimSpace(s.text[f.Start:f.End]) && g.start <= f.Start+1 && f.Start <= g.end {
							p.exact++
							all.exact++
							break
						}
					}
				} else {
					p.fp++
					all.fp++
					if verbose {
						t.Logf("  FP %-8s %-18s %.2f %q   in %.90q", cat, f.Evidence, f.Score, s.text[f.Start:f.End], s.text)
					}
				}
			}
			for _, g := range s.spans {
				if g.typ != primary[cat] {
					continue
				}
				hit := 2*covered(g.start, g.end, pred) >= g.end-g.start
				all.gold++
				if hit {
					all.found++
				}
				if cat == CatDOB && !s.birthCtx {
					continue
				}
				p.gold++
				if hit {
					p.found++
				} else if verbose {
					t.Logf("  FN %-8s %q   in %.100q", cat, s.text[g.start:g.end], s.text)
				}
			}
		}
		res[cat] = p
		if cat == CatDOB {
			res["dob (all DATE_TIME)"] = all
		}
	}
	return res
}

func report(t *testing.T, label string, res map[string]*prf) {
	t.Logf("%s", label)
	for _, c := range append(append([]string{}, Categories...), "dob (all DATE_TIME)") {
		if r, ok := res[c]; ok {
			t.Logf("  %-20s %s", c, r)
		}
	}
}

// xstestSafe returns XSTest's safe prompts whose id has the given parity,
// and their XSTest types.
func xstestSafe(t *testing.T, parity uint64) (texts, types []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dt.DataDir(), "xstest", "xstest_prompts.csv"))
	if err != nil {
		t.Skipf("no XSTest data: %v", err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		if r[3] == "safe" && dt.FNVParity(r[0]) == parity {
			texts = append(texts, r[1])
			types = append(types, r[2])
		}
	}
	return texts, types
}

// falseAlarms returns, per category and for all together, the share of
// texts with a finding.
func falseAlarms(t *testing.T, label string, texts, types []string, ds []detect.Detector) map[string]dt.Rate {
	out := map[string]dt.Rate{}
	var any dt.Rate
	hit := make([]bool, len(texts))
	for _, d := range ds {
		cat := strings.TrimPrefix(d.ID(), IDPrefix)
		var r dt.Rate
		for i, s := range texts {
			fs := d.Detect(s)
			r.Add(len(fs) > 0)
			if len(fs) > 0 {
				hit[i] = true
				if dt.Verbose() {
					for _, f := range fs {
						t.Logf("  false alarm %-8s %-16s %.2f %q in %.80q", cat, f.Evidence, f.Score, s[f.Start:f.End], s)
					}
				}
			}
		}
		out[cat] = r
	}
	byType := map[string]*dt.Rate{}
	for i, h := range hit {
		any.Add(h)
		if byType[types[i]] == nil {
			byType[types[i]] = &dt.Rate{}
		}
		byType[types[i]].Add(h)
	}
	out["any"] = any
	var other dt.Rate // the prompts whose XSTest type puts no name in them by design
	for i, h := range hit {
		if !strings.HasPrefix(types[i], "privacy_") {
			other.Add(h)
		}
	}
	out["any, not privacy_*"] = other
	t.Logf("%s: share of texts with a finding (false alarms)", label)
	for _, c := range append(append([]string{}, Categories...), "any", "any, not privacy_*") {
		t.Logf("  %-8s %s", c, out[c])
	}
	for _, typ := range slices.Sorted(maps.Keys(byType)) {
		t.Logf("  any, XSTest type %-22s %s", typ, byType[typ])
	}
	return out
}

func needData(t *testing.T) {
	t.Helper()
	if os.Getenv(dt.QualityEnv) == "" {
		t.Skipf("set %s=1 to measure on %s", dt.QualityEnv, dt.DataDir())
	}
	if _, err := os.Stat(filepath.Join(dt.DataDir(), "presidio-research-synth-pii")); err != nil {
		t.Skipf("no shared data: %v", err)
	}
}

// TestQualityTune prints the figures on the halves the detectors were tuned
// on.
func TestQualityTune(t *testing.T) {
	needData(t)
	res := evaluate(t, presidio(t, 0), All(), dt.Verbose())
	report(t, "Presidio synth_dataset_v2, even-hash half (TUNING DATA), default thresholds", res)
	texts, types := xstestSafe(t, 0)
	falseAlarms(t, "XSTest safe prompts, even-hash half (TUNING DATA)", texts, types, All())
}

// floors are the held-out figures below which TestQualityHeldOut fails: a
// little under what was measured when the detectors were written (see
// README.md).
var floors = map[string]struct{ p, r float64 }{
	CatEmail:   {0.98, 0.98},
	CatPhone:   {0.95, 0.88},
	CatCard:    {0.95, 0.90},
	CatSSN:     {0.95, 0.95},
	CatIBAN:    {0.95, 0.95},
	CatIP:      {0.95, 0.95},
	CatAddress: {0.95, 0.66},
	CatDOB:     {0.90, 0.90},
	CatPerson:  {0.90, 0.72},
}

// maxFalseAlarms bounds the share of held-out XSTest safe prompts with any
// PII finding: all of them (the privacy_public and privacy_fictional types
// name people on purpose, and a name detector should find those names), and
// those of the other types.
const (
	maxFalseAlarms        = 0.16
	maxFalseAlarmsNoNames = 0.07
)

// TestQualityHeldOut prints the figures on the held-out halves and fails
// below the floors.
func TestQualityHeldOut(t *testing.T) {
	needData(t)
	res := evaluate(t, presidio(t, 1), All(), false)
	report(t, "Presidio synth_dataset_v2, odd-hash half (HELD OUT), default thresholds", res)
	for cat, f := range floors {
		p, r, _ := res[cat].values()
		if p < f.p || r < f.r {
			t.Errorf("%s: precision %.3f recall %.3f, below the floors %.2f / %.2f", cat, p, r, f.p, f.r)
		}
	}
	texts, types := xstestSafe(t, 1)
	fa := falseAlarms(t, "XSTest safe prompts, odd-hash half (HELD OUT)", texts, types, All())
	if v := fa["any"].Value(); v > maxFalseAlarms {
		t.Errorf("false-alarm rate %.3f on XSTest safe prompts, above the ceiling %.3f", v, maxFalseAlarms)
	}
	if v := fa["any, not privacy_*"].Value(); v > maxFalseAlarmsNoNames {
		t.Errorf("false-alarm rate %.3f on XSTest safe prompts outside privacy_*, above the ceiling %.3f", v, maxFalseAlarmsNoNames)
	}
}
