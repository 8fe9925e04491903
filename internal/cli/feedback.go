package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/atomicfile"
	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/feedback"
	"github.com/modelspec/modelspec/internal/specload"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/postgres"
	"github.com/modelspec/modelspec/internal/store/sqlite"
	"github.com/modelspec/modelspec/internal/web"
	"github.com/modelspec/modelspec/internal/web/specsite"
)

// feedbackParams name the store: the feedback section of --config, or
// --db (a SQLite file or a postgres:// URL).
type feedbackParams struct {
	config string
	db     string
}

func (p *feedbackParams) flags(c *cobra.Command) {
	c.Flags().StringVar(&p.config, "config", "", "serve's configuration file: its feedback section names the store and keys")
	c.Flags().StringVar(&p.db, "db", "", "the feedback store without a config: a SQLite file (default $MODELSPEC_DB, else modelspec.db) or a postgres:// URL")
}

func newFeedbackCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "feedback",
		Short: "The public spec site's data: publish versions, open comment periods, roles, moderation, answers, export",
		Long: `Feedback manages what /spec in 'modelspec serve' shows: published versions of the
spec, comment periods, staff roles, the moderation queue, answers in the
changelog, the outbox of confirmation emails, and exports for researchers.
The store is the feedback section of --config, or --db.`,
	}, newFeedbackPublishCmd(), newFeedbackPeriodCmd(), newFeedbackRoleCmd(), newFeedbackModerateCmd(),
		newFeedbackAnswerCmd(), newFeedbackExportCmd(), newFeedbackOutboxCmd())
}

// feedbackStore opens the store and returns the key that hashes email
// addresses (the configured one, or the one kept in the store).
func feedbackStore(ctx context.Context, p feedbackParams) (store.Feedback, []byte, error) {
	cfg := config.Default().Feedback
	if p.config != "" {
		c, err := loadConfigFile(p.config)
		if err != nil {
			return nil, nil, err
		}
		cfg = c.Feedback
	}
	if p.db != "" {
		cfg.Driver, cfg.Path, cfg.DSN = "sqlite", p.db, ""
		if isPostgresDSN(p.db) {
			cfg.Driver, cfg.DSN = "postgres", p.db
		}
	} else if p.config == "" || cfg.Path == "" && cfg.Driver == "sqlite" {
		cfg.Driver, cfg.Path = "sqlite", defaultEvalDB()
		if isPostgresDSN(cfg.Path) {
			cfg.Driver, cfg.DSN = "postgres", cfg.Path
		}
	}
	st, err := openFeedbackStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	key, err := specsite.Secret(ctx, st, specsite.SecretEmailKey, []byte(cfg.EmailKey), randomBytes(32))
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("feedback store: email key: %w", err)
	}
	return st, key, nil
}

func openFeedbackStore(ctx context.Context, cfg config.Feedback) (store.Feedback, error) {
	if cfg.Driver == "postgres" {
		st, err := postgres.OpenFeedback(ctx, cfg.DSN)
		if err != nil {
			return nil, fmt.Errorf("feedback store (postgres): %w", err)
		}
		return st, nil
	}
	st, err := sqlite.OpenFeedback(ctx, cfg.Path, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("feedback store %s: %w", cfg.Path, err)
	}
	return st, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails
	return b
}

// newFeedbackID is the id of a record made on the command line.
func newFeedbackID() string { return strings.ToLower(decisionlog.NewID(time.Now(), rand.Reader)) }

// cliAudit is the audit entry of an action taken on the command line.
func cliAudit(action, target, detail string) feedback.AuditEntry {
	return feedback.AuditEntry{ID: newFeedbackID(), At: time.Now(), Actor: "cli", Action: action, Target: target, Detail: detail}
}

// feedbackErr turns store errors into exit codes: a refused record is a
// usage error with its reason.
func feedbackErr(err error) error {
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, feedback.ErrInvalid) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) {
		return usageError("%v", err)
	}
	return err
}

func newFeedbackPublishCmd() *cobra.Command {
	var p feedbackParams
	var id, notes, notesFile string
	c := &cobra.Command{
		Use:   "publish [--id V] [--notes TEXT | --notes-file F] [SPEC.md]",
		Short: "Publish a version of the spec at /spec (the built-in spec without SPEC.md; refused when the spec has lint errors)",
		Args:  rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			var path string
			if len(args) == 1 {
				path = args[0]
			}
			name, src, err := specload.Read(path)
			if err != nil {
				return usageError("%v", err)
			}
			if notesFile != "" {
				b, err := os.ReadFile(notesFile)
				if err != nil {
					return usageError("read notes: %v", err)
				}
				notes = string(b)
			}
			v, err := feedback.NewVersion(name, src, id, notes, "cli", time.Now())
			if err != nil {
				return usageError("%v", err)
			}
			st, _, err := feedbackStore(c.Context(), p)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.PublishVersion(c.Context(), v, cliAudit("publish_version", "version:"+v.ID, name)); err != nil {
				return feedbackErr(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "published %s (%s) at /spec/v/%s/\n", v.ID, v.Name, v.ID)
			return nil
		},
	}
	p.flags(c)
	c.Flags().StringVar(&id, "id", "", "version id (default: the front matter's version)")
	c.Flags().StringVar(&notes, "notes", "", "release notes")
	c.Flags().StringVar(&notesFile, "notes-file", "", "release notes from a file")
	return c
}

// parseWhen reads "now", an RFC 3339 time or a date (midnight UTC).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" || s == "now" {
		return now, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: give now, 2026-12-01 or 2026-12-01T09:00:00Z", s)
}

func newFeedbackPeriodCmd() *cobra.Command {
	var p feedbackParams
	var version, title, invitation, start, end, clauses string
	var days int
	c := &cobra.Command{
		Use:   "period --version V --title T [--start WHEN] (--end WHEN | --days N) [--clauses a,b] [--invitation TEXT]",
		Short: "Open a comment period on a published version",
		Args:  rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			now := time.Now().UTC()
			from, err := parseWhen(start, now)
			if err != nil {
				return usageError("--start: %v", err)
			}
			var to time.Time
			switch {
			case end != "" && days > 0:
				return usageError("give --end or --days, not both")
			case end != "":
				if to, err = parseWhen(end, now); err != nil {
					return usageError("--end: %v", err)
				}
			case days > 0:
				to = from.Add(time.Duration(days) * 24 * time.Hour)
			default:
				return usageError("give --end WHEN or --days N")
			}
			st, _, err := feedbackStore(c.Context(), p)
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := st.Version(c.Context(), version)
			if err != nil {
				return feedbackErr(err)
			}
			s, _ := v.Parse()
			var ids []string
			for _, id := range strings.Split(clauses, ",") {
				if id = strings.TrimPrefix(strings.TrimSpace(id), "#"); id != "" {
					ids = append(ids, id)
				}
			}
			per := feedback.Period{ID: newFeedbackID(), Version: v.ID, Title: title, Invitation: invitation, Start: from, End: to,
				Clauses: ids, CreatedBy: "cli", CreatedAt: now}
			if err := per.Validate(s); err != nil {
				return usageError("%v", err)
			}
			if err := st.CreatePeriod(c.Context(), per, cliAudit("open_period", "period:"+per.ID, v.ID)); err != nil {
				return feedbackErr(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "period %s on %s open from %s to %s\n", per.ID, v.ID, from.Format(time.RFC3339), to.Format(time.RFC3339))
			return nil
		},
	}
	p.flags(c)
	c.Flags().StringVar(&version, "version", "", "the published version (required)")
	c.Flags().StringVar(&title, "title", "", "title (required)")
	c.Flags().StringVar(&invitation, "invitation", "", "who is invited and to what")
	c.Flags().StringVar(&start, "start", "now", "start: now, a date or an RFC 3339 time (UTC)")
	c.Flags().StringVar(&end, "end", "", "end: a date or an RFC 3339 time (UTC)")
	c.Flags().IntVar(&days, "days", 0, "length in days (instead of --end)")
	c.Flags().StringVar(&clauses, "clauses", "", "clause ids in scope, comma-separated (default: all)")
	return c
}

func newFeedbackRoleCmd() *cobra.Command {
	var p feedbackParams
	var email, role string
	var list bool
	c := &cobra.Command{
		Use:   "role (--email ADDRESS --role author|moderator|none | --list)",
		Short: "Give staff a role: authors publish and answer, moderators work the queue",
		Long: `Role gives the person with an email address a role on /spec. They sign in with the
same address (a link by email) and find the moderation desk at /spec/admin. Only
the keyed hash of the address is stored with the role.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			st, key, err := feedbackStore(c.Context(), p)
			if err != nil {
				return err
			}
			defer st.Close()
			if list {
				roles, err := st.Roles(c.Context())
				if err != nil {
					return err
				}
				for h, r := range roles {
					fmt.Fprintf(c.OutOrStdout(), "%s\t%s\n", feedback.Alias(h), r)
				}
				return nil
			}
			addr, err := feedback.NormalizeEmail(email)
			if err != nil {
				return usageError("--email: %v", err)
			}
			r := feedback.Role(role)
			if role == "none" {
				r = ""
			} else if r != feedback.Author && r != feedback.Moderator {
				return usageError("--role %q: want author, moderator or none", role)
			}
			h := feedback.HashEmail(key, addr)
			if err := st.SetRole(c.Context(), h, r, cliAudit("set_role", feedback.Alias(h), role)); err != nil {
				return feedbackErr(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "%s is now %s\n", feedback.Alias(h), role)
			return nil
		},
	}
	p.flags(c)
	c.Flags().StringVar(&email, "email", "", "the person's address")
	c.Flags().StringVar(&role, "role", "", "author, moderator or none")
	c.Flags().BoolVar(&list, "list", false, "list the roles (by alias)")
	return c
}

func newFeedbackModerateCmd() *cobra.Command {
	var p feedbackParams
	var to, reason string
	var statement bool
	c := &cobra.Command{
		Use:   "moderate [ID --to published|rejected|held [--reason R] [--statement]]",
		Short: "List the moderation queue, or decide on one item or statement",
		Args:  rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			st, _, err := feedbackStore(c.Context(), p)
			if err != nil {
				return err
			}
			defer st.Close()
			out := c.OutOrStdout()
			if len(args) == 0 {
				held := store.FeedbackFilter{Status: []feedback.Status{feedback.Held}}
				items, err := st.Items(c.Context(), held)
				if err != nil {
					return err
				}
				sts, err := st.Statements(c.Context(), held)
				if err != nil {
					return err
				}
				tw := newTable(out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KIND\tID\tVERSION\tCLAUSE\tFLAGS\tTEXT")
				for _, it := range items {
					fmt.Fprintf(tw, "item\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Version, it.Clause, strings.Join(it.Flags, ","), short(it.Comment+it.ProposedText))
				}
				for _, s := range sts {
					fmt.Fprintf(tw, "statement\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Version, s.Clause, strings.Join(s.Flags, ","), short(s.Text))
				}
				return tw.Flush()
			}
			what := store.ModerateItem
			if statement {
				what = store.ModerateStatement
			}
			status := feedback.Status(to)
			if status != feedback.Published && status != feedback.Rejected && status != feedback.Held {
				return usageError("--to %q: want published, rejected or held", to)
			}
			if err := st.Moderate(c.Context(), what, args[0], status, cliAudit("moderate", what+":"+args[0], "-> "+to+": "+reason)); err != nil {
				return feedbackErr(err)
			}
			fmt.Fprintf(out, "%s %s is now %s\n", what, args[0], to)
			return nil
		},
	}
	p.flags(c)
	c.Flags().StringVar(&to, "to", "", "the new status: published, rejected or held")
	c.Flags().StringVar(&reason, "reason", "", "why (goes in the audit trail)")
	c.Flags().BoolVar(&statement, "statement", false, "ID is a statement, not a feedback item")
	return c
}

// short is the first line of s, cut to 60 characters, for tables.
func short(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}

func newFeedbackAnswerCmd() *cobra.Command {
	var p feedbackParams
	var version, clause, response, summary, items string
	c := &cobra.Command{
		Use:   "answer --version V --response accepted|partly|declined|clarified --summary TEXT [--clause C] [--items ID,ID]",
		Short: "Add a changelog entry to a version, answering feedback items",
		Args:  rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			st, _, err := feedbackStore(c.Context(), p)
			if err != nil {
				return err
			}
			defer st.Close()
			var ids []string
			for _, id := range strings.Split(items, ",") {
				if id = strings.TrimSpace(id); id != "" {
					ids = append(ids, id)
				}
			}
			ch := feedback.Change{ID: newFeedbackID(), Version: version, Clause: clause, Summary: summary, Response: feedback.Response(response),
				Items: ids, At: time.Now(), By: "cli"}
			if err := ch.Validate(); err != nil {
				return usageError("%v", err)
			}
			if err := st.AddChange(c.Context(), ch, cliAudit("answer", "change:"+ch.ID, response+" in "+version)); err != nil {
				return feedbackErr(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "change %s in %s answers %d item(s)\n", ch.ID, version, len(ids))
			return nil
		},
	}
	p.flags(c)
	c.Flags().StringVar(&version, "version", "", "the version that made the change (required)")
	c.Flags().StringVar(&clause, "clause", "", "the clause it changed (empty: the spec as a whole)")
	c.Flags().StringVar(&response, "response", "", "accepted, partly, declined or clarified")
	c.Flags().StringVar(&summary, "summary", "", "the answer people read")
	c.Flags().StringVar(&items, "items", "", "feedback item ids it answers, comma-separated")
	return c
}

func newFeedbackExportCmd() *cobra.Command {
	var p feedbackParams
	var format, out string
	c := &cobra.Command{
		Use:   "export [--format json|items-csv|votes-csv] [--out FILE]",
		Short: "Export published feedback, statements, votes and the changelog (never an email address)",
		Args:  rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			write := map[string]func(feedback.Export, io.Writer) error{
				"json":      feedback.Export.WriteJSON,
				"items-csv": feedback.Export.WriteItemsCSV,
				"votes-csv": feedback.Export.WriteVotesCSV,
			}[format]
			if write == nil {
				return usageError("--format %q: want json, items-csv or votes-csv", format)
			}
			st, _, err := feedbackStore(c.Context(), p)
			if err != nil {
				return err
			}
			defer st.Close()
			e, err := specsite.Export(c.Context(), st)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				return write(e, c.OutOrStdout())
			}
			return atomicfile.Write(out, func(w io.Writer) error { return write(e, w) })
		},
	}
	p.flags(c)
	c.Flags().StringVar(&format, "format", "json", "json, items-csv or votes-csv")
	c.Flags().StringVar(&out, "out", "", "file to write (atomically); default stdout")
	return c
}

func newFeedbackOutboxCmd() *cobra.Command {
	var p feedbackParams
	var to string
	c := &cobra.Command{
		Use:   "outbox [--to ADDRESS]",
		Short: "Print the confirmation emails waiting in the outbox, as JSON lines, for a mail relay",
		Args:  rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			st, _, err := feedbackStore(c.Context(), p)
			if err != nil {
				return err
			}
			defer st.Close()
			ms, err := st.Messages(c.Context(), to)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(c.OutOrStdout())
			for _, m := range ms {
				if err := enc.Encode(struct {
					ID, To, Subject, Body string
					CreatedAt             time.Time
				}{m.ID, m.To, m.Subject, m.Body, m.CreatedAt}); err != nil {
					return err
				}
			}
			return nil
		},
	}
	p.flags(c)
	c.Flags().StringVar(&to, "to", "", "only the messages to this address")
	return c
}

// feedbackHandler mounts the spec site (/spec/) in front of next. It
// screens submissions with the gateway's content screens (feedback.NewScreener
// takes what it needs from them) rather than building a second set: the
// detectors are safe for concurrent use, and a second full registry held
// ~10 MB more, a refusal detector and chain-of-command screens the site
// never runs among it.
func feedbackHandler(ctx context.Context, cfg config.Config, next http.Handler, screens []detect.Detector, log *slog.Logger) (http.Handler, func(), error) {
	st, err := openFeedbackStore(ctx, cfg.Feedback)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (http.Handler, func(), error) {
		st.Close()
		return nil, nil, fmt.Errorf("feedback: %w", err)
	}
	emailKey, err := specsite.Secret(ctx, st, specsite.SecretEmailKey, []byte(cfg.Feedback.EmailKey), randomBytes(32))
	if err != nil {
		return fail(err)
	}
	sessionKey, err := specsite.Secret(ctx, st, specsite.SecretSessionKey, []byte(cfg.Feedback.SessionKey), randomBytes(32))
	if err != nil {
		return fail(err)
	}
	sessions, err := web.NewSessions(sessionKey, web.SessionOptions{Name: "modelspec_spec", Secure: cfg.Feedback.SecureCookies, Path: "/spec/"})
	if err != nil {
		return fail(err)
	}
	reg, err := detect.NewRegistry(screens...)
	if err != nil {
		return fail(err)
	}
	base := cfg.Feedback.BaseURL
	if base == "" {
		base = "http://" + cfg.Listen
	}
	site, err := specsite.New(specsite.Options{Store: st, Sessions: sessions, Screener: feedback.NewScreener(reg), EmailKey: emailKey,
		BaseURL: base, SiteName: cfg.Feedback.SiteName, WritesPerMinute: cfg.Feedback.WritesPerMinute, Burst: cfg.Feedback.Burst,
		TrustForwarded: cfg.Feedback.TrustForwarded, Log: log})
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/spec/", site.Handler())
	mux.Handle("/spec", http.RedirectHandler("/spec/", http.StatusMovedPermanently))
	mux.Handle("/", next)
	log.Info("feedback: spec site at /spec/", "store", cfg.Feedback.Driver, "base_url", base)
	return mux, func() { st.Close() }, nil
}
