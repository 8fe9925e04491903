package storetest

import (
	"errors"
	"io"
	"iter"
	"maps"
	"slices"
	"testing"
)

// check is one part of a contract, run on a fresh store.
type check[S any] struct {
	name string
	test func(*testing.T, S)
}

// runChecks runs each check as a subtest on a store of its own from open
// (which closes it when the subtest ends); with parallel the subtests
// run side by side.
func runChecks[S any](t *testing.T, open func(*testing.T) S, parallel bool, checks []check[S]) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			c.test(t, open(t))
		})
	}
}

// closeTwice closes s, then again: every store's second Close is a no-op.
func closeTwice(t *testing.T, s io.Closer) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// expect reports, by name, each call whose error does not wrap want.
func expect(t *testing.T, want error, calls map[string]error) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(calls)) {
		if err := calls[name]; !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
}

// collect gathers what seq yields, ending the test at an error.
func collect[T any](t *testing.T, what string, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out = append(out, v)
	}
	return out
}

// seqErr is the error of the last pair seq yields: nil when it yields
// nothing or ends with a value.
func seqErr[T any](seq iter.Seq2[T, error]) error {
	var last error
	for _, err := range seq {
		last = err
	}
	return last
}
