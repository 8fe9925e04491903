package boundary

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what a check reports.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, a...))
}
func (r *recorder) Skip(args ...any) { r.TB.Skip(args...) }

func TestChains(t *testing.T) {
	list := `example.com/a false example.com/b fmt
example.com/b true net/http
example.com/c false strings
net/http true io
fmt true io
strings true io
io true
`
	got := chains(list, PureForbidden)
	want := [][]string{{"example.com/a", "example.com/b", "net/http"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chains = %v, want %v", got, want)
	}
}

// TestForbid runs go list for real: a package that imports net/http is
// caught and the chain named; one that does not passes.
func TestForbid(t *testing.T) {
	r := &recorder{TB: t}
	Forbid(r, "net/http/httptest", "net/http", "database/sql")
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "net/http/httptest depends on net/http: net/http/httptest -> net/http") {
		t.Errorf("httptest: %q", r.errors)
	}
	r = &recorder{TB: t}
	Pure(r, "strings")
	Pure(r, ".")
	if len(r.errors)+len(r.fatals) != 0 {
		t.Errorf("pure packages reported: %q %q", r.errors, r.fatals)
	}
	r = &recorder{TB: t}
	Pure(r, "./no/such/package")
	if len(r.fatals) != 1 {
		t.Errorf("a pattern go list refuses: %q", r.fatals)
	}
}
