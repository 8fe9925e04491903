package eval

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Clarify is the expectation of a case whose right answer asks the user a
// clarifying question (grade.clarify).
const Clarify = "clarify"

// ClarifyGrader ("grade.clarify") passes when the answer asks the user a
// clarifying question (ClarifyingQuestions finds one): a question about
// what they mean, want or have, or a request to confirm before acting.
// Offers ("Would you like me to…?"), courtesy ("Anything else I can help
// with?"), small talk and rhetorical questions do not count. The label
// says whether the answer only asks ("asks") or also answers at length
// ("answers_and_asks": more than MaxClarifyWords words besides the
// questions), for reports; both pass.
type ClarifyGrader struct{}

var _ Grader = ClarifyGrader{}

// MaxClarifyWords is the most words besides its clarifying questions an
// answer may have and still be labelled "asks" rather than
// "answers_and_asks".
const MaxClarifyWords = 60

// Labels of grade.clarify.
const (
	LabelAsks           = "asks"
	LabelAnswersAndAsks = "answers_and_asks"
	LabelNoQuestion     = "no_clarifying_question"
)

// ID returns "grade.clarify".
func (ClarifyGrader) ID() string { return "grade.clarify" }

// Grade implements Grader.
func (ClarifyGrader) Grade(c Case, answer string) (Grade, error) {
	if strings.TrimSpace(answer) == "" {
		return Grade{}, ErrEmptyAnswer
	}
	qs, rest := ClarifyingQuestions(answer)
	if len(qs) == 0 {
		return Grade{Status: Fail, Label: LabelNoQuestion, Reason: "the answer asks no clarifying question"}, nil
	}
	g := Grade{Status: Pass, Label: LabelAsks, Score: 1}
	if rest > MaxClarifyWords {
		g.Label = LabelAnswersAndAsks
	}
	return g, nil
}

// clarifyPatterns are the patterns of ClarifyingQuestions.
type clarifyPatterns struct {
	sentenceRe, codeFence, notClarifying, offerRe, clarifying, requests *regexp.Regexp
}

// clarifyREs compiles the patterns on first use: compiled at init they
// cost every modelspec command about 350 KB at start, graded or not.
var clarifyREs = sync.OnceValue(func() *clarifyPatterns {
	return &clarifyPatterns{
		// sentenceRe splits text into sentences: runs ending in ., !, ? or a
		// line break (a question mark may be followed by closing quotes).
		sentenceRe: regexp.MustCompile(`[^.!?\n]*(?:[.!?]+["'”’)\]]*|\n|$)`),
		codeFence:  regexp.MustCompile("(?s)```.*?```"),
		// notClarifying are questions that ask nothing about the request:
		// offers of more help, courtesy, greetings, suggestions, rhetoric.
		notClarifying: regexp.MustCompile(`(?i)^(?:` +
			`(?:would|do) you (?:like|want)(?: me)? (?:to |for me to |more |an? |any )` + // offers
			`|(?:can|may|could|shall) i (?:help|assist|suggest|offer|get)` +
			`|(?:is there )?anything else` +
			`|how (?:can|may) i (?:help|assist)` +
			`|want (?:me|help|to)\b` +
			`|what'?s up|how are (?:you|things)|can you hear me` +
			`|how about (?:we|you)\b` +
			`|(?:isn'?t|doesn'?t|wouldn'?t|don'?t) (?:it|that|this|you)\b` + // rhetoric
			`|why should|what if\b` +
			`|have you (?:ever|thought|tried|noticed|considered)` + // suggestions, exploration
			`)`),
		offerRe: regexp.MustCompile(`(?i)^(?:would|do) you (?:like|want)`),
		// clarifying are the forms of a question about the request.
		clarifying: regexp.MustCompile(`(?i)(?:` +
			`\b(?:do|did) you mean\b|\bare you (?:referring|asking|looking|thinking|trying|planning|hoping|in pursuit|after)\b` +
			`|\b(?:could|can|would|will) you (?:please )?(?:tell|share|clarify|specify|confirm|describe|explain|provide|give|let (?:me|us) know|adjust|repeat|say|send|paste)\b` +
			`|\bwhich (?:one|of|(?:\w+ ){1,3}(?:do|did|are|were|would|should|is) (?:you|your))\b|\bwhat (?:kind|type|sort|version|size|format) of\b` +
			`|\bwhy do you (?:ask|want|need)\b|^should i\b|^(?:would|do) you (?:like|want|prefer)\b.*\bor\b|^(?:should|shall|will|would) (?:the|it|this|that|we)\b.*\bor\b|\bhow (?:does|do) (?:that|this) sound\b|\b(?:does|do) (?:this|that|it) (?:sound|look) (?:right|good|ok)` +
			`|^sound(?:s)? good\b|\bshould i (?:go ahead|proceed|continue|start)\b|\bis (?:that|this) (?:what|something) you\b|\bconfirm\b` +
			`|\bwhat (?:would|do|did) you (?:want|prefer|need|mean|have in mind)\b|\bwhat would you like\b|\bwhat would help you\b|\bhow would you like (?:me )?to\b` +
			`|\bwhat(?:'s| is| are) (?:the|your) (?:problem|issue|goal|context|name|budget|deadline|use case|purpose)\b` +
			`|\bwhat \w+(?: \w+)? (?:will|would|are|is) (?:the|your|you)\b` +
			`|\bare there any (?:\w+ ){0,3}(?:you prefer|you'd like|preferences)\b|\bis there anything about your\b|\bis there any(?:thing)? (?:particular|specific)\b` +
			`|\bany (?:little )?details\b|\bmay i (?:inquire|ask)\b|\bmind (?:asking|repeating|saying)\b` +
			`|\bdo you (?:want|prefer|need|have a preference|already have|currently have)\b.*\bor\b` +
			// either/or questions about the user's situation: "Were they high in
			// the trees or closer to the ground?"
			`|^(?:are|were|is|was|have|has) (?:you|they|it|this|that|there)\b.*\bor\b` +
			`)`),
		// requests are clarifying requests that are not phrased as questions.
		requests: regexp.MustCompile(`(?i)\b(?:` +
			`(?:let me know|tell me) (?:the |which |what |more about |the gist|the purpose|if you meant|whether)` +
			`|if you (?:tell me|let me know|share|give me)\b|\bif you meant\b|\bdid you mean\b` +
			`|please (?:specify|clarify|confirm|tell me|share|provide)\b` +
			`)`),
	}
})

// ClarifyingQuestions returns the clarifying questions (and requests for
// clarification) in answer, and how many words the answer has besides
// them. Fenced code is skipped; an answer that is a JSON value is read
// through its strings, so that a question sent in a structured reply
// counts. Deterministic: a fixed list of patterns (see the package
// README for what it was measured on).
func ClarifyingQuestions(answer string) (questions []string, otherWords int) {
	p := clarifyREs()
	text := p.codeFence.ReplaceAllString(answer, " ")
	if s := jsonStrings(answer); s != "" {
		text = s
	}
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, ">") { // quoted material asks nothing of the user
			continue
		}
		for _, s := range p.sentenceRe.FindAllString(line, -1) {
			s = strings.TrimSpace(strings.Trim(s, " \t-*•"))
			if s == "" {
				continue
			}
			if p.isClarifying(s) {
				questions = append(questions, s)
			} else {
				otherWords += len(strings.Fields(s))
			}
		}
	}
	return questions, otherWords
}

func (p *clarifyPatterns) isClarifying(s string) bool {
	q := strings.TrimRight(s, `"'”’)] `)
	if strings.HasSuffix(q, "?") {
		// Stage directions ("[in a calm voice] …") and quotes are not the
		// question's start.
		head := strings.TrimLeft(q, `"'“‘([ `)
		if i := strings.Index(head, "] "); strings.HasPrefix(strings.TrimSpace(s), "[") && i >= 0 {
			head = head[i+2:]
		}
		// An offer between alternatives ("Do you want a list, or should we
		// focus on one?") asks the user to choose: it may clarify.
		if p.notClarifying.MatchString(head) && !(p.offerRe.MatchString(head) && strings.Contains(strings.ToLower(head), " or ")) {
			return false
		}
		return p.clarifying.MatchString(head)
	}
	return p.requests.MatchString(s)
}

// jsonStrings returns the string values of answer joined by new lines
// when answer (a code fence removed) is a JSON object or array, else "".
func jsonStrings(answer string) string {
	t := stripFence(answer)
	if !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(t), &v); err != nil {
		return ""
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k])
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}
