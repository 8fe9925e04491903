package spec

import (
	"regexp"
	"strings"
)

// Roles that may open a turn in an example.
var knownRoles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true}

var (
	// A structural tag alone on its line, with an optional trailing
	// comment: <assistant recipient="python"> <!-- GOOD -->.
	openTagRe  = regexp.MustCompile(`^\s*<([A-Za-z_][A-Za-z0-9_.-]*)((?:\s+[A-Za-z_][A-Za-z0-9_-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*>\s*(<!--.*)?$`)
	closeTagRe = regexp.MustCompile(`^\s*</([A-Za-z_][A-Za-z0-9_.-]*)\s*>\s*$`)
	tagAttrRe  = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	labelRe    = regexp.MustCompile(`^<!--\s*(GOOD|BAD|OK)(?:\[#([A-Za-z0-9_.:-]+)\])?\s*(?:[:,]\s*(.*?))?\s*-->$`)
)

// exampleReader turns the lines of a ~~~xml fence into an Example.
type exampleReader struct {
	p   *parser
	ex  *Example
	cmp *Pos // position of an open <comparison>
	// goods counts GOOD candidates in the open comparison.
	goods int

	turn      *Turn
	cand      *Candidate
	text      strings.Builder
	untrusted *Pos // position of an open <untrusted>
	spanStart int
	settings  *Pos
}

func (p *parser) addExample(open line, body []line) {
	ex := &Example{Section: p.cur.ID, Pos: Pos{open.n, 1}}
	if p.hasTitle {
		ex.Title, ex.Pos = p.example, p.examPos
	}
	p.hasTitle = false
	r := &exampleReader{p: p, ex: ex}
	for _, ln := range body {
		r.line(ln)
	}
	r.finish()
	p.cur.Examples = append(p.cur.Examples, ex)
	// Cross references in example text are references too.
	for _, ln := range body {
		p.scanInline(ln)
	}
}

func (r *exampleReader) line(ln line) {
	// Only a line that starts with < can be a tag.
	if len(ln.text) < maxLine && strings.HasPrefix(strings.TrimLeft(ln.text, " \t"), "<") {
		if m := closeTagRe.FindStringSubmatch(ln.text); m != nil {
			r.close(ln, m[1])
			return
		}
		if m := openTagRe.FindStringSubmatch(ln.text); m != nil && r.opens(m[1]) {
			r.open(ln, m[1], m[2], strings.TrimSpace(m[3]))
			return
		}
	}
	if r.turn != nil {
		if r.settings != nil {
			k, v, ok := strings.Cut(ln.text, ":")
			if ok {
				if r.turn.Settings == nil {
					r.turn.Settings = map[string]string{}
				}
				r.turn.Settings[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			return
		}
		if r.text.Len() == 0 && strings.TrimSpace(ln.text) == "" {
			return
		}
		r.text.WriteString(ln.text)
		r.text.WriteByte('\n')
		return
	}
	// "[...]" between turns marks turns left out, as in the OpenAI spec.
	if t := strings.TrimSpace(ln.text); t != "" && t != "[...]" && t != "..." {
		r.p.problem(Pos{ln.n, 1}, Error, CodeStrayText, "text outside any turn: wrap it in <user>, <assistant> or another role")
	}
}

// opens reports whether a tag named name is structural where it stands.
// Inside a turn only <untrusted> and <settings> are; anything else is the
// turn's own text (HTML in an answer, say).
func (r *exampleReader) opens(name string) bool {
	if r.turn == nil {
		return true
	}
	return name == "untrusted" || name == "settings"
}

func (r *exampleReader) open(ln line, name, attrs, comment string) {
	pos := Pos{ln.n, runeCol(ln.text, strings.Index(ln.text, "<"))}
	switch {
	case (name == "untrusted" || name == "settings") && r.turn == nil:
		r.p.problem(pos, Error, CodeUnexpectedTag, "<%s> outside a turn: put it inside <developer>, <user> or another role", name)
		return
	case name == "untrusted":
		if r.untrusted != nil {
			r.p.problem(pos, Error, CodeUnexpectedTag, "<untrusted> inside <untrusted> (opened at line %d)", r.untrusted.Line)
			return
		}
		r.untrusted, r.spanStart = &pos, r.text.Len()
		return
	case name == "settings":
		r.settings = &pos
		return
	case name == "comparison":
		if r.cmp != nil {
			r.p.problem(pos, Error, CodeUnexpectedTag, "<comparison> inside <comparison> (opened at line %d)", r.cmp.Line)
			return
		}
		r.cmp, r.goods = &pos, 0
		return
	case !knownRoles[name]:
		r.p.problem(pos, Error, CodeUnknownRole, "unknown role <%s>: want system, developer, user, assistant or tool", name)
	}
	t := &Turn{Role: name, Pos: pos}
	for _, m := range tagAttrRe.FindAllStringSubmatch(attrs, -1) {
		if t.Attrs == nil {
			t.Attrs = map[string]string{}
		}
		t.Attrs[m[1]] = m[2] + m[3]
	}
	r.turn = t
	r.text.Reset()
	if r.cmp == nil {
		if comment != "" {
			r.p.problem(pos, Error, CodeBadLabel, "a label comment outside <comparison>: move the turn into a <comparison> group")
		}
		return
	}
	c := &Candidate{Turn: t, Context: len(r.ex.Turns)}
	m := labelRe.FindStringSubmatch(comment)
	switch {
	case comment == "":
		r.p.problem(pos, Error, CodeBadLabel, "candidate without a label: add <!-- GOOD -->, <!-- BAD: reason --> or <!-- OK -->")
	case m == nil:
		r.p.problem(pos, Error, CodeBadLabel, "malformed label %s: want <!-- GOOD -->, <!-- OK -->, <!-- BAD: reason --> or <!-- BAD[#clause]: reason -->", comment)
	default:
		c.Label, c.Cites, c.Reason = Label(m[1]), m[2], m[3]
		if c.Cites != "" && c.Label != Bad {
			r.p.problem(pos, Error, CodeBadLabel, "only a BAD label may cite a clause: %s", comment)
		}
		if c.Label == Good {
			r.goods++
		}
	}
	r.cand = c
}

func (r *exampleReader) close(ln line, name string) {
	pos := Pos{ln.n, runeCol(ln.text, strings.Index(ln.text, "<"))}
	switch {
	case name == "untrusted" && r.untrusted != nil:
		r.turn.Untrusted = append(r.turn.Untrusted, Span{r.spanStart, r.text.Len()})
		r.untrusted = nil
	case name == "settings" && r.settings != nil:
		r.settings = nil
	case r.turn != nil && name == r.turn.Role:
		r.endTurn()
	case r.turn != nil:
		// A closing tag of another name inside a turn is the turn's text.
		r.text.WriteString(ln.text)
		r.text.WriteByte('\n')
	case name == "comparison" && r.cmp != nil:
		if r.goods == 0 {
			r.p.problem(*r.cmp, Error, CodeNoGood, "comparison without a GOOD candidate: label the preferred answer <!-- GOOD -->")
		}
		r.cmp = nil
	default:
		r.p.problem(pos, Error, CodeUnexpectedTag, "</%s> closes nothing", name)
	}
}

func (r *exampleReader) endTurn() {
	t := r.turn
	if r.untrusted != nil {
		r.p.problem(*r.untrusted, Error, CodeUnclosedTag, "<untrusted> is never closed")
		t.Untrusted = append(t.Untrusted, Span{r.spanStart, r.text.Len()})
		r.untrusted = nil
	}
	if r.settings != nil {
		r.p.problem(*r.settings, Error, CodeUnclosedTag, "<settings> is never closed")
		r.settings = nil
	}
	t.Text = strings.TrimRight(r.text.String(), " \t\r\n")
	for i := range t.Untrusted {
		t.Untrusted[i].Start = min(t.Untrusted[i].Start, len(t.Text))
		t.Untrusted[i].End = min(t.Untrusted[i].End, len(t.Text))
	}
	if r.cand != nil {
		r.ex.Candidates = append(r.ex.Candidates, r.cand)
	} else {
		r.ex.Turns = append(r.ex.Turns, t)
	}
	r.turn, r.cand = nil, nil
}

func (r *exampleReader) finish() {
	if r.turn != nil {
		r.p.problem(r.turn.Pos, Error, CodeUnclosedTag, "<%s> is never closed: add </%s>", r.turn.Role, r.turn.Role)
		r.endTurn()
	}
	if r.cmp != nil {
		r.p.problem(*r.cmp, Error, CodeUnclosedTag, "<comparison> is never closed: add </comparison>")
		if r.goods == 0 {
			r.p.problem(*r.cmp, Error, CodeNoGood, "comparison without a GOOD candidate: label the preferred answer <!-- GOOD -->")
		}
	}
}
