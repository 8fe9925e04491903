package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/modelspec/modelspec/internal/fileerr"
)

// fileCase is a case as a suite file writes it; unknown fields are errors.
type fileCase struct {
	ID         string            `json:"id" yaml:"id"`
	Messages   []fileMessage     `json:"messages" yaml:"messages"`
	Expect     string            `json:"expect" yaml:"expect"`
	Clauses    []string          `json:"clauses" yaml:"clauses"`
	Regex      string            `json:"regex" yaml:"regex"`
	NotRegex   string            `json:"not_regex" yaml:"not_regex"`
	MaxLength  int               `json:"max_length" yaml:"max_length"`
	JSONSchema any               `json:"json_schema" yaml:"json_schema"`
	Meta       map[string]string `json:"meta" yaml:"meta"`
	Detectors  []string          `json:"detectors" yaml:"detectors"`
	Reference  string            `json:"reference" yaml:"reference"`
}

type fileMessage struct {
	Role      string `json:"role" yaml:"role"`
	Name      string `json:"name" yaml:"name"`
	Recipient string `json:"recipient" yaml:"recipient"`
	Content   string `json:"content" yaml:"content"`
}

// IsSuiteFile reports whether name is a suite file path (.yaml, .yml or
// .jsonl) rather than a built-in suite's name.
func IsSuiteFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".jsonl":
		return true
	}
	return false
}

// FileError is one problem of a suite file, at a line (0 when unknown).
type FileError = fileerr.Error

// FileErrors are every problem found in a suite file, in line order.
type FileErrors = fileerr.Errors

// LoadSuiteFile reads user-written cases from a YAML file (a sequence of
// cases, or a mapping with the one key "cases") or a JSONL file (a case a
// line; blank lines and lines starting with # skipped). A case has id,
// messages (role system, developer, user, assistant or tool; content;
// name, recipient), expect (comply, refuse, clarify or empty), clauses,
// and optionally regex, not_regex, max_length, json_schema, detectors
// (detector ids that must not fire on the answer), reference (an answer to
// compare with, by a judge) and meta. Decoding is strict: an unknown field is an error with its line.
// Every problem is reported at once (FileErrors, in line order). The
// suite's name is the file's base name without extension.
func LoadSuiteFile(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("suite file: %w", err)
	}
	suite := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var fcs []fileCase
	var lines []int
	var errs FileErrors
	if strings.EqualFold(filepath.Ext(path), ".jsonl") {
		fcs, lines, errs = decodeJSONL(path, data)
	} else {
		fcs, lines, errs = decodeYAML(path, data)
	}
	seen := map[string]int{}
	cases := make([]Case, 0, len(fcs))
	for i, fc := range fcs {
		bad := func(format string, args ...any) {
			errs = append(errs, FileError{Path: path, Line: lines[i], Message: fmt.Sprintf("case %q: ", fc.ID) + fmt.Sprintf(format, args...)})
		}
		c := Case{ID: fc.ID, Suite: suite, Expect: fc.Expect, Clauses: fc.Clauses, Meta: fc.Meta,
			Regex: fc.Regex, NotRegex: fc.NotRegex, MaxLength: fc.MaxLength, JSONSchema: fc.JSONSchema,
			Detectors: fc.Detectors, Reference: fc.Reference}
		if fc.ID == "" {
			bad("no id")
		} else if l, ok := seen[fc.ID]; ok {
			bad("id also used on line %d", l)
		}
		seen[fc.ID] = lines[i]
		if len(fc.Messages) == 0 {
			bad("no messages")
		}
		users := 0
		for j, m := range fc.Messages {
			if !slices.Contains([]string{"system", "developer", "user", "assistant", "tool"}, m.Role) {
				bad("message %d: role %q (want system, developer, user, assistant or tool)", j+1, m.Role)
			}
			if m.Role == "user" {
				users++
			}
			c.Messages = append(c.Messages, Message{Role: m.Role, Name: m.Name, Recipient: m.Recipient, Content: m.Content})
		}
		if len(fc.Messages) > 0 && users == 0 {
			bad("no user message")
		}
		if len(fc.Clauses) == 0 {
			bad("no clauses")
		}
		if fc.MaxLength < 0 {
			bad("max_length %d is negative", fc.MaxLength)
		}
		for _, p := range []string{fc.Regex, fc.NotRegex} {
			if p != "" {
				if _, err := compileRegex(p); err != nil {
					bad("%v", err)
				}
			}
		}
		if fc.JSONSchema != nil {
			if _, err := CompileSchema(fc.JSONSchema); err != nil {
				bad("%s", oneLine(err.Error()))
			}
		}
		if len(fc.Detectors) > 0 {
			if err := CheckDetectors(nil, fc.Detectors); err != nil {
				bad("detectors: %v", err)
			}
		}
		if fc.Expect == IgnoreInjection {
			bad("expect %s needs an attack category (built-in bipia suite only)", IgnoreInjection)
		} else if _, err := GradersFor(c); err != nil && fc.ID != "" {
			bad("%s", strings.TrimPrefix(err.Error(), "case "+fc.ID+": "))
		}
		cases = append(cases, c)
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b FileError) int { return a.Line - b.Line })
		return nil, errs
	}
	if len(cases) == 0 {
		return nil, FileErrors{{Path: path, Message: "no cases"}}
	}
	return cases, nil
}

func decodeJSONL(path string, data []byte) ([]fileCase, []int, FileErrors) {
	var fcs []fileCase
	var lines []int
	var errs FileErrors
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var fc fileCase
		if err := dec.Decode(&fc); err != nil {
			errs = append(errs, FileError{Path: path, Line: line, Message: err.Error()})
			continue
		}
		if _, err := dec.Token(); err != io.EOF {
			errs = append(errs, FileError{Path: path, Line: line, Message: "more than one JSON value on the line"})
			continue
		}
		fcs, lines = append(fcs, fc), append(lines, line)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, FileError{Path: path, Message: err.Error()})
	}
	return fcs, lines, errs
}

func decodeYAML(path string, data []byte) ([]fileCase, []int, FileErrors) {
	// A sequence of cases, or {cases: [...]}; decode as raw nodes first
	// to learn each case's line.
	var seq []yaml.MapSlice
	var wrapped struct {
		Cases []yaml.MapSlice `yaml:"cases"`
	}
	if err := yaml.UnmarshalWithOptions(data, &seq); err != nil {
		if err2 := yaml.UnmarshalWithOptions(data, &wrapped, yaml.Strict()); err2 != nil {
			return nil, nil, FileErrors{yamlError(path, err)}
		}
		seq = wrapped.Cases
	}
	prefix := "$"
	if seq == nil && wrapped.Cases == nil {
		return nil, nil, nil
	}
	if wrapped.Cases != nil {
		prefix = "$.cases"
	}
	var fcs []fileCase
	var lines []int
	var errs FileErrors
	for i := range seq {
		p, err := yaml.PathString(fmt.Sprintf("%s[%d]", prefix, i))
		if err != nil {
			errs = append(errs, FileError{Path: path, Message: err.Error()})
			continue
		}
		node, err := p.ReadNode(bytes.NewReader(data))
		if err != nil {
			errs = append(errs, FileError{Path: path, Message: err.Error()})
			continue
		}
		line := 0
		if tk := node.GetToken(); tk != nil {
			line = tk.Position.Line
		}
		var fc fileCase
		if err := yaml.NodeToValue(node, &fc, yaml.Strict()); err != nil {
			errs = append(errs, yamlError(path, err))
			continue
		}
		fcs, lines = append(fcs, fc), append(lines, line)
	}
	return fcs, lines, errs
}

// yamlError turns a go-yaml error into a FileError with its line.
func yamlError(path string, err error) FileError {
	var se yaml.Error
	if errors.As(err, &se) {
		if tk := se.GetToken(); tk != nil {
			return FileError{Path: path, Line: tk.Position.Line, Message: se.GetMessage()}
		}
	}
	return FileError{Path: path, Message: oneLine(err.Error())}
}
