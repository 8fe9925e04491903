package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// RegexGrader ("grade.regex") passes when the answer matches c.Regex and
// does not match c.NotRegex.
type RegexGrader struct{}

// LengthGrader ("grade.length") passes when the answer has at most
// c.MaxLength characters (Unicode code points, surrounding space trimmed).
type LengthGrader struct{}

// JSONGrader ("grade.json") passes when the answer is JSON valid against
// c.JSONSchema (any draft santhosh-tekuri/jsonschema/v6 supports; 2020-12
// when $schema is absent). One surrounding Markdown code fence
// (```json … ```) is removed first.
type JSONGrader struct{}

var (
	_ Grader = RegexGrader{}
	_ Grader = LengthGrader{}
	_ Grader = JSONGrader{}
)

// ID returns "grade.regex".
func (RegexGrader) ID() string { return "grade.regex" }

// ID returns "grade.length".
func (LengthGrader) ID() string { return "grade.length" }

// ID returns "grade.json".
func (JSONGrader) ID() string { return "grade.json" }

var reCache sync.Map // pattern → *regexp.Regexp

func compileRegex(p string) (*regexp.Regexp, error) {
	if re, ok := reCache.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	reCache.Store(p, re)
	return re, nil
}

// Grade implements Grader.
func (RegexGrader) Grade(c Case, answer string) (Grade, error) {
	if c.Regex != "" {
		re, err := compileRegex(c.Regex)
		if err != nil {
			return Grade{}, fmt.Errorf("grade.regex: case %s: %w", c.ID, err)
		}
		if !re.MatchString(answer) {
			return Grade{Status: Fail, Reason: fmt.Sprintf("answer does not match /%s/", c.Regex)}, nil
		}
	}
	if c.NotRegex != "" {
		re, err := compileRegex(c.NotRegex)
		if err != nil {
			return Grade{}, fmt.Errorf("grade.regex: case %s: %w", c.ID, err)
		}
		if m := re.FindString(answer); re.MatchString(answer) {
			return Grade{Status: Fail, Reason: fmt.Sprintf("answer matches /%s/ (%q)", c.NotRegex, truncate(m, 60))}, nil
		}
	}
	return Grade{Status: Pass}, nil
}

// Grade implements Grader.
func (LengthGrader) Grade(c Case, answer string) (Grade, error) {
	n := utf8.RuneCountInString(strings.TrimSpace(answer))
	if n > c.MaxLength {
		return Grade{Status: Fail, Score: float64(n), Reason: fmt.Sprintf("answer has %d characters, more than %d", n, c.MaxLength)}, nil
	}
	return Grade{Status: Pass, Score: float64(n)}, nil
}

var schemaCache sync.Map // schema JSON → *jsonschema.Schema

// CompileSchema compiles a case's JSON Schema (as decoded from YAML or
// JSON), caching by its JSON text.
func CompileSchema(schema any) (*jsonschema.Schema, error) {
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	if s, ok := schemaCache.Load(string(b)); ok {
		return s.(*jsonschema.Schema), nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("case.json", doc); err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	s, err := comp.Compile("case.json")
	if err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	schemaCache.Store(string(b), s)
	return s, nil
}

// stripFence removes one Markdown code fence around s.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") || !strings.HasSuffix(s, "```") || len(s) < 6 {
		return s
	}
	s = strings.TrimSuffix(s[3:], "```")
	if i := strings.IndexByte(s, '\n'); i >= 0 && !strings.ContainsAny(s[:i], "{[\"") {
		s = s[i+1:] // the info string ("json")
	}
	return strings.TrimSpace(s)
}

// Grade implements Grader.
func (JSONGrader) Grade(c Case, answer string) (Grade, error) {
	sch, err := CompileSchema(c.JSONSchema)
	if err != nil {
		return Grade{}, fmt.Errorf("grade.json: case %s: %w", c.ID, err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(stripFence(answer)))
	if err != nil {
		return Grade{Status: Fail, Reason: "answer is not JSON: " + err.Error()}, nil
	}
	if err := sch.Validate(inst); err != nil {
		return Grade{Status: Fail, Reason: "answer does not match the schema: " + oneLine(err.Error())}, nil
	}
	return Grade{Status: Pass}, nil
}

func oneLine(s string) string {
	return truncate(strings.Join(strings.Fields(s), " "), 300)
}
