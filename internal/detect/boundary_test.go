package detect_test

import (
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/boundary"
)

// TestImportBoundary enforces the package comment: nothing under
// internal/detect may depend on net/http or database/sql.
func TestImportBoundary(t *testing.T) { boundary.Pure(t, "./...") }
