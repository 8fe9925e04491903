package specsite

import (
	"context"
	"net/http"

	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/store"
)

// Export reads everything public from the store: what the export
// endpoints and `modelspec feedback export` write.
func Export(ctx context.Context, st store.Feedback) (feedback.Export, error) {
	vs, err := st.Versions(ctx)
	if err != nil {
		return feedback.Export{}, err
	}
	pub := []feedback.Status{feedback.Published}
	items, err := st.Items(ctx, store.FeedbackFilter{Status: pub})
	if err != nil {
		return feedback.Export{}, err
	}
	sts, err := st.Statements(ctx, store.FeedbackFilter{Status: pub})
	if err != nil {
		return feedback.Export{}, err
	}
	votes, err := st.Votes(ctx, "")
	if err != nil {
		return feedback.Export{}, err
	}
	changes, err := st.Changes(ctx, "", "")
	if err != nil {
		return feedback.Export{}, err
	}
	return feedback.NewExport(vs, items, sts, votes, changes), nil
}

func (s *Site) export(w http.ResponseWriter, r *http.Request, ctype, name string, write func(feedback.Export, http.ResponseWriter) error) {
	e, err := Export(r.Context(), s.st)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := write(e, w); err != nil {
		s.log.Warn("export", "err", err) // the header is sent: nothing more to tell the client
	}
}

func (s *Site) exportJSON(w http.ResponseWriter, r *http.Request) {
	s.export(w, r, "application/json", "feedback.json", func(e feedback.Export, w http.ResponseWriter) error { return e.WriteJSON(w) })
}

func (s *Site) exportItems(w http.ResponseWriter, r *http.Request) {
	s.export(w, r, "text/csv; charset=utf-8", "feedback-items.csv", func(e feedback.Export, w http.ResponseWriter) error { return e.WriteItemsCSV(w) })
}

func (s *Site) exportVotes(w http.ResponseWriter, r *http.Request) {
	s.export(w, r, "text/csv; charset=utf-8", "feedback-votes.csv", func(e feedback.Export, w http.ResponseWriter) error { return e.WriteVotesCSV(w) })
}
