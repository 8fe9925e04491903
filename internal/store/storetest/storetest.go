// Package storetest is the contract every store backend passes: Run takes a
// function that opens a fresh, empty store and checks the DecisionLog
// contract against it; Bench measures Append. A backend's own test calls
// both; a new backend is done when Run passes.
//
// It imports no backend and no driver: the backends import it from their
// tests.
package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/store"
)

// base is the time of the records the suite makes: a time with
// nanoseconds, in a zone other than UTC, to check both are normalised.
var base = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))

// Full returns a record with every field set to a value other than its
// zero value.
func Full(id string, t time.Time) decisionlog.Record {
	zero, three := 0, 3
	return decisionlog.Record{
		Version: decisionlog.SchemaVersion, ID: id, Time: t,
		App: "acme-support", SpecName: "modelspec-default", SpecVersion: "2026-11-27",
		Model: "gpt-4o-mini", Upstream: "openai-primary", Stream: true, Action: "block",
		Clauses: []string{"follow_chain_of_command", "protect_privacy", "no_information_hazards"},
		Findings: []decisionlog.Finding{
			{Detector: "detect.pii.email", Clause: "protect_privacy", Category: "email", Score: 0.97,
				Message: &three, Start: 11, End: 39, Evidence: "email",
				Content: decisionlog.Redacted{Length: 28, Hash: "hmac-sha256:" + strings.Repeat("ab", 32)}},
			{Detector: "detect.injection", Clause: "follow_chain_of_command", Category: "injection", Score: 0.1 + 0.2,
				Message: &zero, Start: 0, End: 115, Evidence: "ignore_previous",
				Content: decisionlog.Redacted{Length: 115, Hash: "sha256:" + strings.Repeat("0f", 32)}},
			{Detector: "detect.hazard", Clause: "no_information_hazards", Category: "hazard", Score: math.SmallestNonzeroFloat64,
				Start: 5, End: 5, Content: decisionlog.Redacted{Length: 0}},
		},
		Output: []decisionlog.Finding{
			{Detector: "detect.secrets", Clause: "protect_privacy", Category: "secret", Score: 0.99,
				Message: &zero, Start: 7, End: 47, Evidence: "openai_key",
				Content: decisionlog.Redacted{Length: 40, Hash: "hmac-sha256:" + strings.Repeat("cd", 32)}},
		},
		FindingsDropped: 149_997, OutputDropped: 1,
		Overrides: []decisionlog.Override{
			{Clause: "express_uncertainty", By: "user", Action: "off", Accepted: true, Reason: "a user may switch it off"},
			{Clause: "protect_privacy", By: "developer", Action: "off", Accepted: false, Reason: "#protect_privacy is a rule — «nobody» may override it 🚫"},
		},
		Latencies: decisionlog.Latencies{Auth: 1, Chain: 2 * time.Microsecond, InputScreen: 3 * time.Millisecond,
			Upstream: 4 * time.Second, OutputScreen: 5 * time.Minute, Total: math.MaxInt64},
		Status: 502, Error: "upstream_timeout: openai-primary did not answer in 30s",
	}
}

// Run checks the DecisionLog contract. open must return a new, empty store
// for each call and close it when the test ends (Close twice is allowed).
func Run(t *testing.T, open func(t *testing.T) store.DecisionLog) {
	runChecks(t, open, false, []check[store.DecisionLog]{
		{"RoundTrip", testRoundTrip},
		{"Minimal", testMinimal},
		{"Strings", testStrings},
		{"NotFound", testNotFound},
		{"Exists", testExists},
		{"Invalid", testInvalid},
		{"DuplicateClauses", testDuplicateClauses},
		{"Query", testQuery},
		{"TimeBounds", testTimeBounds},
		{"Limits", testLimits},
		{"Concurrent", testConcurrent},
		{"LargeFindings", testLargeFindings},
		{"Context", testContext},
		{"Closed", testClosed},
		{"CloseWhileAppending", testCloseWhileAppending},
	})
}

func appendAll(t *testing.T, s store.DecisionLog, recs ...decisionlog.Record) {
	t.Helper()
	for _, r := range recs {
		if err := s.Append(context.Background(), r); err != nil {
			t.Fatalf("Append %s: %v", r.ID, err)
		}
	}
}

// same reports how got differs from Normalize(want), or "".
func same(got, want decisionlog.Record) string {
	want, err := store.Normalize(want)
	if err != nil {
		return err.Error()
	}
	if !got.Time.Equal(want.Time) || got.Time.Location() != time.UTC {
		return fmt.Sprintf("time %v (%v), want %v in UTC", got.Time, got.Time.Location(), want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("\n got %#v\nwant %#v", got, want)
	}
	return ""
}

func mustGet(t *testing.T, s store.DecisionLog, id string) decisionlog.Record {
	t.Helper()
	r, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get %s: %v", id, err)
	}
	return r
}

func testRoundTrip(t *testing.T, s store.DecisionLog) {
	rec := Full("01JX0000000000000000000001", base)
	appendAll(t, s, rec)
	if d := same(mustGet(t, s, rec.ID), rec); d != "" {
		t.Errorf("Get: %s", d)
	}
	got, err := s.Query(context.Background(), store.Filter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Query = %d records, %v", len(got), err)
	}
	if d := same(got[0], rec); d != "" {
		t.Errorf("Query: %s", d)
	}
	// The caller's record is not changed by Append.
	if rec.Time != base {
		t.Error("Append changed the caller's record")
	}
}

func testMinimal(t *testing.T, s store.DecisionLog) {
	rec := decisionlog.Record{Version: 1, ID: "min", Time: time.Unix(0, 1)}
	appendAll(t, s, rec)
	got := mustGet(t, s, "min")
	if d := same(got, rec); d != "" {
		t.Error(d)
	}
	if got.Clauses == nil || got.Findings == nil || got.Output == nil || got.Overrides == nil {
		t.Error("empty lists come back nil; want empty slices")
	}
}

func testStrings(t *testing.T, s store.DecisionLog) {
	rec := Full("strings", base)
	rec.App = "caf\xe9\x00app"                 // Latin-1 byte and NUL
	rec.Findings[0].Evidence = "em\x00ail\xff" // in JSON too
	rec.Output[0].Clause = "\xffbad"
	rec.Overrides[0].Reason = "日本語 😀 \"quoted\" \\ back\nslash\ttab"
	appendAll(t, s, rec)
	got := mustGet(t, s, "strings")
	if d := same(got, rec); d != "" {
		t.Error(d)
	}
	if got.App != "caf\uFFFD\uFFFDapp" {
		t.Errorf("App = %q, want bad bytes as U+FFFD", got.App)
	}
	// A filter with the same bad bytes finds the cleaned record.
	if rs, err := s.Query(context.Background(), store.Filter{App: rec.App}); err != nil || len(rs) != 1 {
		t.Errorf("Query by the uncleaned app = %d records, %v", len(rs), err)
	}
}

func testNotFound(t *testing.T, s store.DecisionLog) {
	appendAll(t, s, Full("present", base))
	for _, id := range []string{"absent", "", "PRESENT", "present ", "bad\xff", "nul\x00", strings.Repeat("x", 1000)} {
		if _, err := s.Get(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func testExists(t *testing.T, s store.DecisionLog) {
	first := Full("dup", base)
	appendAll(t, s, first)
	second := Full("dup", base.Add(time.Hour))
	second.App, second.Clauses = "other", []string{"other_clause"}
	if err := s.Append(context.Background(), second); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Append = %v, want ErrExists", err)
	}
	if d := same(mustGet(t, s, "dup"), first); d != "" {
		t.Errorf("the first record changed: %s", d)
	}
	if rs, _ := s.Query(context.Background(), store.Filter{Clause: "other_clause"}); len(rs) != 0 {
		t.Error("the refused record's clauses were stored")
	}
}

func testInvalid(t *testing.T, s store.DecisionLog) {
	for name, r := range map[string]decisionlog.Record{
		"no id":     {Version: 1, Time: base},
		"no time":   {Version: 1, ID: "x"},
		"version 0": {ID: "x", Time: base},
		"bad id":    {Version: 1, ID: "x\x00", Time: base},
		"NaN":       {Version: 1, ID: "x", Time: base, Findings: []decisionlog.Finding{{Score: math.NaN()}}},
		"dropped":   {Version: 1, ID: "x", Time: base, OutputDropped: -1},
	} {
		if err := s.Append(context.Background(), r); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: Append = %v, want ErrInvalid", name, err)
		}
	}
	if rs, err := s.Query(context.Background(), store.Filter{}); err != nil || len(rs) != 0 {
		t.Errorf("invalid records were stored: %d, %v", len(rs), err)
	}
	for name, f := range map[string]store.Filter{
		"negative limit": {Limit: -1},
		"bad cursor":     {Cursor: "!!"},
		"bad cursor 2":   {Cursor: "bm9zbGFzaA"},
		"bad order":      {Order: 7},
	} {
		if _, err := s.Query(context.Background(), f); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: Query = %v, want ErrInvalid", name, err)
		}
	}
}

// testDuplicateClauses: a clause cited twice comes back twice and the
// record is found once by it.
func testDuplicateClauses(t *testing.T, s store.DecisionLog) {
	rec := Full("dupclause", base)
	rec.Clauses = []string{"protect_privacy", "a", "protect_privacy"}
	appendAll(t, s, rec)
	if d := same(mustGet(t, s, rec.ID), rec); d != "" {
		t.Error(d)
	}
	rs, err := s.Query(context.Background(), store.Filter{Clause: "protect_privacy"})
	if err != nil || len(rs) != 1 {
		t.Errorf("Query by the repeated clause = %d records, %v; want 1", len(rs), err)
	}
}

// dataset returns n records across three apps, four actions and a few
// clause sets, one minute apart, with every fifth pair sharing a time so
// that ordering by id is exercised.
func dataset(n int) []decisionlog.Record {
	apps := []string{"acme", "beta", "gamma"}
	actions := []string{"allow", "annotate", "redact", "block"}
	clauseSets := [][]string{nil, {"protect_privacy"}, {"follow_chain_of_command", "protect_privacy"}, {"no_information_hazards"}, {"follow_chain_of_command"}}
	out := make([]decisionlog.Record, n)
	for i := range out {
		t := base.Add(time.Duration(i) * time.Minute)
		if i%5 == 1 {
			t = out[i-1].Time
		}
		r := Full(fmt.Sprintf("r%03d-%c", (i*37)%n, 'a'+byte(i%26)), t)
		r.App, r.Action, r.Clauses = apps[i%3], actions[(i/3)%4], clauseSets[i%5]
		// Some records hold a finding of a rarer category, in the input
		// or in the output, for the category filter.
		switch {
		case i%6 == 0:
			r.Findings[2].Category = "check_failed"
		case i%4 == 1:
			r.Output = append(r.Output, decisionlog.Finding{Detector: "detect.onnx.tox", Category: "check_failed", Evidence: "failed_open"})
		}
		out[i] = r
	}
	return out
}

// reference answers a Query over recs in memory: the specification that
// the backends are checked against.
func reference(recs []decisionlog.Record, f store.Filter) []string {
	var ms []decisionlog.Record
	for _, r := range recs {
		r, _ = store.Normalize(r)
		switch {
		case f.App != "" && r.App != f.App,
			f.Action != "" && r.Action != f.Action,
			f.Clause != "" && !slices.Contains(r.Clauses, f.Clause),
			f.Category != "" && !slices.ContainsFunc(append(r.Findings, r.Output...), func(x decisionlog.Finding) bool { return x.Category == f.Category }),
			!f.Since.IsZero() && r.Time.Before(f.Since),
			!f.Until.IsZero() && !r.Time.Before(f.Until):
			continue
		}
		ms = append(ms, r)
	}
	slices.SortFunc(ms, func(a, b decisionlog.Record) int {
		c := cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.ID, b.ID))
		if f.Order == store.Newest {
			c = -c
		}
		return c
	})
	ids := make([]string, len(ms))
	for i, r := range ms {
		ids[i] = r.ID
	}
	return ids
}

func ids(rs []decisionlog.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// pages reads every page of f with page size n and returns the ids in the
// order they came.
func pages(t *testing.T, s store.DecisionLog, f store.Filter, n int) []string {
	t.Helper()
	f.Limit = n
	var all []string
	for range 1000 {
		rs, err := s.Query(context.Background(), f)
		if err != nil {
			t.Fatalf("Query %+v: %v", f, err)
		}
		if len(rs) > n {
			t.Fatalf("Query %+v returned %d records, more than the limit", f, len(rs))
		}
		all = append(all, ids(rs)...)
		if len(rs) < n {
			return all
		}
		f.Cursor = store.Cursor(rs[len(rs)-1])
	}
	t.Fatal("pagination does not end")
	return nil
}

func testQuery(t *testing.T, s store.DecisionLog) {
	recs := dataset(120)
	appendAll(t, s, recs...)
	mid := base.Add(40 * time.Minute)
	filters := map[string]store.Filter{
		"all":              {},
		"app":              {App: "beta"},
		"action":           {Action: "block"},
		"clause":           {Clause: "protect_privacy"},
		"clause other":     {Clause: "follow_chain_of_command"},
		"since":            {Since: mid},
		"until":            {Until: mid},
		"since until":      {Since: mid, Until: mid.Add(30 * time.Minute)},
		"app action":       {App: "acme", Action: "allow"},
		"app clause since": {App: "gamma", Clause: "no_information_hazards", Since: base.Add(10 * time.Minute)},
		"no match":         {App: "nobody"},
		"unknown clause":   {Clause: "no_such_clause"},
		"empty range":      {Since: mid, Until: mid},
		"category":         {Category: "check_failed"},
		"category output":  {Category: "secret"},
		"category app":     {App: "beta", Category: "check_failed", Since: base.Add(20 * time.Minute)},
		"category clause":  {Clause: "protect_privacy", Category: "check_failed"},
		"unknown category": {Category: "no_such_category"},
	}
	for name, f := range filters {
		for _, order := range []store.Order{store.Newest, store.Oldest} {
			f.Order = order
			want := reference(recs, f)
			rs, err := s.Query(context.Background(), store.Filter{
				App: f.App, Action: f.Action, Clause: f.Clause, Category: f.Category, Since: f.Since, Until: f.Until, Order: order, Limit: store.MaxLimit})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := ids(rs); !slices.Equal(got, want) {
				t.Errorf("%s (order %d): got %d records %v\nwant %d %v", name, order, len(got), got, len(want), want)
			}
			for _, r := range rs {
				if r.Findings == nil || len(r.Findings) != 3 {
					t.Errorf("%s: Query returned record %s without its findings", name, r.ID)
					break
				}
			}
			for _, n := range []int{1, 7, 50} {
				if got := pages(t, s, f, n); !slices.Equal(got, want) {
					t.Errorf("%s (order %d) in pages of %d: got %v\nwant %v", name, order, n, got, want)
				}
			}
		}
	}
	// A page from Query carries whole records.
	rs, _ := s.Query(context.Background(), store.Filter{Limit: 1, Order: store.Oldest})
	if len(rs) != 1 || same(rs[0], recs[0]) != "" {
		t.Errorf("first record by Query: %s", same(rs[0], recs[0]))
	}
}

func testTimeBounds(t *testing.T, s store.DecisionLog) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 5000, time.UTC) // exactly 5µs
	appendAll(t, s, Full("edge", at))
	cases := []struct {
		f    store.Filter
		want int
	}{
		{store.Filter{Since: at}, 1},
		{store.Filter{Since: at.Add(time.Nanosecond)}, 0},
		{store.Filter{Since: at.Add(-time.Nanosecond)}, 1},
		{store.Filter{Until: at}, 0},
		{store.Filter{Until: at.Add(time.Nanosecond)}, 1},
		{store.Filter{Since: at.In(time.FixedZone("X", -7*3600)), Until: at.Add(time.Microsecond)}, 1},
	}
	for _, c := range cases {
		rs, err := s.Query(context.Background(), c.f)
		if err != nil || len(rs) != c.want {
			t.Errorf("Query since %v until %v = %d, %v; want %d", c.f.Since, c.f.Until, len(rs), err, c.want)
		}
	}
}

func testLimits(t *testing.T, s store.DecisionLog) {
	recs := dataset(store.DefaultLimit + 20)
	appendAll(t, s, recs...)
	for limit, want := range map[int]int{0: store.DefaultLimit, 1: 1, store.MaxLimit * 10: len(recs)} {
		rs, err := s.Query(context.Background(), store.Filter{Limit: limit})
		if err != nil || len(rs) != want {
			t.Errorf("Limit %d: %d records, %v; want %d", limit, len(rs), err, want)
		}
	}
	// A cursor made from a record that is not stored continues from its
	// place in the order.
	ghost := recs[50]
	ghost.ID += "~"
	rs, err := s.Query(context.Background(), store.Filter{Cursor: store.Cursor(ghost), Order: store.Oldest, Limit: 1})
	want := reference(recs, store.Filter{Order: store.Oldest})
	i := slices.Index(want, recs[50].ID)
	if err != nil || len(rs) != 1 || rs[0].ID != want[i+1] {
		t.Errorf("Query after a missing record = %v, %v; want %s", ids(rs), err, want[i+1])
	}
}

func testConcurrent(t *testing.T, s store.DecisionLog) {
	const writers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+100)
	stop := make(chan struct{})
	// Readers run while the writers write.
	var rwg sync.WaitGroup
	for range 2 {
		rwg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Query(context.Background(), store.Filter{Limit: 20}); err != nil {
					errs <- fmt.Errorf("Query: %w", err)
					return
				}
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r := Full(fmt.Sprintf("w%02d-%03d", w, i), base.Add(time.Duration(i)*time.Second))
				r.App = fmt.Sprintf("app%d", w%4)
				if err := s.Append(context.Background(), r); err != nil {
					errs <- fmt.Errorf("Append %s: %w", r.ID, err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := pages(t, s, store.Filter{}, 97)
	if len(got) != writers*each {
		t.Errorf("%d records stored, want %d", len(got), writers*each)
	}
	slices.Sort(got)
	if n := len(slices.Compact(got)); n != writers*each {
		t.Errorf("%d distinct records, want %d", n, writers*each)
	}
	for w := range writers {
		for i := range each {
			id := fmt.Sprintf("w%02d-%03d", w, i)
			if _, found := slices.BinarySearch(got, id); !found {
				t.Errorf("record %s lost", id)
			}
		}
	}
	if rs, _ := s.Query(context.Background(), store.Filter{App: "app1", Limit: store.MaxLimit}); len(rs) != writers/4*each {
		t.Errorf("app1 has %d records, want %d", len(rs), writers/4*each)
	}
}

func testLargeFindings(t *testing.T, s store.DecisionLog) {
	rec := Full("large", base)
	const n = 20000
	fs := make([]decisionlog.Finding, n)
	for i := range fs {
		m := i % 50
		fs[i] = decisionlog.Finding{Detector: "detect.pii.email", Clause: "protect_privacy", Category: "email",
			Score: float64(i) / n, Message: &m, Start: i, End: i + 20, Evidence: "email",
			Content: decisionlog.Redacted{Length: 20, Hash: fmt.Sprintf("sha256:%064x", i)}}
	}
	rec.Findings = fs
	rec.Output = fs[:n/2]
	rec.Clauses = make([]string, 500)
	for i := range rec.Clauses {
		rec.Clauses[i] = fmt.Sprintf("clause_%03d", i)
	}
	appendAll(t, s, rec)
	if d := same(mustGet(t, s, "large"), rec); d != "" {
		t.Error("large record does not round-trip") // the diff would be megabytes
	}
	if rs, err := s.Query(context.Background(), store.Filter{Clause: "clause_499"}); err != nil || len(rs) != 1 || len(rs[0].Findings) != n {
		t.Errorf("Query by the last clause = %d records, %v", len(rs), err)
	}
}

func testContext(t *testing.T, s store.DecisionLog) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]error{"Append": s.Append(ctx, Full("canceled", base))}
	_, calls["Query"] = s.Query(ctx, store.Filter{})
	_, calls["Get"] = s.Get(ctx, "canceled")
	expect(t, context.Canceled, calls)
	// The store still works.
	appendAll(t, s, Full("after", base))
}

func testClosed(t *testing.T, s store.DecisionLog) {
	appendAll(t, s, Full("before", base))
	closeTwice(t, s)
	ctx := context.Background()
	calls := map[string]error{"Append": s.Append(ctx, Full("after", base))}
	_, calls["Get"] = s.Get(ctx, "before")
	_, calls["Query"] = s.Query(ctx, store.Filter{})
	expect(t, store.ErrClosed, calls)
}

func testCloseWhileAppending(t *testing.T, s store.DecisionLog) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, closed int
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				err := s.Append(context.Background(), Full(fmt.Sprintf("c%d-%d", w, i), base))
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, store.ErrClosed):
					closed++
				default:
					t.Errorf("Append while closing = %v, want nil or ErrClosed", err)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
	if ok == 0 || closed != 8 {
		t.Errorf("%d appends succeeded and %d saw ErrClosed; want some and 8", ok, closed)
	}
}
