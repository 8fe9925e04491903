package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// node is one JSON value inside a document being decoded: its bytes, where
// they start in the document and the field path that leads to it.
type node struct {
	raw  []byte // the value, without surrounding white space; never empty
	off  int    // byte offset of raw[0] in decoder.data
	path string // e.g. messages[3].content[1]
}

// member is one member of a JSON object.
type member struct {
	key string
	node
}

// kind names the JSON type of the value, as used in error messages.
func (n node) kind() string {
	switch n.raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

func (n node) isNull() bool { return n.raw[0] == 'n' }

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// errMalformed is returned by the scanning helpers below when they meet
// bytes that are not JSON. Every entry point checks the syntax first, so it
// means a bug here rather than bad input.
var errMalformed = errors.New("malformed JSON")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at b[i].
func skipString(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return 0, errMalformed
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errMalformed
}

// skipValue returns the index just past the value that starts at b[i]. It
// does not recurse, so arbitrarily deep input cannot exhaust the stack.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errMalformed
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errMalformed
	}
	// A literal: true, false, null or a number.
	start := i
	for i < len(b) && !isSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
		i++
	}
	if i == start {
		return 0, errMalformed
	}
	return i, nil
}

// unquote decodes the JSON string s, taking a shortcut when it has no
// escapes and is valid UTF-8 (encoding/json replaces invalid bytes).
func unquote(s []byte) (string, error) {
	if len(s) < 2 {
		return "", errMalformed
	}
	body := s[1 : len(s)-1]
	plain := true
	for _, c := range body {
		if c == '\\' || c < 0x20 {
			plain = false
			break
		}
	}
	if plain && utf8.Valid(body) {
		return string(body), nil
	}
	var v string
	if err := json.Unmarshal(s, &v); err != nil {
		return "", err
	}
	return v, nil
}

// checkSyntax reports the first syntax error in data with its byte offset,
// or -1 and nil when data is one well-formed JSON value.
func checkSyntax(data []byte) (int, error) {
	if ok, _ := scanValid(data, maxNesting); ok {
		return -1, nil
	}
	return syntaxError(data)
}

// checkSyntaxDepth is checkSyntax and checkDepth(data, maxDepth) together,
// in one pass over valid data. Invalid data takes the slow path: both
// checks as they were, so that which error is reported, and where, does
// not change.
func checkSyntaxDepth(data []byte, maxDepth int) (deep, synOff int, synErr error) {
	ok, deep := scanValid(data, maxDepth)
	if ok {
		return deep, -1, nil
	}
	synOff, synErr = syntaxError(data)
	return checkDepth(data, maxDepth), synOff, synErr
}

// syntaxError returns the syntax error encoding/json reports for data,
// which scanValid rejected, and the offset of the offending byte.
func syntaxError(data []byte) (int, error) {
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return 0, errMalformed
	}
	// Offset counts the bytes read, including the offending one; point at
	// it, or just past the end for a truncated document.
	off := int(se.Offset)
	if off > 0 && off <= len(data) && !bytes.Contains([]byte(se.Error()), []byte("unexpected end")) {
		off--
	}
	return off, se
}

// checkDepth returns the offset of the first bracket that opens a level
// deeper than maxDepth, or -1. It only counts brackets outside strings, so it
// is safe on malformed input. On valid input scanValid finds the same
// offset in its own pass (checkSyntaxDepth); this is the second pass for
// invalid input, where the offsets must stay as they were.
func checkDepth(data []byte, maxDepth int) int {
	depth := 0
	inString, escaped := false, false
	for i, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return i
			}
		case '}', ']':
			depth--
		}
	}
	return -1
}

// position converts a byte offset in data into a 1-based line and column.
// Columns count bytes, as Go's own tools do.
func position(data []byte, off int) (line, col int) {
	if off < 0 {
		return 0, 0
	}
	if off > len(data) {
		off = len(data)
	}
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// objectWriter writes a JSON object member by member, in the order given,
// followed by any extra members sorted by name. It appends to buf, so that
// a caller can encode a whole request into one buffer; strings and nested
// objects of this package are appended directly rather than through
// json.Marshal, which would copy and compact each of them again.
type objectWriter struct {
	buf     []byte
	members int
	err     error
}

func newObjectWriter() *objectWriter { return appendObject(make([]byte, 0, 128)) }

// appendObject starts an object at the end of buf.
func appendObject(buf []byte) *objectWriter { return &objectWriter{buf: append(buf, '{')} }

func (w *objectWriter) key(k string) {
	if w.members > 0 {
		w.buf = append(w.buf, ',')
	}
	w.members++
	w.buf = appendString(w.buf, k)
	w.buf = append(w.buf, ':')
}

// field writes key with the JSON encoding of v.
func (w *objectWriter) field(k string, v any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.err = fmt.Errorf("%s: %w", k, err)
		return
	}
	w.key(k)
	w.buf = append(w.buf, b...)
}

// str writes key with a string value.
func (w *objectWriter) str(k, v string) {
	if w.err != nil {
		return
	}
	w.key(k)
	w.buf = appendString(w.buf, v)
}

// appender writes key with a value that appends its own encoding.
func (w *objectWriter) appender(k string, v interface {
	appendJSON([]byte) ([]byte, error)
}) {
	if w.err != nil {
		return
	}
	w.key(k)
	var err error
	if w.buf, err = v.appendJSON(w.buf); err != nil {
		w.err = fmt.Errorf("%s: %w", k, err)
	}
}

// raw writes key with an already encoded value; an empty value is null.
func (w *objectWriter) raw(k string, v json.RawMessage) {
	if w.err != nil {
		return
	}
	if len(v) == 0 {
		w.key(k)
		w.buf = append(w.buf, "null"...)
		return
	}
	// Compact straight into the buffer: json.Compact leaves it as it was
	// on an error.
	mark := len(w.buf)
	w.key(k)
	out := bytes.NewBuffer(w.buf)
	if err := json.Compact(out, v); err != nil {
		w.buf = w.buf[:mark]
		w.err = fmt.Errorf("%s: invalid JSON in extra member", k)
		return
	}
	w.buf = out.Bytes()
}

// extra writes the members of extra that known does not claim, sorted by
// name so that the output is deterministic.
func (w *objectWriter) extra(extra map[string]json.RawMessage, known map[string]bool) {
	if len(extra) == 0 {
		return
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.raw(k, extra[k])
	}
}

func (w *objectWriter) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return append(w.buf, '}'), nil
}

// appendString appends s as a JSON string exactly as json.Marshal writes
// it: HTML characters and U+2028/U+2029 escaped, invalid UTF-8 replaced by
// U+FFFD. It copies runs of plain characters at once, which is what makes
// it several times faster than json.Marshal on message text.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainByte[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control characters and <, >, &
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainByte marks the ASCII bytes a JSON string holds as they are.
var plainByte = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}
