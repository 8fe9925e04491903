package injection

import (
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/inittrace"
)

// TestInitIsCheap checks that loading the package builds no rules (see
// compiled): building them at init cost every modelspec command about
// 7 ms and 5 MB at start.
func TestInitIsCheap(t *testing.T) {
	inittrace.Cheap(t, "github.com/modelspec/modelspec/internal/detect/injection")
}
