package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
)

// TestEmailErasedOnConfirmation looks in the table itself: the address is
// there before confirmation (to send the link) and gone after.
func TestEmailErasedOnConfirmation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feedback.db")
	s := openStore(t, OpenFeedback, path, Options{})
	at := time.Now()
	if _, _, err := s.AddParticipant(ctx, feedback.Participant{ID: "p1", EmailHash: "h1", Group: feedback.Public, CreatedAt: at}, "p1@example.org"); err != nil {
		t.Fatal(err)
	}
	email := func() string {
		var e string
		if err := s.r.QueryRowContext(ctx, `SELECT email FROM feedback_participants WHERE id = 'p1'`).Scan(&e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if email() != "p1@example.org" {
		t.Fatal("address not kept for the confirmation")
	}
	if _, err := s.ConfirmParticipant(ctx, "p1", at); err != nil {
		t.Fatal(err)
	}
	if e := email(); e != "" {
		t.Errorf("address %q still stored after confirmation", e)
	}
}
