package gateway

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/policy"
)

// redactions masks, in the request, the spans of findings whose action is
// redact, with typed placeholders ([SECRET_1], [EMAIL_2]); the same value
// gets the same placeholder. The originals stay in the gateway and are put
// back into the answer.
type redactions struct {
	byValue map[string]string // original -> placeholder
	byMark  map[string]string // placeholder -> original
	longest int
}

func redact(p *policy.Policy, msgs []openai.Message, fs []detect.Finding) *redactions {
	v := &redactions{byValue: map[string]string{}, byMark: map[string]string{}}
	perMsg := map[int][]detect.Finding{}
	for _, f := range fs {
		if f.Message != nil && p.CheckAction(f.Category) == policy.Redact {
			perMsg[*f.Message] = append(perMsg[*f.Message], f)
		}
	}
	counts := map[string]int{}
	for i, mfs := range perMsg {
		text := msgs[i].Text()
		// Later spans first, so earlier offsets stay valid; overlapping
		// spans keep the first.
		slices.SortFunc(mfs, func(a, b detect.Finding) int { return b.Start - a.Start })
		end := len(text) + 1
		for _, f := range mfs {
			if f.End > end || f.Start < 0 || f.End > len(text) {
				continue
			}
			orig := text[f.Start:f.End]
			mark, ok := v.byValue[orig]
			if !ok {
				cat := strings.ToUpper(f.Category)
				counts[cat]++
				mark = fmt.Sprintf("[%s_%d]", cat, counts[cat])
				v.byValue[orig], v.byMark[mark] = mark, orig
				v.longest = max(v.longest, len(mark))
			}
			text = text[:f.Start] + mark + text[f.End:]
			end = f.Start
		}
		msgs[i].Content = openai.TextContent(text)
	}
	return v
}

// restore puts the originals back into an answer.
func (v *redactions) restore(s string) string {
	if len(v.byMark) == 0 || !strings.Contains(s, "[") {
		return s
	}
	pairs := make([]string, 0, 2*len(v.byMark))
	for m, o := range v.byMark {
		pairs = append(pairs, m, o)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// streamRestorer restores placeholders in a streamed answer, holding back
// a possible placeholder cut in two by a chunk boundary.
type streamRestorer struct {
	v   *redactions
	buf string
}

func (v *redactions) streamRestorer() *streamRestorer { return &streamRestorer{v: v} }

func (r *streamRestorer) write(chunk string) string {
	s := r.buf + chunk
	r.buf = ""
	// Hold back from the last "[" if what follows could still become a
	// placeholder.
	if i := strings.LastIndexByte(s, '['); i >= 0 && !strings.Contains(s[i:], "]") && len(s)-i < r.v.longest {
		r.buf, s = s[i:], s[:i]
	}
	return r.v.restore(s)
}

func (r *streamRestorer) flush() string {
	s := r.v.restore(r.buf)
	r.buf = ""
	return s
}
