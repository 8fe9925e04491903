package store

import (
	"errors"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/feedback"
)

// TestFeedbackChecks: the checks every backend makes accept a complete
// record and refuse each missing part with ErrInvalid.
func TestFeedbackChecks(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, c := range map[string]struct{ ok, bad []error }{
		"audit": {
			ok:  []error{CheckAudit(feedback.AuditEntry{ID: "a", At: at, Action: "moderate"})},
			bad: []error{CheckAudit(feedback.AuditEntry{At: at, Action: "moderate"}), CheckAudit(feedback.AuditEntry{ID: "a", Action: "moderate"}), CheckAudit(feedback.AuditEntry{ID: "a", At: at})},
		},
		"participant": {
			ok:  []error{CheckParticipant(feedback.Participant{ID: "p", EmailHash: "h", CreatedAt: at})},
			bad: []error{CheckParticipant(feedback.Participant{EmailHash: "h", CreatedAt: at}), CheckParticipant(feedback.Participant{ID: "p", CreatedAt: at}), CheckParticipant(feedback.Participant{ID: "p", EmailHash: "h"})},
		},
		"token": {
			ok:  []error{CheckToken(feedback.Token{Hash: "h", Participant: "p", Expires: at})},
			bad: []error{CheckToken(feedback.Token{Participant: "p", Expires: at}), CheckToken(feedback.Token{Hash: "h", Expires: at}), CheckToken(feedback.Token{Hash: "h", Participant: "p"})},
		},
		"moderate": {
			ok:  []error{CheckModerate(ModerateItem, feedback.Published), CheckModerate(ModerateStatement, feedback.Rejected), CheckModerate(ModerateItem, feedback.Held)},
			bad: []error{CheckModerate("vote", feedback.Published), CheckModerate(ModerateItem, feedback.Pending), CheckModerate(ModerateItem, "")},
		},
		"role": {
			ok:  []error{CheckRole("h", feedback.Author), CheckRole("h", feedback.Moderator), CheckRole("h", "")},
			bad: []error{CheckRole("", feedback.Author), CheckRole("h", "king")},
		},
		"message": {
			ok:  []error{CheckMessage(feedback.Message{ID: "m", To: "a@example.org", CreatedAt: at})},
			bad: []error{CheckMessage(feedback.Message{To: "a@example.org", CreatedAt: at}), CheckMessage(feedback.Message{ID: "m", CreatedAt: at}), CheckMessage(feedback.Message{ID: "m", To: "a@example.org"})},
		},
		"filter": {
			ok:  []error{FeedbackFilter{}.Check(), FeedbackFilter{Limit: 5}.Check()},
			bad: []error{FeedbackFilter{Limit: -1}.Check()},
		},
	} {
		for i, err := range c.ok {
			if err != nil {
				t.Errorf("%s ok[%d]: %v", name, i, err)
			}
		}
		for i, err := range c.bad {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s bad[%d]: %v, want ErrInvalid", name, i, err)
			}
		}
	}
	for in, want := range map[int]int{0: DefaultLimit, 7: 7} {
		if got, err := AuditLimit(in); err != nil || got != want {
			t.Errorf("AuditLimit(%d) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := AuditLimit(-1); !errors.Is(err, ErrInvalid) {
		t.Errorf("AuditLimit(-1) = %v, want ErrInvalid", err)
	}
	domain := feedback.Vote{Value: 2}.Validate()
	if err := InvalidFeedback(domain); !errors.Is(err, ErrInvalid) || !errors.Is(err, feedback.ErrInvalid) {
		t.Errorf("InvalidFeedback = %v, want both sentinels", err)
	}
}
