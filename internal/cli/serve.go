package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/config"
	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/builtin"
	"github.com/modelspec/modelspec/internal/gateway"
	"github.com/modelspec/modelspec/internal/judge"
	"github.com/modelspec/modelspec/internal/onnx"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/recorder"
	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/store"
	"github.com/modelspec/modelspec/internal/store/postgres"
	"github.com/modelspec/modelspec/internal/store/sqlite"
	"github.com/modelspec/modelspec/internal/tracing"
)

type serveParams struct {
	config   string
	listen   string
	upstream string
}

func newServeCmd() *cobra.Command {
	var p serveParams
	c := &cobra.Command{
		Use:   "serve [--config F] [--listen ADDR] [--upstream URL]",
		Short: "Run the gateway: an OpenAI-compatible endpoint that enforces the spec",
		Long: `Serve runs the gateway. Point a client's base_url at http://ADDR/v1 and every
chat completion follows the spec: the chain of command is applied, input and
output are screened, and each decision is logged with the clause it came from.

With --upstream and no config it runs at once: the built-in spec, the decision
log in modelspec.db in the working directory, no API keys (so it listens on
loopback only), and the upstream's key from OPENAI_API_KEY.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return runServe(c.Context(), c.ErrOrStderr(), p)
		},
	}
	c.Flags().StringVar(&p.config, "config", "", "configuration file (YAML)")
	c.Flags().StringVar(&p.listen, "listen", "", "address to listen on (overrides the config; default 127.0.0.1:8080)")
	c.Flags().StringVar(&p.upstream, "upstream", "", "an OpenAI-compatible base URL to send requests to (e.g. http://127.0.0.1:11434/v1)")
	return c
}

// loadConfigFile reads a configuration file, or gives the defaults for ""
// (an empty file, parsed like any other so that the defaults that depend
// on each other are resolved in one place).
func loadConfigFile(path string) (config.Config, error) {
	if path == "" {
		return config.Parse("(defaults)", strings.NewReader(""), os.LookupEnv)
	}
	f, err := os.Open(path)
	if err != nil {
		return config.Default(), fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return config.Parse(path, f, os.LookupEnv)
}

// loadConfig reads the configuration file (or the defaults) and applies
// the command-line overrides.
func loadConfig(p serveParams) (config.Config, error) {
	cfg, err := loadConfigFile(p.config)
	if err != nil {
		return cfg, err
	}
	if p.listen != "" {
		cfg.Listen = p.listen
	}
	if p.upstream != "" {
		u := config.Upstream{Name: "default", Type: "openai", BaseURL: p.upstream,
			Timeout: config.Duration(60 * time.Second), MaxRetries: 2, APIKey: os.Getenv("OPENAI_API_KEY")}
		cfg.Upstreams = append([]config.Upstream{u}, cfg.Upstreams...)
	}
	if len(cfg.Upstreams) == 0 {
		return cfg, usageError("no upstream: give --upstream URL or upstreams in --config")
	}
	if len(cfg.Apps) == 0 && !loopback(cfg.Listen) {
		return cfg, usageError("listen %s: with no apps (no API keys) the gateway listens on loopback only; configure apps to listen elsewhere", cfg.Listen)
	}
	return cfg, nil
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runServe(ctx context.Context, stderr io.Writer, p serveParams) error {
	cfg, err := loadConfig(p)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	s, _, err := loadSpec(cfg.Spec)
	if err != nil {
		return err
	}
	policies := map[string]*policy.Developer{}
	var problems []spec.Problem
	for _, a := range cfg.Apps {
		if a.Policy == "" {
			continue
		}
		path := a.Policy
		if !filepath.IsAbs(path) && p.config != "" {
			path = filepath.Join(filepath.Dir(p.config), path)
		}
		dev, ps, err := loadDeveloper(s, path)
		if err != nil {
			return fmt.Errorf("app %s: %w", a.Name, err)
		}
		problems = append(problems, ps...)
		policies[a.Name] = dev
	}
	if len(problems) > 0 {
		for _, pr := range problems {
			fmt.Fprintln(stderr, pr)
		}
		return &exitError{code: ExitError, msg: "developer policies have problems (see above; 'modelspec policy lint' checks them)"}
	}
	st, err := openStore(ctx, cfg.DecisionLog)
	if err != nil {
		return err
	}
	var rec *recorder.Recorder
	record := func(_ context.Context, o gateway.Outcome) { logFailures(log, o) }
	if st != nil {
		defer st.Close()
		rec = recorder.New(st, 4096, log)
		red := decisionlog.NewRedactor([]byte(cfg.DecisionLog.HashKey))
		record = func(ctx context.Context, o gateway.Outcome) {
			logFailures(log, o)
			if err := rec.Record(ctx, outcomeRecord(o, red)); err != nil {
				log.Error("decision log: record not queued", "id", o.ID, "err", err)
			}
		}
	}
	chain, err := builtin.ChainOfCommand()
	if err != nil {
		return err
	}
	protectedDir := cfg.ProtectedTexts
	if protectedDir != "" && !filepath.IsAbs(protectedDir) && p.config != "" {
		protectedDir = filepath.Join(filepath.Dir(p.config), protectedDir)
	}
	protected, err := builtin.LoadProtected(protectedDir)
	if err != nil {
		return err
	}
	screens, err := builtin.Content(builtin.Options{Protected: protected})
	if err != nil {
		return err
	}
	inputOnly, err := judgeScreens(cfg.Judges, s)
	if err != nil {
		return err
	}
	classifiers, err := onnxScreens(cfg.Classifiers, filepath.Dir(p.config), s, log)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range classifiers {
			c.Close()
		}
	}()
	for _, c := range classifiers {
		inputOnly = append(inputOnly, c)
	}
	tp, err := tracing.New(cfg.Tracing, func(err error) { log.Warn("tracing: spans not exported", "err", err) })
	if err != nil {
		return err
	}
	defer func() {
		// After the HTTP server has stopped: the last requests' spans
		// have ended and are sent now.
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tp.Shutdown(sctx); err != nil {
			log.Warn("tracing: spans lost at shutdown", "err", err)
		}
	}()
	srv, err := gateway.New(cfg, gateway.Deps{
		Spec: s, Policies: policies, Screens: screens, InputScreens: inputOnly,
		Injection: chain.Injection, RoleSpoof: chain.RoleSpoof,
		Record: record,
		NewID:  func() string { return decisionlog.NewID(time.Now(), rand.Reader) },
		Tracer: tp.Tracer(),
	})
	if err != nil {
		return err
	}
	handler := srv.Handler()
	if cfg.Label.Enabled {
		lh, closeLabels, err := labelHandler(ctx, cfg, s, handler, log)
		if err != nil {
			return err
		}
		defer closeLabels()
		handler = lh
	}
	if cfg.Feedback.Enabled {
		fh, closeFeedback, err := feedbackHandler(ctx, cfg, handler, screens, log)
		if err != nil {
			return err
		}
		defer closeFeedback()
		handler = fh
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	names := make([]string, 0, len(cfg.Upstreams))
	for _, u := range cfg.Upstreams {
		names = append(names, u.Name+"="+u.BaseURL)
	}
	log.Info("modelspec serving", "url", "http://"+ln.Addr().String()+"/v1", "spec", s.Name, "spec_version", s.Version,
		"apps", len(cfg.Apps), "upstreams", strings.Join(names, ","), "decision_log", cfg.DecisionLog.Driver)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err)
	}
	if rec != nil {
		rec.Close()
		written, failed := rec.Stats()
		log.Info("decision log flushed", "written", written, "failed", failed)
	}
	return nil
}

// openStore opens the configured decision log; nil for driver none.
func openStore(ctx context.Context, c config.DecisionLog) (store.DecisionLog, error) {
	switch c.Driver {
	case "sqlite":
		st, err := sqlite.Open(ctx, c.Path, sqlite.Options{Synchronous: strings.ToUpper(c.Synchronous), CommitWindow: time.Duration(c.CommitWindow)})
		if err != nil {
			return nil, fmt.Errorf("decision log %s: %w", c.Path, err)
		}
		return st, nil
	case "postgres":
		st, err := postgres.OpenWith(ctx, c.DSN, postgres.Options{CommitWindow: time.Duration(c.CommitWindow)})
		if err != nil {
			return nil, fmt.Errorf("decision log (postgres): %w", err)
		}
		return st, nil
	}
	return nil, nil
}

// outcomeRecord turns what the gateway reports into a decision record,
// redacting every finding's content: no message text reaches the log.
func outcomeRecord(o gateway.Outcome, red *decisionlog.Redactor) decisionlog.Record {
	var r decisionlog.Record
	if o.Decision != nil {
		msgs := make([]policy.Message, len(o.Texts))
		for i, t := range o.Texts {
			msgs[i].Content = t
		}
		r = decisionlog.FromDecision(o.Decision, msgs, red)
	} else {
		r = decisionlog.Record{Version: decisionlog.SchemaVersion, Clauses: []string{}, Findings: []decisionlog.Finding{}, Overrides: []decisionlog.Override{}}
	}
	r.Output, r.OutputDropped = red.Findings(decisionlog.WithFailedOpen(o.Output, o.OutputFailures), o.OutputTexts)
	for _, f := range o.Output {
		if !slices.Contains(r.Clauses, f.Clause) && o.Action == policy.Block {
			r.Clauses = append(r.Clauses, f.Clause)
		}
	}
	r.ID, r.Time, r.App, r.Model, r.Upstream, r.Stream = o.ID, o.Time.UTC(), o.App, o.Model, o.Upstream, o.Stream
	r.Action, r.Status, r.Error = string(o.Action), o.Status, o.Error
	if r.Action == "" {
		r.Action = string(policy.Allow)
	}
	r.Latencies = decisionlog.Latencies{InputScreen: o.Latencies.Input, Upstream: o.Latencies.Upstream,
		OutputScreen: o.Latencies.Output, Total: o.Latencies.Total}
	return r
}

// logFailures logs each check that could not run on the request (the
// detector, the stage, the fail mode and the error, with the stack for a
// panic) and a panic of the gateway itself, never the text screened.
func logFailures(log *slog.Logger, o gateway.Outcome) {
	if o.Fault != nil {
		log.Error("request failed", "id", o.ID, "app", o.App, "err", o.Fault, "stack", string(o.Fault.Stack))
	}
	var input []policy.CheckFailure
	if o.Decision != nil {
		input = o.Decision.Failures
	}
	for _, stage := range []struct {
		name string
		fs   []policy.CheckFailure
	}{{"input", input}, {"output", o.OutputFailures}} {
		for _, f := range stage.fs {
			attrs := []any{"id", o.ID, "app", o.App, "detector", f.Detector, "stage", stage.name, "fail", f.Mode(), "err", f.Err}
			if pe, ok := f.Err.(*policy.PanicError); ok {
				attrs = append(attrs, "stack", string(pe.Stack))
			}
			log.Error("check failed", attrs...)
		}
	}
}

// judgeScreens builds the configured LLM judges, each with its clause's
// text as the rubric and its fail mode.
func judgeScreens(cfgs []config.Judge, s *spec.Spec) ([]detect.Detector, error) {
	var out []detect.Detector
	for i, jc := range cfgs {
		sec := s.Section(jc.Clause)
		if sec == nil {
			return nil, usageError("judges[%d].clause %q: the spec has no such clause (see 'modelspec spec show')", i, jc.Clause)
		}
		// Its failures are logged and recorded with every other check's
		// (policy.Screen, logFailures).
		out = append(out, judge.New(judge.Config{BaseURL: jc.BaseURL, APIKey: jc.APIKey, Model: jc.Model, Timeout: time.Duration(jc.Timeout),
			Clause: judge.Clause{ID: sec.ID, Title: sec.Title, Text: sec.Body}, FailClosed: jc.Fail == "closed"}))
	}
	return out, nil
}

// onnxScreens loads the configured ONNX classifiers, from folders relative
// to the config file; nothing is downloaded.
func onnxScreens(cfgs []config.Classifier, base string, s *spec.Spec, log *slog.Logger) ([]*onnx.Detector, error) {
	var out []*onnx.Detector
	for i, c := range cfgs {
		if s.Section(c.Clause) == nil {
			return nil, usageError("classifiers[%d].clause %q: the spec has no such clause", i, c.Clause)
		}
		dir := c.Dir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(base, dir)
		}
		d, err := onnx.New(onnx.Config{Dir: dir, ModelFile: c.ModelFile, Name: c.Name, Clause: c.Clause, Category: c.Category,
			Flag: c.Flag, MinScore: c.MinScore, Timeout: time.Duration(c.Timeout), OnError: func(err error) { log.Warn("classifier failed", "name", c.Name, "err", err) }})
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("classifiers[%d] (%s): %w", i, dir, err)
		}
		out = append(out, d)
	}
	return out, nil
}
