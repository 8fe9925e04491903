package eval

import (
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/inittrace"
)

// TestInitIsCheap checks that loading the package builds none of the
// grade.injection tables (see injectionTables): compiling its regular
// expressions and filling its word sets at init cost every modelspec
// command about 70 KB at start, graded or not.
func TestInitIsCheap(t *testing.T) {
	inittrace.Cheap(t, "github.com/modelspec/modelspec/internal/eval")
}
