package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/storetest"
)

func openFeedback(t *testing.T, path string) *FeedbackStore {
	t.Helper()
	s, err := OpenFeedback(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFeedbackContract(t *testing.T) {
	storetest.RunFeedback(t, func(t *testing.T) store.Feedback {
		return openFeedback(t, filepath.Join(t.TempDir(), "feedback.db"))
	})
}

// TestFeedbackSharesFile: the feedback tables live beside the decision
// log in one file, each with its own migration track, and survive a
// reopen.
func TestFeedbackSharesFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "modelspec.db")
	dl, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	fb := openFeedback(t, path)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := feedback.Version{ID: "v1", Source: "x", PublishedAt: at}
	if err := fb.PublishVersion(ctx, v, feedback.AuditEntry{ID: "a1", At: at, Action: "publish_version"}); err != nil {
		t.Fatal(err)
	}
	fb.Close()
	again := openFeedback(t, path)
	if got, err := again.Version(ctx, "v1"); err != nil || got.PublishedAt != at {
		t.Errorf("after reopen: %+v, %v", got, err)
	}
}

// TestEmailErasedOnConfirmation looks in the table itself: the address is
// there before confirmation (to send the link) and gone after.
func TestEmailErasedOnConfirmation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feedback.db")
	s := openFeedback(t, path)
	at := time.Now()
	if _, _, err := s.AddParticipant(ctx, feedback.Participant{ID: "p1", EmailHash: "h1", Group: feedback.Public, CreatedAt: at}, "p1@example.org"); err != nil {
		t.Fatal(err)
	}
	email := func() string {
		var e string
		if err := s.db.QueryRowContext(ctx, `SELECT email FROM feedback_participants WHERE id = 'p1'`).Scan(&e); err != nil {
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

func TestFeedbackSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedback.db")
	openFeedback(t, path).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO feedback_migrations (version, applied_at) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := OpenFeedback(context.Background(), path, Options{}); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("OpenFeedback on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}
