package feedback

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Export is everything public, for researchers: published feedback,
// published statements, every vote on them and the changelog. It holds
// participant ids (random, not derived from the address) and aliases,
// never an email address; held, pending and rejected submissions are
// left out.
type Export struct {
	Versions   []ExportVersion   `json:"versions"`
	Items      []ExportItem      `json:"items"`
	Statements []ExportStatement `json:"statements"`
	Votes      []ExportVote      `json:"votes"`
	Changes    []ExportChange    `json:"changes"`
}

// ExportVersion is a version without its source (which is on the pages).
type ExportVersion struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Notes       string    `json:"notes"`
	PublishedAt time.Time `json:"published_at"`
}

// ExportItem is one published feedback item.
type ExportItem struct {
	ID            string    `json:"id"`
	Version       string    `json:"version"`
	Period        string    `json:"period"`
	Kind          Kind      `json:"kind"`
	Clause        string    `json:"clause"`
	Participant   string    `json:"participant"`
	Group         Group     `json:"group"`
	Stance        Stance    `json:"stance"`
	Understood    string    `json:"understood"`
	Reading       string    `json:"reading"`
	Missing       string    `json:"missing"`
	Comment       string    `json:"comment"`
	Edit          string    `json:"edit"`
	ProposedKind  string    `json:"proposed_kind"`
	ProposedTitle string    `json:"proposed_title"`
	ProposedText  string    `json:"proposed_text"`
	Masked        []string  `json:"masked"`
	CreatedAt     time.Time `json:"created_at"`
	// AnsweredBy lists the changes that answer the item.
	AnsweredBy []string `json:"answered_by"`
}

// ExportStatement is one published statement.
type ExportStatement struct {
	ID          string    `json:"id"`
	Version     string    `json:"version"`
	Period      string    `json:"period"`
	Clause      string    `json:"clause"`
	Text        string    `json:"text"`
	Participant string    `json:"participant"`
	CreatedAt   time.Time `json:"created_at"`
}

// ExportVote is one vote.
type ExportVote struct {
	Statement   string    `json:"statement"`
	Participant string    `json:"participant"`
	Value       int       `json:"value"`
	At          time.Time `json:"at"`
}

// ExportChange is one changelog entry.
type ExportChange struct {
	ID       string    `json:"id"`
	Version  string    `json:"version"`
	Clause   string    `json:"clause"`
	Response Response  `json:"response"`
	Summary  string    `json:"summary"`
	Items    []string  `json:"items"`
	At       time.Time `json:"at"`
}

// NewExport builds the public export from what the store holds. Only
// published items and statements go in, and only votes on those.
func NewExport(vs []Version, items []Item, sts []Statement, votes []Vote, changes []Change) Export {
	e := Export{Versions: []ExportVersion{}, Items: []ExportItem{}, Statements: []ExportStatement{}, Votes: []ExportVote{}, Changes: []ExportChange{}}
	for _, v := range vs {
		e.Versions = append(e.Versions, ExportVersion{ID: v.ID, Name: v.Name, Notes: v.Notes, PublishedAt: v.PublishedAt.UTC()})
	}
	answers := AnswersByItem(changes)
	for _, it := range items {
		if it.Status != Published {
			continue
		}
		var by []string
		for _, c := range answers[it.ID] {
			by = append(by, c.ID)
		}
		e.Items = append(e.Items, ExportItem{ID: it.ID, Version: it.Version, Period: it.Period, Kind: it.Kind, Clause: it.Clause,
			Participant: it.Participant, Group: it.Group, Stance: it.Stance, Understood: string(it.Understood), Reading: it.Reading,
			Missing: it.Missing, Comment: it.Comment, Edit: it.Edit, ProposedKind: string(it.ProposedKind), ProposedTitle: it.ProposedTitle,
			ProposedText: it.ProposedText, Masked: nonNil(it.Masked), CreatedAt: it.CreatedAt.UTC(), AnsweredBy: nonNil(by)})
	}
	public := map[string]bool{}
	for _, s := range sts {
		if s.Status != Published {
			continue
		}
		public[s.ID] = true
		e.Statements = append(e.Statements, ExportStatement{ID: s.ID, Version: s.Version, Period: s.Period, Clause: s.Clause,
			Text: s.Text, Participant: s.Participant, CreatedAt: s.CreatedAt.UTC()})
	}
	for _, v := range votes {
		if public[v.Statement] {
			e.Votes = append(e.Votes, ExportVote{Statement: v.Statement, Participant: v.Participant, Value: v.Value, At: v.At.UTC()})
		}
	}
	for _, c := range changes {
		e.Changes = append(e.Changes, ExportChange{ID: c.ID, Version: c.Version, Clause: c.Clause, Response: c.Response,
			Summary: c.Summary, Items: nonNil(c.Items), At: c.At.UTC()})
	}
	return e
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteJSON writes the export as one indented JSON document.
func (e Export) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e)
}

// ItemsCSVHeader is the header row of WriteItemsCSV.
var ItemsCSVHeader = []string{"id", "version", "period", "kind", "clause", "participant", "group", "stance", "understood",
	"reading", "missing", "comment", "edit", "proposed_kind", "proposed_title", "proposed_text", "masked", "created_at", "answered_by"}

// WriteItemsCSV writes the feedback items as CSV, one row each. Cells
// that a spreadsheet would run as a formula (starting with = + - @, tab
// or carriage return) are prefixed with an apostrophe (the OWASP advice
// against CSV injection); JSON keeps the text as written.
func (e Export) WriteItemsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(ItemsCSVHeader)
	for _, it := range e.Items {
		cw.Write(cells(it.ID, it.Version, it.Period, string(it.Kind), it.Clause, it.Participant, string(it.Group), string(it.Stance),
			it.Understood, it.Reading, it.Missing, it.Comment, it.Edit, it.ProposedKind, it.ProposedTitle, it.ProposedText,
			strings.Join(it.Masked, ";"), it.CreatedAt.Format(time.RFC3339Nano), strings.Join(it.AnsweredBy, ";")))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write items csv: %w", err)
	}
	return nil
}

// VotesCSVHeader is the header row of WriteVotesCSV.
var VotesCSVHeader = []string{"statement", "statement_text", "participant", "value", "at"}

// WriteVotesCSV writes the votes as CSV with each statement's text.
func (e Export) WriteVotesCSV(w io.Writer) error {
	text := map[string]string{}
	for _, s := range e.Statements {
		text[s.ID] = s.Text
	}
	cw := csv.NewWriter(w)
	cw.Write(VotesCSVHeader)
	for _, v := range e.Votes {
		row := cells(v.Statement, text[v.Statement], v.Participant) // the value (-1) is a number, not a formula
		cw.Write(append(row, strconv.Itoa(v.Value), v.At.Format(time.RFC3339Nano)))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write votes csv: %w", err)
	}
	return nil
}

func cells(vs ...string) []string {
	for i, v := range vs {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			vs[i] = "'" + v
		}
	}
	return vs
}

// AnswersByItem maps each feedback item id to the changes that answer it,
// in the order given.
func AnswersByItem(changes []Change) map[string][]Change {
	out := map[string][]Change{}
	for _, c := range changes {
		for _, id := range c.Items {
			out[id] = append(out[id], c)
		}
	}
	return out
}
