// Package specs holds the built-in default Model Spec, embedded in the binary.
package specs

import _ "embed"

// Default is the text of default.md, the spec used when no file is given.
//
//go:embed default.md
var Default []byte

// DefaultName is the file name reported in positions within Default.
const DefaultName = "specs/default.md"
