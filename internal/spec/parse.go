package spec

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

var (
	// A heading: up to three spaces, 1-6 #, text, an optional {attribute
	// block} and optional closing #s (CommonMark ATX headings).
	headingRe = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$`)
	attrRe    = regexp.MustCompile(`\{([^{}]*)\}[ \t]*#*[ \t]*$`)
	refRe     = regexp.MustCompile(`\[[^\]\n]*\]\(#([^)\s]+)\)`)
	noteRe    = regexp.MustCompile(`\[\^([A-Za-z0-9_-]+)\]`)
	exampleRe = regexp.MustCompile(`^\*\*Example\*\*:?[ \t]*:?[ \t]*(.*)$`)
)

// maxLine bounds the length of a line that the parser will scan with
// regular expressions, so that a hostile file cannot make one line cost more
// than linear time in total; longer lines are kept as text.
const maxLine = 1 << 16

// Parse reads a Model Spec from src. name is the file name used in problem
// positions. Parse always returns a Spec, however broken the input: every
// problem it meets is reported, none stops it.
func Parse(name string, src []byte) (*Spec, []Problem) {
	p := &parser{file: name, spec: &Spec{File: name}}
	p.run(src)
	SortProblems(p.problems)
	return p.spec, p.problems
}

type parser struct {
	file     string
	spec     *Spec
	problems []Problem

	cur      *Section // section being read
	body     []string // prose lines of cur
	example  string   // title of a pending **Example** line
	examPos  Pos
	hasTitle bool
	notes    map[string]bool
	parentAt [7]string // nearest id at each heading level
}

func (p *parser) problem(pos Pos, sev Severity, code, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Pos: pos, Code: code, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

// line is one source line and its 1-based number.
type line struct {
	n    int
	text string
}

func splitLines(src []byte) []line {
	s := string(src)
	out := make([]line, 0, bytes.Count(src, []byte{'\n'})+1)
	for n := 1; len(s) > 0; n++ {
		i := strings.IndexByte(s, '\n')
		var t string
		if i < 0 {
			t, s = s, ""
		} else {
			t, s = s[:i], s[i+1:]
		}
		out = append(out, line{n, strings.TrimSuffix(t, "\r")})
	}
	return out
}

func (p *parser) run(src []byte) {
	lines := splitLines(src)
	lines = p.frontMatter(lines)
	p.notes = map[string]bool{}
	// A preamble before the first heading is kept as an untitled section.
	p.cur = &Section{Pos: Pos{1, 1}}
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		if fence, ok := openFence(ln.text); ok {
			end := closeFence(lines, i, fence)
			if end < 0 {
				p.problem(Pos{ln.n, 1}, Error, CodeUnclosedFence, "code fence %q is never closed", fence.marker)
				end = len(lines)
			}
			if fence.info == "xml" {
				p.addExample(ln, lines[i+1:min(end, len(lines))])
			} else {
				for _, l := range lines[i:min(end+1, len(lines))] {
					p.body = append(p.body, l.text)
				}
			}
			i = end
			continue
		}
		if m := matchIf(isHeading(ln.text), headingRe, ln.text); m != nil {
			p.heading(ln, len(m[1]), m[2])
			continue
		}
		if m := matchIf(strings.HasPrefix(ln.text, "**Example**"), exampleRe, ln.text); m != nil {
			p.pendingExample(ln, m[1])
			p.scanInline(ln)
			continue
		}
		if strings.TrimSpace(ln.text) != "" {
			p.hasTitle = false
		}
		p.scanInline(ln)
		p.body = append(p.body, ln.text)
	}
	p.finishSection()
}

func (p *parser) frontMatter(lines []line) []line {
	if len(lines) == 0 || strings.TrimSpace(lines[0].text) != "---" {
		return lines
	}
	for i := 1; i < len(lines); i++ {
		if t := strings.TrimSpace(lines[i].text); t == "---" || t == "..." {
			var buf strings.Builder
			for _, l := range lines[1:i] {
				buf.WriteString(l.text)
				buf.WriteByte('\n')
			}
			p.decodeFrontMatter(buf.String())
			return lines[i+1:]
		}
	}
	p.problem(Pos{1, 1}, Error, CodeFrontMatter, "front matter opened with --- is never closed with ---")
	return lines
}

// FrontMatter is the YAML header of a spec file.
type FrontMatter struct {
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	Extends     string `yaml:"extends"`
	Description string `yaml:"description"`
	License     string `yaml:"license"`
}

func (p *parser) decodeFrontMatter(text string) {
	var fm FrontMatter
	if err := yaml.UnmarshalWithOptions([]byte(text), &fm, yaml.Strict()); err != nil {
		line, col, msg := YAMLPos(err)
		p.problem(Pos{line + 1, col}, Error, CodeFrontMatter, "front matter: %s (fields: name, version, extends, description, license)", msg)
		return
	}
	p.spec.Name, p.spec.Version, p.spec.Extends = fm.Name, fm.Version, fm.Extends
}

// matchIf runs re on s only when a cheap test passed and the line is not
// too long to scan.
func matchIf(ok bool, re *regexp.Regexp, s string) []string {
	if !ok || len(s) >= maxLine {
		return nil
	}
	return re.FindStringSubmatch(s)
}

// isHeading is a quick test before headingRe: up to three spaces, then #.
func isHeading(s string) bool {
	t := strings.TrimLeft(s, " ")
	return len(s)-len(t) <= 3 && strings.HasPrefix(t, "#")
}

type fence struct {
	marker string // the run of ` or ~
	info   string
	indent int
}

func openFence(s string) (fence, bool) {
	t := strings.TrimLeft(s, " ")
	indent := len(s) - len(t)
	if indent > 3 || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return fence{}, false
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 {
		return fence{}, false
	}
	info := strings.TrimSpace(t[n:])
	if t[0] == '`' && strings.Contains(info, "`") {
		return fence{}, false
	}
	if i := strings.IndexAny(info, " \t{"); i >= 0 {
		info = info[:i]
	}
	return fence{marker: t[:n], info: info, indent: indent}, true
}

// closeFence returns the index of the line that closes the fence opened at
// lines[i], or -1.
func closeFence(lines []line, i int, f fence) int {
	for j := i + 1; j < len(lines); j++ {
		t := strings.TrimSpace(lines[j].text)
		if len(t) >= len(f.marker) && strings.Trim(t, f.marker[:1]) == "" && strings.HasPrefix(t, f.marker) {
			return j
		}
	}
	return -1
}

func (p *parser) heading(ln line, level int, text string) {
	p.finishSection()
	sec := &Section{Level: level, Pos: Pos{ln.n, 1}}
	if loc := attrRe.FindStringSubmatchIndex(text); loc != nil {
		p.attributes(sec, text[loc[2]:loc[3]], Pos{ln.n, runeCol(ln.text, strings.Index(ln.text, text)+loc[2])})
		text = text[:loc[0]]
	}
	sec.Title = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(text), "#"))
	for l := level; l < len(p.parentAt); l++ {
		p.parentAt[l] = ""
	}
	for l := level - 1; l >= 1; l-- {
		if p.parentAt[l] != "" {
			sec.Parent = p.parentAt[l]
			break
		}
	}
	if sec.ID != "" {
		p.parentAt[level] = sec.ID
	}
	p.cur = sec
	p.hasTitle = false
	p.scanInline(ln)
}

// attributes parses a Pandoc-style attribute block: #id .class key=value
// key="quoted value".
func (p *parser) attributes(sec *Section, block string, pos Pos) {
	for _, f := range splitAttrs(block) {
		at := Pos{pos.Line, pos.Col + f.off}
		switch {
		case strings.HasPrefix(f.text, "#"):
			sec.ID = f.text[1:]
			if !validID(sec.ID) {
				p.problem(at, Error, CodeBadAttribute, "id %q: use letters, digits, _ and -", sec.ID)
			}
		case strings.HasPrefix(f.text, "."):
			p.setAttr(sec, "class", f.text[1:])
		default:
			k, v, ok := strings.Cut(f.text, "=")
			if !ok {
				p.problem(at, Error, CodeBadAttribute, "attribute %q: want #id, .class or key=value", f.text)
				continue
			}
			v = strings.Trim(v, `"'`)
			switch k {
			case "authority":
				a, ok := ParseAuthority(v)
				if !ok {
					p.problem(at, Error, CodeUnknownAuthority, "authority %q: want root (or platform), system, developer, user or guideline", v)
					continue
				}
				sec.Authority = a
				if v != string(a) {
					p.setAttr(sec, "authority_spelling", v)
				}
			case "kind":
				switch Kind(v) {
				case Objective, Rule, Default:
					sec.Kind = Kind(v)
				default:
					p.problem(at, Error, CodeUnknownKind, "kind %q: want objective, rule or default", v)
				}
			default:
				p.setAttr(sec, k, v)
			}
		}
	}
}

func (p *parser) setAttr(sec *Section, k, v string) {
	if sec.Attrs == nil {
		sec.Attrs = map[string]string{}
	}
	sec.Attrs[k] = v
}

type field struct {
	text string
	off  int
}

func splitAttrs(s string) []field {
	var out []field
	for i := 0; i < len(s); {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		start, quote := i, byte(0)
		for i < len(s) && (quote != 0 || (s[i] != ' ' && s[i] != '\t')) {
			switch {
			case quote != 0 && s[i] == quote:
				quote = 0
			case quote == 0 && (s[i] == '"' || s[i] == '\''):
				quote = s[i]
			}
			i++
		}
		out = append(out, field{s[start:i], start})
	}
	return out
}

func validID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		if !(r == '_' || r == '-' || r == '.' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func (p *parser) pendingExample(ln line, title string) {
	p.example, p.examPos, p.hasTitle = strings.TrimSpace(title), Pos{ln.n, 1}, true
}

// scanInline records cross references and footnote markers on a prose line.
func (p *parser) scanInline(ln line) {
	if len(ln.text) >= maxLine {
		return
	}
	// Cheap substring checks first: most lines have neither.
	if !strings.Contains(ln.text, "](#") && !strings.Contains(ln.text, "[^") {
		return
	}
	for _, m := range refRe.FindAllStringSubmatchIndex(ln.text, -1) {
		p.cur.Refs = append(p.cur.Refs, Ref{ID: ln.text[m[2]:m[3]], Pos: Pos{ln.n, runeCol(ln.text, m[0])}})
	}
	for _, m := range noteRe.FindAllStringSubmatchIndex(ln.text, -1) {
		// A footnote definition "[^tag]: text" is not a use.
		if m[0] == 0 && strings.HasPrefix(ln.text[m[1]:], ":") {
			continue
		}
		tag := ln.text[m[2]:m[3]]
		if !p.notes[tag] {
			p.notes[tag] = true
			p.spec.Footnotes = append(p.spec.Footnotes, Footnote{Tag: tag, Section: p.cur.ID, Pos: Pos{ln.n, runeCol(ln.text, m[0])}})
		}
	}
}

func (p *parser) finishSection() {
	if p.cur == nil {
		return
	}
	p.cur.Body = strings.TrimSpace(strings.Join(p.body, "\n"))
	p.body = p.body[:0]
	// An empty preamble is not a section.
	if p.cur.Level > 0 || p.cur.Body != "" || len(p.cur.Examples) > 0 {
		p.spec.Sections = append(p.spec.Sections, p.cur)
	}
	p.cur = nil
}

// runeCol turns a byte offset in s into a 1-based column counted in
// characters, as editors show it.
func runeCol(s string, off int) int {
	if off < 0 {
		off = 0
	}
	if off > len(s) {
		off = len(s)
	}
	return utf8.RuneCountInString(s[:off]) + 1
}

// YAMLPos extracts a line, column and message from a go-yaml error, so that
// every YAML file the project reads reports problems at their place.
func YAMLPos(err error) (line, col int, msg string) {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tok := ye.GetToken(); tok != nil && tok.Position != nil {
			return tok.Position.Line, tok.Position.Column, ye.GetMessage()
		}
		return 1, 1, ye.GetMessage()
	}
	return 1, 1, err.Error()
}
