package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestIsJSONObject(t *testing.T) {
	for in, want := range map[string]bool{
		`{}`: true, " \n{\"a\":1}": true, `{"a":"\u0000"}`: true,
		``: false, ` `: false, `[]`: false, `"x"`: false, `{`: false, `{} {}`: false, `{}x`: false, `null`: false,
	} {
		if got := isJSONObject([]byte(in)); got != want {
			t.Errorf("isJSONObject(%q) = %v", in, got)
		}
	}
}

func TestNormalizeRunAndResult(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 4, 5, 999, time.FixedZone("X", 3600))
	run, cases, err := NormalizeRun(EvalRun{ID: "r", Repeats: 2, Started: started, Status: "bogus", Passed: 9,
		Suite: "s\x00", Params: map[string]string{"k\xff": "v"}},
		[]EvalCase{{ID: "a", Data: json.RawMessage("{\"x\":\"\xff\"}")}})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != EvalRunning || run.Passed != 0 || run.Started.Location() != time.UTC || run.Started.Nanosecond() != 0 ||
		run.Suite != "s\uFFFD" || run.Params["k\uFFFD"] != "v" {
		t.Errorf("run %+v", run)
	}
	if !utf8.Valid(cases[0].Data) || !isJSONObject(cases[0].Data) {
		t.Errorf("case data %q", cases[0].Data)
	}
	r, err := NormalizeResult(EvalResult{CaseID: "a", Status: EvalPass, Time: started, Elapsed: 1500 * time.Nanosecond, Grade: json.RawMessage{}})
	if err != nil || r.Grade != nil || r.Elapsed != time.Microsecond || r.Time.Location() != time.UTC {
		t.Errorf("result %+v %v", r, err)
	}
	if _, err := NormalizeResult(EvalResult{CaseID: strings.Repeat("x", MaxCaseIDLength+1), Status: EvalPass, Time: started}); !errors.Is(err, ErrInvalid) {
		t.Errorf("long case id: %v", err)
	}
	if f, err := (EvalRunFilter{Limit: 5000}).Prepare(); err != nil || f.Limit != MaxLimit {
		t.Errorf("limit %+v %v", f, err)
	}
}

// FuzzNormalizeResult feeds results as a model or a grader could make
// them: whatever is accepted comes out as valid UTF-8 without NUL, with a
// grade that is still one JSON object.
func FuzzNormalizeResult(f *testing.F) {
	f.Add("case-1", "pass", "answer", `{"status":"pass"}`, "k")
	f.Add("c\x00", "fail", "\xff\xfe", "{\"r\":\"\xff\"}", "")
	f.Add("é", "unscored", "nul \x00", ` {"a":[1,{"b":null}]} `, "sha256:00")
	f.Add("x", "pass", "", `[1]`, "")
	f.Fuzz(func(t *testing.T, id, status, answer, grade, key string) {
		r, err := NormalizeResult(EvalResult{CaseID: id, Status: status, Answer: answer, Error: answer,
			Grade: json.RawMessage(grade), CacheKey: key, Time: time.Unix(1, 0)})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		for _, s := range []string{r.CaseID, r.Answer, r.Error, r.CacheKey, string(r.Grade)} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("%q is not clean", s)
			}
		}
		if r.Grade != nil && !isJSONObject(r.Grade) {
			t.Fatalf("grade %q is not a JSON object", r.Grade)
		}
	})
}
