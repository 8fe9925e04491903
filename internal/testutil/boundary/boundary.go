// Package boundary checks, from a package's tests, the import boundary
// that its package comment states: that it never depends, directly or
// through other packages, on packages it must not use. A failure names the
// chain of imports that reaches the forbidden package.
//
// It is test support: it runs `go list`, and nothing outside _test files
// imports it.
package boundary

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// PureForbidden is what a pure package never depends on.
var PureForbidden = []string{"net/http", "database/sql"}

// Pure fails t when a package matched by pattern ("." for the package
// under test, "./..." for it and those below) depends on net/http or
// database/sql.
func Pure(t testing.TB, pattern string) {
	t.Helper()
	Forbid(t, pattern, PureForbidden...)
}

// Forbid fails t for each package in forbidden that a package matched by
// pattern (as `go list` takes it, relative to the test's directory)
// depends on. It is skipped with -short, and where there is no go
// command.
func Forbid(t testing.TB, pattern string, forbidden ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(gobin, "list", "-deps", "-test=false", "-f", "{{.ImportPath}} {{.DepOnly}}{{range .Imports}} {{.}}{{end}}", pattern)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v: %s", pattern, err, strings.TrimSpace(stderr.String()))
	}
	for _, chain := range chains(string(out), forbidden) {
		t.Errorf("%s depends on %s: %s", chain[0], chain[len(chain)-1], strings.Join(chain, " -> "))
	}
}

// chains reads go list's lines (package, whether it is only a
// dependency, its imports) and returns, for each forbidden package that
// a listed package reaches, the shortest chain of imports from that
// package to it.
func chains(list string, forbidden []string) [][]string {
	imports := map[string][]string{}
	var roots []string
	for line := range strings.Lines(list) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		imports[f[0]] = f[2:]
		if f[1] == "false" {
			roots = append(roots, f[0])
		}
	}
	var out [][]string
	for _, root := range roots {
		// Breadth first, so that the chain shown is a shortest one.
		from := map[string]string{root: ""}
		queue := []string{root}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, imp := range imports[p] {
				if _, seen := from[imp]; !seen {
					from[imp] = p
					queue = append(queue, imp)
				}
			}
		}
		for _, bad := range forbidden {
			if _, ok := from[bad]; !ok || bad == root {
				continue
			}
			chain := []string{bad}
			for p := from[bad]; p != ""; p = from[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			out = append(out, chain)
		}
	}
	return out
}
