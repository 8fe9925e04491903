package spec

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity says whether a problem makes a spec invalid.
type Severity string

// Severities. A warning marks a place where a document disagrees with itself
// (a reference to a section it does not contain, say) without making it
// unusable: the spec still loads.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Problem codes, stable so that scripts and editors can match on them.
const (
	CodeFrontMatter      = "front-matter"        // front matter that does not parse
	CodeDuplicateID      = "duplicate-id"        // two sections with one id
	CodeUnknownAuthority = "unknown-authority"   // authority= not a known level
	CodeUnknownKind      = "unknown-kind"        // kind= not objective, rule or default
	CodeBadAttribute     = "bad-attribute"       // a heading attribute block that does not parse
	CodeMissingRef       = "missing-ref"         // [text](#id) to an id not in the document
	CodeUnknownRole      = "unknown-role"        // an example turn with an unknown role
	CodeUnclosedTag      = "unclosed-tag"        // a tag in an example that is never closed
	CodeUnexpectedTag    = "unexpected-tag"      // a closing tag with no opening one, or a tag out of place
	CodeStrayText        = "stray-text"          // text in an example outside any turn
	CodeNoGood           = "no-good-candidate"   // a comparison without a GOOD candidate
	CodeBadLabel         = "bad-label"           // a candidate label comment that does not parse
	CodeUnclosedFence    = "unclosed-fence"      // a code fence never closed
	CodeMissingPrompt    = "missing-prompt"      // a [^tag] footnote with no prompt file
	CodeUnusedPrompt     = "unreferenced-prompt" // a prompt file no footnote points at
	CodeRuleOverride     = "rule-override"       // a policy that tries to change a clause it may not
	CodeUnknownClause    = "unknown-clause"      // a policy naming a clause the spec does not have
	CodePolicy           = "policy"              // a policy file that does not parse
)

// Problem is one finding of the parser or the linter.
type Problem struct {
	File     string   `json:"file"`
	Pos      Pos      `json:"pos"`
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// String formats a problem as file:line:col code message; warnings say so
// before the message.
func (p Problem) String() string {
	msg := p.Message
	if p.Severity == Warning {
		msg = "warning: " + msg
	}
	return fmt.Sprintf("%s:%d:%d %s %s", p.File, p.Pos.Line, p.Pos.Col, p.Code, msg)
}

// SortProblems orders problems by file, line, column and code.
func SortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// HasErrors reports whether any problem is an error.
func HasErrors(ps []Problem) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Severity == Error })
}
