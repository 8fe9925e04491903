package label

import (
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/boundary"
)

// TestImportBoundary enforces the package comment: internal/label never depends on
// net/http or database/sql.
func TestImportBoundary(t *testing.T) { boundary.Pure(t, ".") }
