package train

import (
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/inittrace"
)

// TestInitIsCheap checks that loading the package compiles none of the
// keyword rules (see keywords): compiled at init they cost every modelspec
// command about 0.7 MB and up to a millisecond at start.
func TestInitIsCheap(t *testing.T) {
	inittrace.Cheap(t, "github.com/modelspec/modelspec/internal/train")
}
