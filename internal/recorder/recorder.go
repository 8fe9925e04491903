// Package recorder writes decision records to a store off the request
// path: requests hand their record to a queue and go on; writer
// goroutines append them (concurrently, as many as a commit batch holds,
// so that a store that batches commits, as the SQLite one does, can group
// them). When the queue is full a request waits for room rather than
// dropping its record, and Close writes everything queued before it
// returns, so that a clean shutdown loses nothing.
package recorder

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/modelspec/modelspec/internal/decisionlog"
	"github.com/modelspec/modelspec/internal/store"
)

// Appender is the part of a store the recorder needs.
type Appender interface {
	Append(ctx context.Context, r decisionlog.Record) error
}

// Recorder queues records for its writer goroutines.
type Recorder struct {
	store  Appender
	log    *slog.Logger
	queue  chan decisionlog.Record
	done   chan struct{}
	mu     sync.RWMutex
	closed bool

	statsMu sync.Mutex
	written int
	failed  int
}

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("recorder closed")

// Writers is the number of goroutines appending to the store. A store
// that groups concurrent appends into one commit (SQLite's and
// PostgreSQL's group commit, up to 256 records a batch) can only group as
// many as are waiting at once: with a few writers a commit carries a few
// records, and when commits slow down (a busy disk) the queue fills and
// requests wait for room. As many writers as a batch holds keep the log's
// throughput at batch size / commit time.
const Writers = 256

// New starts a recorder with a queue of size records.
func New(store Appender, size int, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	r := &Recorder{store: store, log: log, queue: make(chan decisionlog.Record, size), done: make(chan struct{})}
	var wg sync.WaitGroup
	for range Writers {
		wg.Go(r.run)
	}
	go func() {
		wg.Wait()
		close(r.done)
	}()
	return r
}

// Record queues rec, waiting for room while ctx allows.
func (r *Recorder) Record(ctx context.Context, rec decisionlog.Record) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return ErrClosed
	}
	select {
	case r.queue <- rec:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Recorder) run() {
	for rec := range r.queue {
		err := r.appendWithRetry(rec)
		r.statsMu.Lock()
		if err != nil {
			r.failed++
		} else {
			r.written++
		}
		r.statsMu.Unlock()
		if err != nil {
			// The record is kept in the process log (without content: a
			// record holds none) so that it is not lost silently.
			r.log.Error("decision log: record not stored", "id", rec.ID, "app", rec.App, "action", rec.Action, "err", err)
		}
	}
}

// appendWithRetry tries a few times over about a second: a store that is
// briefly busy (SQLite under a checkpoint, a Postgres failover) should not
// cost a record.
func (r *Recorder) appendWithRetry(rec decisionlog.Record) error {
	var err error
	for attempt := range 4 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = r.store.Append(ctx, rec)
		cancel()
		// A retry after a timeout finds the record stored by the try that
		// timed out: that is success.
		if err == nil || errors.Is(err, store.ErrExists) {
			return nil
		}
		if errors.Is(err, decisionlog.ErrInvalid) {
			return err
		}
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	return err
}

// Close stops taking records and returns once every queued one has been
// written (or failed).
func (r *Recorder) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	<-r.done
}

// Stats returns how many records were written and how many failed.
func (r *Recorder) Stats() (written, failed int) {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	return r.written, r.failed
}
