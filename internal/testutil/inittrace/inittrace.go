// Package inittrace checks, from a package's tests, that loading the
// package is cheap: every modelspec command imports every detector, and
// most commands use few of them, so large state must be built on first
// use, not at init. It is test support: nothing outside _test files
// imports it.
package inittrace

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// Limit is the most a package's init may allocate.
const Limit = 64 << 10

// Cheap runs the test binary again, running no tests, with
// GODEBUG=inittrace=1, and fails t when the init of pkg (an import path)
// allocates more than Limit bytes.
func Cheap(t *testing.T, pkg string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the test binary again")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// A package whose init does nothing is not traced at all.
	m := regexp.MustCompile(`(?m)^init ` + regexp.QuoteMeta(pkg) + ` @.*, ([0-9]+) bytes, ([0-9]+) allocs$`).FindSubmatch(out)
	if m == nil {
		return
	}
	if b, _ := strconv.Atoi(string(m[1])); b > Limit {
		t.Errorf("init of %s allocates %d bytes (%s allocations), want under %d: build large state on first use", pkg, b, m[2], Limit)
	}
}
