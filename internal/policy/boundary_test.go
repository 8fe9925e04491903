package policy

import (
	"testing"

	"github.com/modelspec/modelspec/internal/testutil/boundary"
)

// TestPure enforces the package comment: the decision core never depends
// on net/http or database/sql.
func TestPure(t *testing.T) { boundary.Pure(t, ".") }
