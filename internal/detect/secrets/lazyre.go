package secrets

import (
	"regexp"
	"regexp/syntax"
	"sync"
)

// lazyRE is a regular expression compiled the first time a text needs it.
// The rule set holds several hundred (each rule's own, its anchored head,
// tail and prefix searches, its allowlists) and most of them never run on
// a given deployment's traffic, since a rule runs only near one of its
// keywords: over the 2,600 real messages of the speed tests, 12 of the 631
// were ever compiled. Compiled up front they cost every process that
// screens for secrets 30 ms at its first screen and 6.8 MB of pointer-rich
// heap that each garbage collection marks again (BenchmarkParseConfig:
// 62-74 -> 34-40 ms, 8.9 -> 2.1 MB kept).
type lazyRE struct {
	once sync.Once
	expr string
	re   *regexp.Regexp
}

// newLazyRE returns expr, checked but not compiled. Parsing is the only
// step of regexp.Compile that can fail, so get cannot.
func newLazyRE(expr string) (*lazyRE, error) {
	if _, err := syntax.Parse(expr, syntax.Perl); err != nil {
		return nil, err
	}
	return &lazyRE{expr: expr}, nil
}

// get returns the compiled expression.
func (l *lazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}
