// Package fileerr is the error of an input file that a person fixes: one
// problem at a line (a suite file, a tasks file), and every problem of a
// file at once, in line order, so that one run shows them all.
//
// The boundary: pure, standard library only.
package fileerr

import (
	"fmt"
	"strings"
)

// Error is one problem of a file, at a line (0 when unknown).
type Error struct {
	Path    string
	Line    int
	Message string
}

// Error is "path:line: message", or "path: message" without a line.
func (e Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Message)
}

// Errors are every problem of a file, in line order.
type Errors []Error

// Error is one problem a line.
func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}
