package cli

import (
	"bufio"
	"io"
	"text/tabwriter"
)

// table is a text/tabwriter whose output goes through a buffer: the
// tabwriter writes every cell with a Write of its own, which on an
// unbuffered os.Stdout is a system call per cell (modelspec screen made
// 560,000 of them to print the 40,000 findings of a 1 MB text: 0.59 s
// against 0.22 s buffered, written to a file).
type table struct {
	*tabwriter.Writer
	buf *bufio.Writer
}

// newTable is tabwriter.NewWriter(w, ...) with its output buffered;
// Flush writes the table out.
func newTable(w io.Writer, minwidth, tabwidth, padding int, padchar byte, flags uint) *table {
	buf := bufio.NewWriter(w)
	return &table{Writer: tabwriter.NewWriter(buf, minwidth, tabwidth, padding, padchar, flags), buf: buf}
}

// Flush aligns and writes out what was written to the table.
func (t *table) Flush() error {
	if err := t.Writer.Flush(); err != nil {
		return err
	}
	return t.buf.Flush()
}
