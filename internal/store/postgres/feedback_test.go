package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modelspec/modelspec/internal/feedback"
)

// TestFeedbackEmailErased looks in the table: the address is kept until
// the confirmation, then erased.
func TestFeedbackEmailErased(t *testing.T) {
	ctx := context.Background()
	d := schemaDSN(t)
	s := openStore(t, OpenFeedback, d)
	if _, _, err := s.AddParticipant(ctx, feedback.Participant{ID: "p1", EmailHash: "h1", Group: feedback.Public, CreatedAt: time.Now()}, "p1@example.org"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	email := func() string {
		var e string
		if err := conn.QueryRow(ctx, `SELECT email FROM feedback_participants WHERE id = 'p1'`).Scan(&e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if email() != "p1@example.org" {
		t.Fatal("address not kept for the confirmation")
	}
	if _, err := s.ConfirmParticipant(ctx, "p1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if e := email(); e != "" {
		t.Errorf("address %q still stored after confirmation", e)
	}
}
