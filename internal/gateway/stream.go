package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/redact"
)

// sseWriter writes server-sent events. Events written with data are
// flushed at once; events relayed from an upstream stream are written with
// write and flushed when the relay is about to wait for the upstream
// (flushBeforeRead), so that events that arrived together leave together:
// one flush, and usually one TCP segment, instead of one per event.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	pending bool // written and not yet flushed
	err     error
}

// newSSE returns the request's stream to the client, kept in rq so that
// recoverPanic can end it.
func (rq *request) newSSE(w http.ResponseWriter) *sseWriter {
	rq.sse = &sseWriter{w: w, rc: http.NewResponseController(w)}
	return rq.sse
}

func (s *sseWriter) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
}

// write writes one event and leaves it to be flushed.
func (s *sseWriter) write(b []byte) {
	if s.err != nil {
		return
	}
	s.start()
	s.err = openai.WriteSSE(s.w, b)
	s.pending = true
}

// flush sends what has been written.
func (s *sseWriter) flush() {
	if s.err != nil || !s.pending {
		return
	}
	s.pending = false
	s.err = s.rc.Flush()
}

// data writes one event and flushes it.
func (s *sseWriter) data(b []byte) {
	s.write(b)
	s.flush()
}

// flushBeforeRead flushes the client's events before each read from the
// upstream stream, which is where the relay would otherwise wait with
// text that is ready held in the buffer. A read that the buffered events
// satisfy never reaches it, so events parsed from one read share a flush.
type flushBeforeRead struct {
	r   io.Reader
	sse *sseWriter
}

func (f flushBeforeRead) Read(p []byte) (int, error) {
	f.sse.flush()
	return f.r.Read(p)
}

// chunk writes one chunk, to be flushed with what follows it.
func (s *sseWriter) chunk(c openai.ChatCompletionChunk) {
	b, err := json.Marshal(c)
	if err != nil {
		s.err = err
		return
	}
	s.write(b)
}

func (s *sseWriter) done() { s.data([]byte(openai.SSEDone)) }

// errorEvent ends a stream with an OpenAI-shaped error event and no
// [DONE], which clients raise as an error.
func (s *sseWriter) errorEvent(status int, msg, code string) {
	e := openai.NewError(status, msg)
	if code != "" {
		e = e.WithCode(code)
	}
	b, _ := json.Marshal(e)
	s.data(b)
}

// window screens one choice's streamed text. In window mode it holds back
// the last hold bytes, so that text reaches the client only after it has
// been screened with hold bytes of what follows it; in passthrough mode it
// holds nothing back and can only stop the stream after the fact.
type window struct {
	text   []byte
	sent   int // bytes released to the client
	screen int // bytes screened so far
	hold   int
}

// add appends a delta and returns the text that may be released now.
func (w *window) add(delta string) string {
	w.text = append(w.text, delta...)
	return w.release(len(w.text) - w.hold)
}

// flush releases everything left.
func (w *window) flush() string { return w.release(len(w.text)) }

func (w *window) release(upTo int) string {
	if upTo <= w.sent {
		return ""
	}
	// Never split a character.
	for upTo < len(w.text) && upTo > w.sent && !utf8.RuneStart(w.text[upTo]) {
		upTo--
	}
	out := string(w.text[w.sent:upTo])
	w.sent = upTo
	return out
}

// pending is the text not yet screened, with hold bytes of context
// before it so that a match across the boundary is still found; off is
// where it starts in the choice's text.
func (w *window) pending() (text string, off int) {
	off = min(max(0, w.screen-w.hold), len(w.text))
	for off > 0 && off < len(w.text) && !utf8.RuneStart(w.text[off]) {
		off--
	}
	return string(w.text[off:]), off
}

// stream relays a streamed answer, screening each choice's text through a
// window. A block mid-stream ends the stream with an error event and no
// [DONE]; a broken upstream stream ends it the same way.
func (rq *request) stream(w http.ResponseWriter, resp *http.Response, vault *redactions) {
	sse := rq.newSSE(w)
	hold := rq.s.cfg.Stream.Window
	if rq.s.cfg.Stream.Mode == "passthrough" || rq.s.cfg.Passthrough {
		hold = 0
	}
	choices := map[int]*window{}
	var restorers map[int]*redact.StreamRestorer
	if vault != nil {
		restorers = map[int]*redact.StreamRestorer{}
	}
	blocked := false
	sawDone := false
	// In passthrough there is nothing to screen or restore: events are
	// relayed without decoding.
	relay := rq.s.cfg.Passthrough && vault == nil
	err := openai.ParseSSE(flushBeforeRead{resp.Body, sse}, func(ev openai.Event) error {
		if ev.Done() {
			sawDone = true
			return nil
		}
		rq.streamTrace.chunks++
		// An upstream error event mid-stream ({"error": {...}}), which
		// would also decode as a chunk without choices.
		if bytes.Contains(ev.Data, errorKey) {
			var e openai.ErrorResponse
			if decodeError(ev.Data, &e) {
				return &upstreamStreamError{e}
			}
		}
		if relay {
			// Nothing is screened or held back: the event goes on as it
			// came, once it is known to be JSON.
			if !openai.Valid(ev.Data) {
				return errMalformedEvent
			}
			sse.write(ev.Data)
			return sse.err
		}
		// The chunk's text is read without decoding the rest
		// (openai.ReadChunk); a chunk of another shape is decoded whole.
		var full *openai.ChatCompletionChunk
		var texts []openai.ChoiceText
		ct, err := openai.ReadChunk(ev.Data)
		switch {
		case err == nil:
			texts = ct.Choices
		case errors.Is(err, openai.ErrChunkShape):
			full = &openai.ChatCompletionChunk{}
			if err := json.Unmarshal(ev.Data, full); err != nil {
				return errMalformedEvent
			}
			texts = make([]openai.ChoiceText, len(full.Choices))
			for i, ch := range full.Choices {
				texts[i] = openai.ChoiceText{Index: ch.Index, Content: ch.Delta.Content, Finish: ch.FinishReason != nil}
			}
		default:
			return errMalformedEvent
		}
		changed := false
		for i := range texts {
			ch := &texts[i]
			win := choices[ch.Index]
			if win == nil {
				win = &window{hold: hold}
				choices[ch.Index] = win
			}
			if ch.Content != nil {
				delta := *ch.Content
				if restorers != nil {
					r := restorers[ch.Index]
					if r == nil {
						r = vault.streamRestorer()
						restorers[ch.Index] = r
					}
					delta = r.Write(delta)
				}
				// Text is screened when some of it is to be released: until
				// then the window only gathers it, and screening what grows
				// a few bytes a chunk over and over would cost more than the
				// rest of the stream.
				out := win.add(delta)
				if out != "" && rq.screenWindow(win, ch.Index, w) {
					blocked = true
					return errBlocked
				}
				if out != *ch.Content {
					changed = true
					ch.Content = textOrNil(out)
				}
			}
			if ch.Finish {
				var rest string
				if r := restorers[ch.Index]; r != nil {
					rest = win.add(r.Flush())
				}
				rest += win.flush()
				if rq.screenWindow(win, ch.Index, w) {
					blocked = true
					return errBlocked
				}
				if rest != "" {
					if ch.Content != nil {
						rest = *ch.Content + rest
					}
					ch.Content = &rest
					changed = true
				}
			}
		}
		// A chunk whose text the window and the restorer left as it was
		// goes on as the upstream wrote it; one they changed is written
		// again with its new text, unless nothing is left to say.
		switch {
		case !changed:
			sse.write(ev.Data)
		case full == nil:
			if b, keep := ct.Rewrite(); keep {
				sse.write(b)
			}
		default:
			for i := range full.Choices {
				full.Choices[i].Delta.Content = texts[i].Content
			}
			if !emptyChunk(*full) {
				sse.chunk(*full)
			}
		}
		return sse.err
	})
	rq.out.Latencies.Upstream = rq.s.deps.Now().Sub(rq.inputAt)
	if sp := rq.upSpan; sp != nil {
		st := rq.streamTrace
		sp.SetAttributes(attrChunks.Int(st.chunks), attrScreens.Int(st.screens),
			attrScreenTime.Float64(float64(rq.out.Latencies.Output.Microseconds())/1000), attrFindings.Int(len(rq.out.Output)))
		if blocked {
			sp.SetAttributes(attrAction.String(string(policy.Block)))
		} else if err != nil || !sawDone {
			failSpan(sp, "upstream_error")
		}
		sp.End()
	}
	for i := range len(choices) {
		if win := choices[i]; win != nil {
			rq.out.OutputTexts = append(rq.out.OutputTexts, string(win.text))
		}
	}
	var ue *upstreamStreamError
	switch {
	case blocked:
		clauses := blockedClauses(rq.app.policy, rq.out.Output)
		rq.escalate(policy.Block, clauses, nil)
		rq.out.Status = http.StatusOK
		rq.out.Error = "content_blocked"
		sse.errorEvent(http.StatusBadRequest, refusalText(clauses, rq.s.deps.Spec.Version), "content_blocked")
	case errors.As(err, &ue):
		rq.out.Status, rq.out.Error = http.StatusBadGateway, "upstream_error"
		sse.errorEvent(http.StatusBadGateway, "upstream error mid-stream: "+ue.e.Error.Message, "upstream_error")
	case err != nil || !sawDone:
		msg := "upstream stream ended before [DONE]"
		if err != nil {
			msg = "upstream stream broke: " + err.Error()
		}
		rq.out.Status, rq.out.Error = http.StatusBadGateway, "upstream_error"
		if !sse.started {
			rq.fail(w, http.StatusBadGateway, msg, "upstream_error")
			return
		}
		sse.errorEvent(http.StatusBadGateway, msg, "upstream_error")
	default:
		rq.out.Status = http.StatusOK
		sse.done()
	}
}

var (
	errBlocked        = errors.New("blocked")
	errMalformedEvent = errors.New("upstream sent a malformed stream event")
	errorKey          = []byte(`"error"`)
)

type upstreamStreamError struct{ e openai.ErrorResponse }

func (e *upstreamStreamError) Error() string { return e.e.Error.Message }

// screenWindow screens what a window has not screened yet and reports
// whether a finding blocks.
func (rq *request) screenWindow(win *window, choice int, w http.ResponseWriter) bool {
	if len(win.text) == win.screen {
		return false
	}
	text, off := win.pending()
	// A stream's output screening is the sum of its windows' (the
	// record's output_screen), which overlaps the upstream's time.
	t0 := rq.s.deps.Now()
	fs := rq.screenOutput(text, off, win.screen, choice)
	win.screen = len(win.text)
	rq.out.Latencies.Output += rq.s.deps.Now().Sub(t0)
	rq.streamTrace.screens++
	return len(blockedClauses(rq.app.policy, fs)) > 0
}

// textOrNil is s as a chunk's content: none when empty.
func textOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// emptyChunk reports whether a chunk has nothing left to say after the
// window held its text back.
func emptyChunk(c openai.ChatCompletionChunk) bool {
	if c.Usage != nil || len(c.Choices) == 0 {
		return false
	}
	for _, ch := range c.Choices {
		d := ch.Delta
		if d.Content != nil || d.Role != "" || d.Refusal != nil || len(d.ToolCalls) > 0 || d.FunctionCall != nil || ch.FinishReason != nil || ch.Logprobs != nil {
			return false
		}
	}
	return true
}
