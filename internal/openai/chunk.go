package openai

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// ChunkText is a streamed chat completion chunk read for what a gateway
// screens and changes: the text each choice adds. Everything else stays
// as bytes, so that writing the chunk back with other text (Rewrite)
// costs a copy, not a decode and an encode, and members this package
// does not know survive.
type ChunkText struct {
	data    []byte
	Choices []ChoiceText
	// busy is set when the chunk says something besides choices' text:
	// usage, or a choice with a role, tool calls, a refusal, logprobs or
	// a finish reason. Such a chunk is sent even when all its text is
	// held back.
	busy bool
}

// ChoiceText is one choice of a chunk.
type ChoiceText struct {
	Index int
	// Content is delta.content; nil when it is absent or null.
	Content *string
	// Finish is set when finish_reason is not null.
	Finish bool
	// Where delta.content's value is in the chunk ([start, end)), or,
	// when there is none, the offset just inside delta's brace (end = -1)
	// with empty telling whether delta has no members.
	start, end int
	empty      bool
}

// ErrChunkShape is returned by ReadChunk for a chunk it does not read
// (not an object, duplicate members, members named in another case, a
// delta that is not an object, a non-integer index, content that is not a
// string): such a chunk should be decoded whole, with ChatCompletionChunk.
var ErrChunkShape = errors.New("chunk not in the expected shape")

// ReadChunk reads a chunk's choices' text. It fails with a syntax error
// for malformed JSON and with ErrChunkShape for valid JSON it does not
// read. It allocates only the choices and their text: the rest is walked,
// not decoded.
func ReadChunk(data []byte) (*ChunkText, error) {
	if off, err := checkSyntax(data); err != nil {
		line, col := position(data, off)
		return nil, &DecodeError{Line: line, Col: col, Msg: syntaxMessage(err)}
	}
	root := rootNode(data)
	c := &ChunkText{data: data}
	var seen uint8
	err := members(root, func(key []byte, v node) error {
		switch {
		case string(key) == "usage":
			if seen&1 != 0 {
				return ErrChunkShape
			}
			seen |= 1
			c.busy = c.busy || !v.isNull()
		case string(key) == "choices":
			if seen&2 != 0 {
				return ErrChunkShape
			}
			seen |= 2
			if v.isNull() {
				return nil
			}
			return elements(v, func(e node) error {
				ch, busy, err := choiceText(e)
				c.busy = c.busy || busy
				c.Choices = append(c.Choices, ch)
				return err
			})
		case foldsTo(key, "usage", "choices"):
			return ErrChunkShape
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func choiceText(n node) (ChoiceText, bool, error) {
	ch := ChoiceText{end: -2} // -2: no delta seen
	busy := false
	var seen uint8
	once := func(bit uint8) error {
		if seen&bit != 0 {
			return ErrChunkShape
		}
		seen |= bit
		return nil
	}
	err := members(n, func(key []byte, v node) error {
		switch {
		case string(key) == "index":
			var err error
			if ch.Index, err = strconv.Atoi(string(v.raw)); err != nil {
				return ErrChunkShape
			}
			return once(1)
		case string(key) == "finish_reason":
			ch.Finish = !v.isNull()
			busy = busy || ch.Finish
			return once(2)
		case string(key) == "logprobs":
			busy = busy || !v.isNull()
			return once(4)
		case string(key) == "delta":
			if v.raw[0] != '{' {
				return ErrChunkShape
			}
			ch.start, ch.end, ch.empty = v.off+1, -1, true
			var content bool
			err := members(v, func(key []byte, f node) error {
				ch.empty = false
				switch {
				case string(key) == "content":
					if content {
						return ErrChunkShape
					}
					content = true
					ch.start, ch.end = f.off, f.off+len(f.raw)
					if f.isNull() {
						return nil
					}
					if f.raw[0] != '"' {
						return ErrChunkShape
					}
					s, err := unquote(f.raw)
					if err != nil {
						return ErrChunkShape
					}
					ch.Content = &s
				case foldsTo(key, "content"):
					return ErrChunkShape
				default:
					busy = busy || !f.isNull()
				}
				return nil
			})
			if err != nil {
				return err
			}
			return once(8)
		case foldsTo(key, "index", "finish_reason", "logprobs", "delta"):
			return ErrChunkShape
		}
		return nil
	})
	if err == nil && ch.end == -2 {
		err = ErrChunkShape // no delta to put text in
	}
	return ch, busy, err
}

// foldsTo reports a member name that matches one of keys only when case
// is ignored, as encoding/json would match it: such a chunk is left to
// encoding/json, so that both readings agree.
func foldsTo(key []byte, keys ...string) bool {
	for _, k := range keys {
		if string(key) != k && strings.EqualFold(string(key), k) {
			return true
		}
	}
	return false
}

// members calls fn with each member of the object at n, in order: its
// name (as written, escapes undone only when there are any) and its
// value. n must be an object of a document checkSyntax accepted; any
// other value is ErrChunkShape.
func members(n node, fn func(key []byte, v node) error) error {
	b := n.raw
	if b[0] != '{' {
		return ErrChunkShape
	}
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		end, err := skipString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			k, err := unquote(b[i:end])
			if err != nil {
				return err
			}
			key = []byte(k)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return errMalformed
		}
		i = skipSpace(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if err := fn(key, node{raw: b[i:vend], off: n.off + i}); err != nil {
			return err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return errMalformed
		}
		if b[i] == '}' {
			return nil
		}
		i = skipSpace(b, i+1) // the comma
	}
}

// elements calls fn with each element of the array at n.
func elements(n node, fn func(v node) error) error {
	b := n.raw
	if b[0] != '[' {
		return ErrChunkShape
	}
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == ']' {
		return nil
	}
	for {
		end, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if err := fn(node{raw: b[i:end], off: n.off + i}); err != nil {
			return err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return errMalformed
		}
		if b[i] == ']' {
			return nil
		}
		i = skipSpace(b, i+1)
	}
}

// Rewrite returns the chunk with each choice's content set to what
// Choices[i].Content now holds (nil: null, or left out where the chunk
// had none), and whether the chunk still says anything: a chunk whose
// text was all held back and that carries nothing else is not worth
// sending.
func (c *ChunkText) Rewrite() ([]byte, bool) {
	keep := c.busy || len(c.Choices) == 0 // a chunk without choices is sent as it is
	out := make([]byte, 0, len(c.data)+64)
	prev := 0
	for _, ch := range c.Choices {
		if ch.Content != nil && *ch.Content != "" {
			keep = true
		}
		switch {
		case ch.end >= 0: // replace the value
			out = append(out, c.data[prev:ch.start]...)
			if ch.Content == nil {
				out = append(out, "null"...)
			} else {
				out = appendString(out, *ch.Content)
			}
			prev = ch.end
		case ch.Content != nil: // add a content member to delta
			out = append(out, c.data[prev:ch.start]...)
			out = append(out, `"content":`...)
			out = appendString(out, *ch.Content)
			if !ch.empty {
				out = append(out, ',')
			}
			prev = ch.start
		}
	}
	return append(out, c.data[prev:]...), keep
}
