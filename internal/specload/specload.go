// Package specload reads spec files from disk: the one place that knows
// where the built-in spec lives, how "extends" names a base, and where the
// evaluation prompts of a spec sit. Parsing itself stays in the pure spec
// package.
package specload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/specs"
)

// BuiltIn is the name that selects the embedded default spec, in a command
// line or in an extends field.
const BuiltIn = "default"

// maxDepth bounds a chain of extends.
const maxDepth = 16

// ErrCycle is returned when specs extend each other in a loop.
var ErrCycle = errors.New("extends forms a cycle")

// Result is a loaded spec with everything found along the way.
type Result struct {
	Spec *spec.Spec
	// Problems holds parse and extend problems of every file read.
	Problems []spec.Problem
}

// Load reads the spec at path ("" or "default" for the built-in one) and
// the specs it extends. An I/O error or a cycle is returned as an error;
// problems in the documents are returned in Result and never stop the load.
func Load(path string) (*Result, error) {
	return load(path, nil)
}

func load(path string, seen []string) (*Result, error) {
	name, src, err := Read(path)
	if err != nil {
		return nil, err
	}
	for _, s := range seen {
		if s == name {
			return nil, fmt.Errorf("%s: %w: %s", name, ErrCycle, strings.Join(append(seen, name), " -> "))
		}
	}
	if len(seen) >= maxDepth {
		return nil, fmt.Errorf("%s: extends is nested more than %d deep", name, maxDepth)
	}
	s, problems := spec.Parse(name, src)
	res := &Result{Spec: s, Problems: problems}
	if s.Extends == "" {
		return res, nil
	}
	basePath := s.Extends
	if basePath != BuiltIn && !filepath.IsAbs(basePath) {
		basePath = filepath.Join(filepath.Dir(path), basePath)
	}
	base, err := load(basePath, append(seen, name))
	if err != nil {
		return nil, fmt.Errorf("%s: extends %s: %w", name, s.Extends, err)
	}
	merged, more := spec.Extend(base.Spec, s)
	res.Spec = merged
	res.Problems = append(append(base.Problems, problems...), more...)
	spec.SortProblems(res.Problems)
	return res, nil
}

// Read returns the source of the spec at path ("" or "default" for the
// built-in one) and the name its problems are reported under, without
// following what it extends: for publishing a spec as it is written.
func Read(path string) (name string, src []byte, err error) {
	if path == "" || path == BuiltIn {
		return specs.DefaultName, specs.Default, nil
	}
	src, err = os.ReadFile(path)
	if err != nil {
		return path, nil, fmt.Errorf("read spec: %w", err)
	}
	return path, src, nil
}

// Prompts lists the evaluation-prompt tags in the examples/ folder beside
// a spec file (examples/<tag>.md, the layout of the published OpenAI spec),
// or nil when there is no such folder.
func Prompts(path string) ([]string, error) {
	if path == "" || path == BuiltIn {
		return nil, nil
	}
	dir := filepath.Join(filepath.Dir(path), "examples")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list prompt files: %w", err)
	}
	tags := []string{}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".md") {
			tags = append(tags, strings.TrimSuffix(e.Name(), ".md"))
		}
	}
	return tags, nil
}
