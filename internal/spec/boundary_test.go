package spec

import (
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/boundary"
)

// TestPure enforces the package comment: internal/spec never depends on
// net/http or database/sql.
func TestPure(t *testing.T) { boundary.Pure(t, ".") }
