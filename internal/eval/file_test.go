package eval

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSuiteFile(t *testing.T) {
	for _, tc := range []struct {
		file string
		n    int
	}{{"good.yaml", 3}, {"good.jsonl", 2}} {
		cases, err := LoadSuite(filepath.Join("testdata", "suites", tc.file), "")
		if err != nil || len(cases) != tc.n {
			t.Fatalf("%s: %d cases, %v", tc.file, len(cases), err)
		}
		if cases[0].Suite != "good" {
			t.Errorf("suite %q", cases[0].Suite)
		}
	}
	for file, want := range map[string][]string{
		"bad.yaml": {`bad.yaml:6: unknown field "expectt"`, `bad.yaml:7: case "b": no messages`, `bad.yaml:7: case "b": unknown expectation "maybe"`},
		"bad.jsonl": {`bad.jsonl:2: json: unknown field "color"`, `bad.jsonl:3: case "c": message 1: role "robot"`, `bad.jsonl:3: case "c": error parsing regexp`,
			`bad.jsonl:4: case "d": json_schema`, `bad.jsonl:5: case "a": id also used on line 1`},
	} {
		_, err := LoadSuiteFile(filepath.Join("testdata", "suites", file))
		var fe FileErrors
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v", file, err)
		}
		got := err.Error()
		last := -1
		for _, w := range want {
			i := strings.Index(got, w)
			if i < 0 || i < last {
				t.Errorf("%s: want %q (in order) in\n%s", file, w, got)
			}
			last = i
		}
	}
}

func TestDeterministicGraders(t *testing.T) {
	cases, err := LoadSuiteFile(filepath.Join("testdata", "suites", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	jcases, err := LoadSuiteFile(filepath.Join("testdata", "suites", "good.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Case{}
	for _, c := range append(cases, jcases...) {
		byID[c.ID] = c
	}
	for _, tc := range []struct {
		id, answer, want, graders string
	}{
		{"weather-json", `{"city": "Paris", "temp_c": 14.5}`, Pass, "grade.refusal,grade.json"},
		{"weather-json", "```json\n{\"city\": \"Paris\", \"temp_c\": 14}\n```", Pass, ""},
		{"weather-json", `{"city": "Paris"}`, Fail, ""},
		{"weather-json", `It is 14 degrees in Paris.`, Fail, ""},
		{"short-greeting", "Hello there, friend!", Pass, "grade.regex,grade.length"},
		{"short-greeting", "Hi!", Fail, ""},
		{"short-greeting", "Hello! " + strings.Repeat("It is lovely to meet you. ", 3), Fail, ""},
		{"j1", "2+2 is 4.", Pass, ""},
		{"j1", "Sorry, 4.", Fail, ""},
		{"j2", `["red", "blue"]`, Pass, ""},
		{"j2", `["red"]`, Fail, ""},
	} {
		g, err := CaseGrader{}.Grade(byID[tc.id], tc.answer)
		if err != nil || g.Status != tc.want {
			t.Errorf("%s / %q: %s (%s) %v, want %s", tc.id, tc.answer, g.Status, g.Reason, err, tc.want)
		}
		if tc.graders != "" && strings.Join(g.Graders, ",") != tc.graders {
			t.Errorf("%s: graders %v, want %s", tc.id, g.Graders, tc.graders)
		}
	}
	// A case expecting nothing cannot be graded.
	if _, err := (CaseGrader{}).Grade(Case{ID: "x"}, "a"); err == nil {
		t.Error("case without expectations: no error")
	}
}
