package specsite

import (
	"context"
	"log/slog"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
)

// Mailer sends a confirmation message.
type Mailer interface {
	Send(ctx context.Context, m feedback.Message) error
}

// OutboxMailer writes messages to the store's outbox, from which an
// operator's mail relay (or `modelspec feedback outbox`) takes them. It
// logs that a message was written, never to whom.
type OutboxMailer struct {
	Store store.Feedback
	Log   *slog.Logger
}

// Send implements Mailer.
func (o OutboxMailer) Send(ctx context.Context, m feedback.Message) error {
	if err := o.Store.AddMessage(ctx, m); err != nil {
		return err
	}
	if o.Log != nil {
		o.Log.Info("confirmation written to the outbox", "message", m.ID)
	}
	return nil
}

// Secrets kept in the store when the configuration gives none, so that
// sessions and email hashes survive a restart and agree across replicas.
const (
	SecretEmailKey   = "email_hash_key"
	SecretSessionKey = "session_key"
)

// Secret returns configured if it is set, else the secret stored under
// name (made from fresh, random candidate bytes the first time).
func Secret(ctx context.Context, st store.Feedback, name string, configured []byte, candidate []byte) ([]byte, error) {
	if len(configured) > 0 {
		return configured, nil
	}
	return st.Secret(ctx, name, candidate)
}
