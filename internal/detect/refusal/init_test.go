package refusal

import (
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/inittrace"
)

// TestInitIsCheap checks that loading the package parses neither the cue
// lexicon nor the model (see standard): parsing them at init cost every
// modelspec command about 10 ms and 5 MB at start.
func TestInitIsCheap(t *testing.T) {
	inittrace.Cheap(t, "github.com/modelspec/modelspec/internal/detect/refusal")
}
