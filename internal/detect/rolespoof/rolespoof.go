// Package rolespoof finds role spoofing in user text: text that pretends to
// come from a higher place in the chain of command (system, developer) or
// from the assistant, by imitating a role header, a chat-template token or a
// role tag. A user message carries user authority whatever it says about
// itself, so such text is at best noise and usually an attempt to escalate.
//
// Text is folded first (case, whitespace, invisible characters, fullwidth
// forms; see internal/detect/internal/textnorm), then scanned once for
// template tokens and once line by line for headers. Both passes are linear
// in the length of the text and never backtrack.
//
// Like every detector it must never import net/http or database/sql and does
// no I/O at detection time.
package rolespoof

import (
	"bytes"
	"math/bits"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/internal/swar"
	"github.com/modelspec/modelspec/internal/detect/internal/textnorm"
	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// Identity of the detector's findings.
const (
	ID       = "detect.role_spoof"
	Clause   = "follow_chain_of_command"
	Category = "role_spoof"
)

// DefaultMinScore is the score from which New reports a finding.
const DefaultMinScore = 0.5

// maxHeaderSpan bounds how much of a header line a finding covers.
const maxHeaderSpan = 200

// Detector finds role spoofing. Use New; the zero value reports every
// finding (MinScore 0).
type Detector struct {
	// MinScore is the lowest score reported.
	MinScore float64
}

var _ detect.Detector = (*Detector)(nil)

// New returns a detector reporting findings that score DefaultMinScore or more.
func New() *Detector { return &Detector{MinScore: DefaultMinScore} }

// ID returns "detect.role_spoof".
func (*Detector) ID() string { return ID }

// Kinds returns the one kind of finding it reports.
func (*Detector) Kinds() []detect.Kind { return []detect.Kind{{Category: Category, Clause: Clause}} }

var pool = sync.Pool{New: func() any { return new(textnorm.Text) }}

// hit is a finding in folded text.
type hit struct {
	start, end int
	score      float64
	evidence   string
}

// Detect returns one finding per spoofed header, token or tag.
func (d *Detector) Detect(text string) []detect.Finding {
	if !mayHold(text) {
		return nil
	}
	return d.detect(text)
}

// detect is Detect without the prefilter (the reference the tests compare
// Detect with).
func (d *Detector) detect(text string) []detect.Finding {
	t := pool.Get().(*textnorm.Text)
	t.Reset(text)
	n := t.Norm
	var hits []hit
	hits = scanTokens(n, hits)
	hits = scanLines(n, hits)
	var out []detect.Finding
	for _, h := range hits {
		if h.score < d.MinScore {
			continue
		}
		start, end := t.Span(h.start, h.end)
		out = append(out, detect.Finding{
			Detector: ID,
			Clause:   Clause,
			Category: Category,
			Score:    detect.RoundScore(h.score),
			Start:    start,
			End:      end,
			Evidence: h.evidence,
		})
	}
	if cap(t.Norm) <= 1<<20 {
		pool.Put(t)
	}
	detect.SortFindings(out)
	return out
}

// Special tokens of chat templates, by name between "<|" and "|>".
var specialTokens = map[string]struct {
	evidence string
	score    float64
}{
	"im_start": {"chatml", 0.95}, "im_end": {"chatml", 0.95}, "im_sep": {"chatml", 0.9},
	"system": {"role_token", 0.9}, "user": {"role_token", 0.85}, "assistant": {"role_token", 0.9},
	"developer": {"role_token", 0.9}, "end": {"role_token", 0.85}, "tool": {"role_token", 0.85},
	"begin_of_text": {"llama3_token", 0.95}, "end_of_text": {"llama3_token", 0.95},
	"start_header_id": {"llama3_token", 0.95}, "end_header_id": {"llama3_token", 0.95},
	"eot_id": {"llama3_token", 0.95}, "eom_id": {"llama3_token", 0.95}, "python_tag": {"llama3_token", 0.9},
	"endoftext": {"endoftext", 0.9}, "endofprompt": {"endoftext", 0.9},
	"start": {"harmony_token", 0.9}, "message": {"harmony_token", 0.9}, "channel": {"harmony_token", 0.9},
	"return": {"harmony_token", 0.85}, "call": {"harmony_token", 0.85}, "constrain": {"harmony_token", 0.85},
	"begin_of_sentence": {"deepseek_token", 0.9}, "end_of_sentence": {"deepseek_token", 0.9},
}

// roles that may follow a start token
var roleNames = []string{"system", "developer", "user", "assistant", "tool", "model", "ipython"}

// xmlRoles are tag names that fake a turn or a privileged block.
var xmlRoles = map[string]float64{
	"system": 0.8, "developer": 0.8, "system_prompt": 0.85, "system-prompt": 0.85, "systemprompt": 0.85,
	"system_message": 0.85, "system-message": 0.85, "system_instructions": 0.85, "system-instructions": 0.85,
	"developer_message": 0.85, "developer_instructions": 0.85, "sys": 0.7, "assistant": 0.6,
}

// scanTokens finds chat-template tokens and role tags anywhere in n.
func scanTokens(n []byte, hits []hit) []hit {
	for i := 0; i < len(n); {
		if c := n[i]; c != '<' && c != '[' {
			i++
			continue
		}
		var h hit
		var ok bool
		if n[i] == '[' {
			h, ok = bracketToken(n, i)
		} else {
			h, ok = angleToken(n, i)
		}
		if ok {
			hits = append(hits, h)
			i = h.end
			continue
		}
		i++
	}
	return hits
}

// bracketToken matches "[inst]" and "[/inst]" at n[i:].
func bracketToken(n []byte, i int) (hit, bool) {
	for _, tok := range []string{"[inst]", "[/inst]"} {
		if bytes.HasPrefix(n[i:], []byte(tok)) {
			return hit{i, i + len(tok), 0.9, "llama2_inst"}, true
		}
	}
	return hit{}, false
}

// angleToken matches a token or tag that starts with '<' at n[i:].
func angleToken(n []byte, i int) (hit, bool) {
	if i+1 >= len(n) {
		return hit{}, false
	}
	switch n[i+1] {
	case '|', '<', '/', 's', 'e', 'd', 'a': // the tokens and tags below
	default:
		return hit{}, false
	}
	rest := n[i:]
	switch {
	case bytes.HasPrefix(rest, []byte("<|")):
		name, end := tokenName(n, i+2)
		if name == nil || end+1 >= len(n) || n[end] != '|' || n[end+1] != '>' {
			return hit{}, false
		}
		end += 2
		tok, known := specialTokens[string(name)]
		if !known {
			tok.evidence, tok.score = "special_token", 0.8
		}
		// A start token followed by a role is one header:
		// "<|im_start|>system", "<|start_header_id|>system<|end_header_id|>",
		// "<|start|>system".
		if s := string(name); s == "im_start" || s == "start_header_id" || s == "start" {
			if role := roleAt(n, end); role > 0 {
				end += role
				if string(name) == "start_header_id" && bytes.HasPrefix(n[end:], []byte("<|end_header_id|>")) {
					end += len("<|end_header_id|>")
					tok.evidence = "llama3_header"
				}
			}
		}
		return hit{i, end, tok.score, tok.evidence}, true
	case bytes.HasPrefix(rest, []byte("<<sys>>")):
		return hit{i, i + 7, 0.95, "llama2_sys"}, true
	case bytes.HasPrefix(rest, []byte("<</sys>>")):
		return hit{i, i + 8, 0.95, "llama2_sys"}, true
	case bytes.HasPrefix(rest, []byte("<start_of_turn>")):
		end := i + len("<start_of_turn>")
		end += roleAt(n, end)
		return hit{i, end, 0.9, "gemma_turn"}, true
	case bytes.HasPrefix(rest, []byte("<end_of_turn>")):
		return hit{i, i + len("<end_of_turn>"), 0.9, "gemma_turn"}, true
	case bytes.HasPrefix(rest, []byte("</s>")):
		// An end-of-sequence token followed by a new turn.
		k := i + 4
		for k < len(n) && k < i+8 && (n[k] == ' ' || n[k] == '\n') {
			k++
		}
		for _, next := range []string{"<s>", "[inst]", "<|", "human:", "assistant:", "user:", "system:", "### "} {
			if bytes.HasPrefix(n[k:], []byte(next)) {
				return hit{i, i + 4, 0.85, "eos_bos"}, true
			}
		}
		return hit{}, false
	}
	return xmlTag(n, i)
}

// xmlTag matches an opening or closing role tag such as "<system>",
// "</system>" or `<developer name="x">` at n[i:]. A short value wrapped in
// "<system>…</system>" on one line (as in Maven's pom.xml) is data, not a
// turn, and is skipped.
func xmlTag(n []byte, i int) (hit, bool) {
	k := i + 1
	closing := k < len(n) && n[k] == '/'
	if closing {
		k++
	}
	name, end := tokenName(n, k)
	score, ok := xmlRoles[string(name)]
	if !ok || end >= len(n) {
		return hit{}, false
	}
	if n[end] == ' ' {
		// attributes, on the same line, without another tag inside
		limit := min(len(n), end+200)
		j := end
		for j < limit && n[j] != '>' && n[j] != '<' && n[j] != '\n' {
			j++
		}
		if j >= limit || n[j] != '>' {
			return hit{}, false
		}
		end = j
	}
	if n[end] != '>' {
		return hit{}, false
	}
	end++
	if !closing {
		closeTag := "</" + string(name) + ">"
		limit := min(len(n), end+40+len(closeTag))
		if j := bytes.Index(n[end:limit], []byte(closeTag)); j >= 0 && !bytes.ContainsAny(n[end:end+j], " \n") {
			return hit{}, false
		}
	} else {
		// the closing half of a short value element
		openTag := "<" + string(name) + ">"
		from := max(0, i-40-len(openTag))
		if j := bytes.LastIndex(n[from:i], []byte(openTag)); j >= 0 && !bytes.ContainsAny(n[from+j+len(openTag):i], " \n") {
			return hit{}, false
		}
	}
	return hit{i, end, score, "xml_role_tag"}, true
}

// tokenName reads a name of [a-z0-9_-] at n[i:], at most 40 bytes, and
// returns it with the offset just past it. It returns "" when the name is
// empty, too long or runs to the end of n.
func tokenName(n []byte, i int) ([]byte, int) {
	j := i
	for j < len(n) && j-i <= 40 {
		c := n[j]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' {
			j++
			continue
		}
		break
	}
	if j == i || j-i > 40 || j >= len(n) {
		return nil, j
	}
	return n[i:j], j
}

// roleAt returns the length of a role name (after an optional newline) at
// n[i:], or 0.
func roleAt(n []byte, i int) int {
	k := i
	if k < len(n) && n[k] == '\n' {
		k++
	}
	for _, r := range roleNames {
		if bytes.HasPrefix(n[k:], []byte(r)) && (k+len(r) == len(n) || !isWordByte(n[k+len(r)])) {
			return k + len(r) - i
		}
	}
	return 0
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// header matches a role header at the start of a (folded) line:
// optional quote and heading marks, emphasis, a bracket, the role, an
// optional qualifier, a closing bracket or emphasis, and a delimiter.
var header = regexp.MustCompile(`^(>+ ?)?(#{1,6} ?)?(?:\*\*|__|\*|_)?(\[)?` +
	`(system|sys|developer|admin|administrator|operator|assistant|ai|chatgpt|gpt|gpt-4o?|claude|gemini|bot|human|user|instructions?|response|input)\b` +
	`(?: (message|prompt|instructions?|note|notice|override|update|alert|directive|mode|says|turn|response|command))?` +
	`(\])?(?:\*\*|__|\*|_)? ?(:|\]|-{1,2}>|=>)?`)

// groupNames interns the strings the header's groups can capture, so that
// judging a line does not allocate.
var groupNames = func() map[string]string {
	m := map[string]string{}
	for _, s := range strings.Fields("> >> >>> # ## ### #### ##### ###### [ ] : -> --> => " +
		"system sys developer admin administrator operator assistant ai chatgpt gpt gpt-4 gpt-4o claude gemini bot human user instruction instructions response input " +
		"message prompt note notice override update alert directive mode says turn command") {
		m[s] = s
		m[s+" "] = s + " "
	}
	return m
}()

var headerWords = map[string]bool{
	"system": true, "sys": true, "developer": true, "admin": true, "administrator": true, "operator": true,
	"assistant": true, "ai": true, "chatgpt": true, "gpt": true, "gpt-4": true, "gpt-4o": true, "claude": true,
	"gemini": true, "bot": true, "human": true, "user": true, "instruction": true, "instructions": true,
	"response": true, "input": true,
}

// instruction cues: what a fake system or developer header is followed by
var instructionCue = regexp.MustCompile(`^[^a-z]*(?:[a-z'-]+,? )?(?:you|your|you're|ignore|disregard|forget|override|bypass|from now on|always|never|do not|don't|respond|reply|answer|act|pretend|behave|the (?:assistant|ai|model|bot|user)|assistant|new (?:instructions?|rules|task|directive|policy|prompt|mode)|reveal|comply|obey|follow|switch|enable|enter|activate|developer mode|jailbreak|unrestricted|unfiltered|rules?|instructions?|polic(?:y|ies)|permission|authori[sz]ed|as an? |i am|i'm|this is|all (?:previous|prior|safety)|safety|restrictions?|filters?|guidelines)\b`)

// assistant cues: how a forged assistant turn starts
var assistantCue = regexp.MustCompile(`^[^a-z]*(?:sure|certainly|of course|absolutely|ok|okay|yes|understood|no problem|here(?:'s| is| are)|i (?:will|can|have|am|understand|must|won't|cannot|can't)|i'll|i'm|as an? |happy to|glad to|great|step 1|jailbreak|dan)\b`)

// scanLines finds role headers at line starts.
func scanLines(n []byte, hits []hit) []hit {
	prevBlank := false
	for start := 0; start <= len(n); {
		end := bytes.IndexByte(n[start:], '\n')
		if end < 0 {
			end = len(n)
		} else {
			end += start
		}
		line := n[start:end]
		if h, ok := lineHeader(n, start, end, prevBlank); ok {
			hits = append(hits, h)
		}
		prevBlank = len(line) == 0
		start = end + 1
	}
	return hits
}

// lineHeader judges the line n[start:end].
func lineHeader(n []byte, start, end int, prevBlank bool) (hit, bool) {
	line := n[start:end]
	if len(line) == 0 || !headerWords[string(firstWord(line))] {
		return hit{}, false
	}
	m := header.FindSubmatchIndex(line)
	if m == nil {
		return hit{}, false
	}
	group := func(k int) string {
		if m[2*k] < 0 {
			return ""
		}
		return groupNames[string(line[m[2*k]:m[2*k+1]])]
	}
	heading, open, role, qual, closeB, delim := group(2) != "", group(3) != "", group(4), group(5), group(6) != "", group(7)
	rest := line[m[1]:]
	if len(bytes.TrimSpace(rest)) == 0 {
		rest = nextLine(n, end)
	}
	spanEnd := min(end, start+m[1]+maxHeaderSpan)
	h := func(score float64, evidence string) (hit, bool) {
		return hit{start, spanEnd, score, evidence}, true
	}
	privileged := role == "system" || role == "sys" || role == "developer" || role == "admin" || role == "administrator" || role == "operator"
	assistant := role == "assistant" || role == "ai" || role == "chatgpt" || strings.HasPrefix(role, "gpt") || role == "claude" || role == "gemini" || role == "bot"
	strongQual := qual == "message" || qual == "prompt" || qual == "instruction" || qual == "instructions" || qual == "override" || qual == "directive" || qual == "mode" || qual == "command"

	switch {
	case open && closeB: // "[SYSTEM]", "[System message]"
		if delim != "]" && delim != ":" && delim != "" {
			return hit{}, false
		}
		switch {
		case privileged:
			return h(0.85, "bracket_role_header")
		case assistant || role == "human" || role == "user":
			return h(0.6, "bracket_role_header")
		}
	case open || closeB:
		return hit{}, false
	case prevBlank && qual == "" && delim == ":" && !heading && (role == "human" || role == "assistant"):
		return h(0.8, "anthropic_turn")
	case heading: // "### System", "### Instruction:"
		if len(bytes.TrimSpace(line[m[1]:])) != 0 && delim != ":" {
			return hit{}, false // "### System requirements" never gets here; "### System - notes" stops here
		}
		switch {
		case privileged && (qual == "" || strongQual):
			return h(0.8, "markdown_role_header")
		case (assistant || role == "human") && (qual == "" || qual == "response" || qual == "turn"):
			return h(0.7, "markdown_role_header")
		case (role == "instruction" || role == "instructions" || role == "response" || role == "input") && qual == "" && delim == ":":
			return h(0.6, "alpaca_header")
		}
	case delim != ":":
		return hit{}, false
	case privileged && strongQual: // "System prompt: ...", "SYSTEM OVERRIDE: ..."
		return h(0.9, "role_header")
	case privileged && (qual == "" || qual == "note" || qual == "notice" || qual == "update" || qual == "alert" || qual == "says"):
		if instructionCue.Match(rest) {
			return h(0.85, "role_header")
		}
	case assistant && (qual == "" || qual == "says" || qual == "response" || qual == "turn"):
		if assistantCue.Match(rest) || instructionCue.Match(rest) {
			return h(0.7, "fake_assistant_turn")
		}
	}
	return hit{}, false
}

// firstWord returns the first word of a line after heading, quote, emphasis
// and bracket marks.
func firstWord(line []byte) []byte {
	i := 0
	for i < len(line) && i < 10 && slices.Contains([]byte("#>*_[ "), line[i]) {
		i++
	}
	j := i
	for j < len(line) && (isWordByte(line[j]) || line[j] == '-') {
		j++
	}
	return line[i:j]
}

// nextLine returns the first non-empty line after the line break at i.
func nextLine(n []byte, i int) []byte {
	for i < len(n) && n[i] == '\n' {
		i++
	}
	end := bytes.IndexByte(n[i:], '\n')
	if end < 0 {
		return n[i:]
	}
	return n[i : i+end]
}

var _ detect.Scorer = (*Detector)(nil)

// Scores returns the highest score of any finding in text, however low,
// under the detector's category (0 when nothing matches at all).
func (d *Detector) Scores(text string) map[string]float64 {
	best := 0.0
	for _, f := range (&Detector{}).Detect(text) {
		best = max(best, f.Score)
	}
	return map[string]float64{Category: best}
}

// mayHold reports whether text could hold a finding, judged on the raw
// text without folding it. Every finding starts at a '<' or '[' of the
// folded text, or is a line whose first word (after heading, quote,
// emphasis and bracket marks) is one of headerWords. On ASCII the fold
// only lowers letters and merges whitespace, so those can be checked on
// the raw bytes, generously (any number of marks, any whitespace); a
// non-ASCII character that folds into ASCII, vanishes (zero-width
// characters, invalid bytes) or breaks or spaces a line may build any of
// them, so it sends the text to the full check. Most messages have none of
// these and cost one pass over their bytes.
func mayHold(text string) bool {
	lineStart := true
	for i := 0; i < len(text); {
		if !lineStart {
			// Skip, eight bytes at a time, the bytes the rest of the
			// loop passes over (see plain8); the first other byte, or
			// the last few, go through it.
			for ; i+8 <= len(text); i += 8 {
				if m := plain8(swar.Load64(text, i)); m != swar.Lanes8 {
					i += bits.TrailingZeros64(^m&swar.Lanes8) >> 3
					break
				}
			}
			if i >= len(text) {
				break
			}
		}
		c := text[i]
		if c >= utf8.RuneSelf {
			r, w := utf8.DecodeRuneInString(text[i:])
			if foldsToMatter(r, w) {
				return true
			}
			i += w
			lineStart = false
			continue
		}
		if lineStart {
			lineStart = false
			j := i
			for j < len(text) && lineLead[text[j]] {
				j++
			}
			k := j
			for k < len(text) && headerByte[text[k]] {
				k++
			}
			if _, ok := headerWordSet.Get(text[j:k]); ok {
				return true
			}
			for ; i < j; i++ {
				if text[i] == '[' && bracketMay(text, i) {
					return true
				}
			}
			i = k
			continue
		}
		switch c {
		case '\n', '\r', '\v', '\f':
			lineStart = true
		case '<':
			if angleMay(text, i) {
				return true
			}
		case '[':
			if bracketMay(text, i) {
				return true
			}
		}
		i++
	}
	return false
}

// plain8 marks the lanes of x (eight bytes, see swar) that mayHold passes
// over in the middle of a line: ASCII but a line break ('\n', '\v', '\f',
// '\r'), '<' or '['.
func plain8(x uint64) uint64 {
	lineBreak := swar.Range8(x, '\n', '\r')
	angle := swar.Equal8(x, '<')
	bracket := swar.Equal8(x, '[')
	return ^(x | lineBreak | angle | bracket) & swar.Lanes8
}

// bracketMay reports whether the '[' at i may open "[inst]" or "[/inst]".
func bracketMay(text string, i int) bool {
	return prefixMay(text[i:], "[inst]") || prefixMay(text[i:], "[/inst]")
}

// prefixMay reports whether s may fold into something that starts with p
// (lower-case ASCII): it does, ASCII case ignored, or a non-ASCII byte
// comes first where they differ.
func prefixMay(s, p string) bool {
	for k := 0; k < len(p); k++ {
		if k == len(s) {
			return false
		}
		if s[k] >= utf8.RuneSelf {
			return true
		}
		if swar.LowerASCII(s[k]) != p[k] {
			return false
		}
	}
	return true
}

// angleMay reports whether the '<' at i may open a token or tag: "<|",
// "<<", or a name angleToken knows, after an optional '/'.
func angleMay(text string, i int) bool {
	k := i + 1
	if k < len(text) && text[k] == '/' {
		k++
	}
	if k >= len(text) {
		return false
	}
	switch b := text[k]; {
	case b >= utf8.RuneSelf:
		return true
	case k == i+1 && (b == '|' || b == '<'):
		return true
	}
	j := k
	for j < len(text) && headerByte[text[j]] {
		j++
	}
	if j < len(text) && text[j] >= utf8.RuneSelf {
		return true // the name may go on
	}
	_, ok := angleNames.Get(text[k:j])
	return ok
}

// foldsToMatter reports whether the non-ASCII rune r (w bytes; an invalid
// byte is utf8.RuneError of width 1) may fold into something a finding is
// made of. Only runes that stay non-ASCII, are not whitespace, and do not
// vanish are harmless; of those that fold into ASCII, quotes and sentence
// punctuation are harmless too.
func foldsToMatter(r rune, w int) bool {
	if r == utf8.RuneError && w == 1 {
		return true // invalid: vanishes
	}
	if r == 0x85 || r == 0x2028 || r == 0x2029 || unicode.IsSpace(r) || unicode.IsControl(r) {
		return true
	}
	f := textnorm.Fold(r)
	switch {
	case f < 0:
		return true // invisible: vanishes
	case f >= utf8.RuneSelf:
		return unicode.IsSpace(f) || unicode.IsControl(f)
	}
	switch f {
	case '\'', '"', '.', ',', '!', '?', ';', '(', ')', '-':
		return false // quotes, dashes, dots: no token, tag or header word is made of them
	}
	return true
}

// Byte sets of mayHold.
var (
	lineLead   [256]bool // may come before a line's first word: whitespace, controls, "#>*_["
	headerByte [256]bool // may be in a header word
)

func init() {
	for c := range utf8.RuneSelf {
		b := byte(c)
		lineLead[c] = b == ' ' || b == '\t' || b < 0x20 && b != '\n' && b != '\r' && b != '\v' && b != '\f' || b == 0x7f ||
			strings.IndexByte("#>*_[", b) >= 0
		headerByte[c] = 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-'
	}
}

// angleNames are the names angleToken matches after '<' or "</": the role
// tags, Gemma's turn tokens and the end-of-sequence "</s>".
var angleNames = func() *wordtab.Table[bool] {
	m := map[string]bool{"start_of_turn": true, "end_of_turn": true, "s": true}
	for name := range xmlRoles {
		m[name] = true
	}
	return wordtab.New(m)
}()

// headerWordSet is headerWords, looked up with ASCII case ignored.
var headerWordSet = wordtab.New(headerWords)
