package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/store"
)

type logsParams struct {
	config, db                    string
	app, action, clause, category string
	since, until                  string
	limit                         int
	json, oldest                  bool
	id                            string
}

func newLogsCmd() *cobra.Command {
	var p logsParams
	c := &cobra.Command{
		Use:   "logs [--db FILE | --config F] [--app A] [--action A] [--clause ID] [--category C] [--since T] [ID]",
		Short: "Query the gateway's decision log",
		Long: `Logs reads the decision log that modelspec serve writes: by default
modelspec.db in the working directory, or the store named by --config.
With an ID it prints that one record as JSON. Times are RFC 3339 or a
duration back from now (--since 1h).`,
		Args: rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				p.id = args[0]
			}
			return runLogs(c.Context(), c.OutOrStdout(), p)
		},
	}
	f := c.Flags()
	f.StringVar(&p.config, "config", "", "gateway configuration naming the store")
	f.StringVar(&p.db, "db", "", "SQLite decision log (default modelspec.db)")
	f.StringVar(&p.app, "app", "", "only this app")
	f.StringVar(&p.action, "action", "", "only this action: allow, annotate, redact or block")
	f.StringVar(&p.clause, "clause", "", "only records citing this clause id")
	f.StringVar(&p.category, "category", "", "only records with a finding of this category (check_failed: checks that could not run)")
	f.StringVar(&p.since, "since", "", "only records at or after this time (RFC 3339, or a duration such as 24h)")
	f.StringVar(&p.until, "until", "", "only records before this time")
	f.IntVar(&p.limit, "limit", 50, "at most this many records")
	f.BoolVar(&p.oldest, "oldest", false, "oldest first")
	f.BoolVar(&p.json, "json", false, "print JSON lines")
	return c
}

func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Parse(time.RFC3339, s)
}

func runLogs(ctx context.Context, stdout io.Writer, p logsParams) error {
	cfg, err := loadConfigFile(p.config)
	if err != nil {
		return err
	}
	if p.db != "" {
		cfg.DecisionLog.Driver, cfg.DecisionLog.Path = "sqlite", p.db
	}
	if ctx == nil {
		ctx = context.Background()
	}
	st, err := openStore(ctx, cfg.DecisionLog)
	if err != nil {
		return err
	}
	if st == nil {
		return usageError("the decision log is turned off (driver none)")
	}
	defer st.Close()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if p.id != "" {
		r, err := st.Get(ctx, p.id)
		if err != nil {
			return fmt.Errorf("decision %s: %w", p.id, err)
		}
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	f := store.Filter{App: p.app, Action: p.action, Clause: p.clause, Category: p.category, Limit: p.limit}
	now := time.Now()
	if f.Since, err = parseTime(p.since, now); err != nil {
		return usageError("--since %q: %v", p.since, err)
	}
	if f.Until, err = parseTime(p.until, now); err != nil {
		return usageError("--until %q: %v", p.until, err)
	}
	if p.oldest {
		f.Order = store.Oldest
	}
	recs, err := st.Query(ctx, f)
	if err != nil {
		return err
	}
	if p.json {
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := newTable(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tID\tAPP\tMODEL\tACTION\tSTATUS\tCLAUSES\tFINDINGS\tTOTAL")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05"), r.ID, r.App, r.Model, r.Action,
			r.Status, orDash(strings.Join(r.Clauses, ",")), len(r.Findings)+len(r.Output)+r.FindingsDropped+r.OutputDropped, r.Latencies.Total.Round(time.Microsecond))
	}
	return tw.Flush()
}
