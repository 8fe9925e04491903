package openai

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits of ParseSSE.
const (
	// MaxSSELine is the longest line accepted, terminator excluded.
	MaxSSELine = 1 << 20
	// MaxSSEEvent is the most data one event may accumulate.
	MaxSSEEvent = 8 << 20
)

// SSEDone is the data of the event that ends an OpenAI stream.
const SSEDone = "[DONE]"

// Errors of ParseSSE, wrapped with the line number.
var (
	ErrSSELineTooLong   = errors.New("sse line too long")
	ErrSSEEventTooLarge = errors.New("sse event too large")
)

// Event is one server-sent event.
type Event struct {
	// Type is the value of the event field; empty when the stream sets
	// none, as OpenAI's does (the EventSource default would be "message").
	Type string
	// Data is the event's data lines joined by "\n". It belongs to the
	// callee.
	Data []byte
	// ID is the last event ID the stream set, if any.
	ID string
}

// Done reports whether e is the [DONE] sentinel.
func (e Event) Done() bool { return string(e.Data) == SSEDone }

// ParseSSE reads server-sent events from r and calls fn for each, as the
// HTML EventSource specification says: lines end with CRLF, LF or CR; a
// blank line dispatches the event; a line starting with ":" is a comment;
// "data" lines accumulate, joined by "\n"; "event" sets the type and "id"
// the last event ID; other fields, "retry" included, are ignored; an event
// without data is not dispatched; a leading byte order mark is skipped.
//
// Unlike a browser, ParseSSE dispatches an event still pending when r ends,
// so that a server that omits the last blank line loses nothing. After the
// [DONE] event it returns nil without reading further. It returns fn's error
// as is, r's error, or an error wrapping ErrSSELineTooLong or
// ErrSSEEventTooLarge.
func ParseSSE(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxSSELine+2) // room for the CRLF
	// afterCR is set when the last line ended with CR, so that an LF right
	// after it ends no second line; it is not known until more input comes.
	afterCR := false
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		skip := 0
		if afterCR && len(data) > 0 {
			afterCR = false
			if data[0] == '\n' {
				skip = 1
			}
		}
		if i := bytes.IndexAny(data[skip:], "\r\n"); i >= 0 {
			i += skip
			afterCR = data[i] == '\r'
			return i + 1, data[skip:i], nil
		}
		if atEOF && len(data) > skip {
			return len(data), data[skip:], nil
		}
		return skip, nil, nil
	})

	var (
		data    []byte
		hasData bool
		typ, id string
		line    int
	)
	dispatch := func() (done bool, err error) {
		if !hasData {
			typ = ""
			return false, nil
		}
		ev := Event{Type: typ, Data: data, ID: id}
		data, hasData, typ = nil, false, ""
		if err := fn(ev); err != nil {
			return false, err
		}
		return ev.Done(), nil
	}
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
		}
		if len(b) > MaxSSELine {
			return fmt.Errorf("sse line %d: longer than %d bytes: %w", line, MaxSSELine, ErrSSELineTooLong)
		}
		if len(b) == 0 {
			if done, err := dispatch(); done || err != nil {
				return err
			}
			continue
		}
		if b[0] == ':' {
			continue
		}
		field, value := b, []byte(nil)
		if i := bytes.IndexByte(b, ':'); i >= 0 {
			field, value = b[:i], b[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if len(data)+len(value)+1 > MaxSSEEvent {
				return fmt.Errorf("sse line %d: event data longer than %d bytes: %w", line, MaxSSEEvent, ErrSSEEventTooLarge)
			}
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			hasData = true
		case "event":
			typ = string(value)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				id = string(value)
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("sse line %d: longer than %d bytes: %w", line+1, MaxSSELine, ErrSSELineTooLong)
		}
		return err
	}
	_, err := dispatch()
	return err
}

// WriteSSE writes data as one event: a "data:" line for each of its lines,
// then a blank line, in a single Write. WriteSSE(w, []byte(SSEDone)) ends an
// OpenAI stream.
func WriteSSE(w io.Writer, data []byte) error {
	buf := make([]byte, 0, len(data)+16)
	for {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			break
		}
		buf = append(buf, "data: "...)
		buf = append(buf, data[:i]...)
		buf = append(buf, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	buf = append(buf, "\n\n"...)
	_, err := w.Write(buf)
	return err
}
