package injection

import (
	"regexp"
	"strings"
	"sync"

	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// rule is one pattern over a sentence of folded text (lower case, single
// spaces, no line breaks).
//
// A word rule is tried at each occurrence of one of its anchor words, and its
// pattern must match starting there; a sentence rule (bol) is tried once, at
// the start of the sentence, when the sentence contains one of its trigger
// words. Both are matched anchored, so a failed attempt stops after a few
// bytes: this is what keeps the detector fast on benign text.
// TestAnchorsCoverMatches checks on the case corpus that no match is missed
// because its first word is not an anchor.
type rule struct {
	name     string // evidence name; several rules may share one
	anchors  string // space-separated words a match starts with
	bol      bool   // sentence rule: the match starts at the sentence's first word
	triggers string // sentence rules: space-separated words, one must occur
	needs    string // optional: space-separated words, one must occur in the sentence

	pattern string         // RE2 source, matched anchored
	re      *regexp.Regexp // ^(?:pattern)
	prev    *regexp.Regexp // word rules: must match the text just before the anchor (ends in $)
	prevNot *regexp.Regexp // word rules: must not match the text just before the anchor

	// Checked on the matched words and up to window bytes either side; for
	// a sentence rule, on the sentence up to maxSentenceMatch bytes.
	requires []set // each must match
	unless   set   // the match does not count when this matches
	boost    set   // adds boostBy to score when it matches
	boostBy  float64

	score     float64
	lineStart bool // only for a sentence that begins a line
	endsWith  byte // sentence rules ending in `\?$`: the window must end with this byte

	// Literal filters (literal.go), derived from pattern and prev: where
	// they say no, the regexps would not match.
	prefix     prefixFilter
	holds      byteFilter
	prevSuffix suffixFilter
	maxLen     int // of a match of pattern, -1 when unbounded (see cutWindow)
}

// qualifies reports whether a match with s around it counts: every set of
// requires matches s, and unless does not.
func (r *rule) qualifies(s []byte) bool { return r.meets(s) && !r.unless.match(s) }

// meets reports whether every set of requires matches s.
func (r *rule) meets(s []byte) bool {
	for _, q := range r.requires {
		if !q.match(s) {
			return false
		}
	}
	return true
}

// set is a disjunction of patterns, matched unanchored. Patterns that start
// with a literal string are fast, because the regexp package then scans for
// that string; the sets of rules whose patterns match often in benign text
// are written so (TestHotSetsHaveLiterals).
type set []*regexp.Regexp

func (m set) match(s []byte) bool {
	for _, r := range m {
		if r.Match(s) {
			return true
		}
	}
	return false
}

// anyOf compiles patterns into a set.
func anyOf(patterns ...string) set {
	m := make(set, len(patterns))
	for i, p := range patterns {
		m[i] = re(p)
	}
	return m
}

// each returns prefix+rest for each prefix.
func each(prefixes []string, rest string) []string {
	out := make([]string, len(prefixes))
	for i, p := range prefixes {
		out[i] = regexp.QuoteMeta(p) + rest
	}
	return out
}

// Match windows, in bytes of folded text.
const (
	maxWordMatch     = 300  // a word rule's match
	maxSentenceMatch = 1000 // a sentence rule's match
	window           = 100  // around a match, for requires, unless and boost
	maxPrev          = 32   // before an anchor, for prev
)

// Word lists shared by the rules, as RE2 alternations.
const (
	// what the model produces
	resp = `(?:answers?|responses?|repl(?:y|ies)|outputs?|completions?|elucidations?)`
	// weaker: things a person also writes
	respWeak = `(?:messages?|summar(?:y|ies)|translations?|explanations?|texts?|words|sentences?|writing|letters)`

	// unambiguous names for an AI reader
	aiStrict = `(?:ai|llms?|chatbots?|ai (?:assistants?|systems?|models?|agents?|tools?|bots?|readers?)|(?:large )?language models?|gpt(?:-?[0-9][0-9a-z.]*)?|chatgpt|claude|gemini|copilot|bard|automated (?:systems?|agents?|assistants?|readers?)|virtual assistants?)`
	// also names a person or a thing outside a vocative
	aiWide = `(?:` + aiStrict + `|assistants?|agents?|bots?|models?)`

	verbsIgnoreBase = `ignore|ignoring|disregard|disregarding|forget|forgetting|forget about|overlook|overlooking|pay no attention to|do not follow|don't follow|dont follow|stop following|no longer follow|do not obey|don't obey|stop obeying|do not adhere to|don't adhere to|never mind|nevermind`
	verbsIgnore     = `(?:` + verbsIgnoreBase + `)`
	verbsIgnoreAll  = `(?:` + verbsIgnoreBase + `|override|overriding|overwrite|bypass|bypassing|discard|discarding|neglect|abandon|set aside|throw out|scrap)`

	ignoreObjects    = `(?:instructions?|prompts?|directions?|directives?|rules|guidelines|guidance|commands?|constraints|restrictions|limitations|programming|context|conversation|polic(?:y|ies)|system prompt|system message|guardrails|filters|safeguards|principles|boundaries|ethics)`
	ignoreQualifiers = `(?:previous|previously given|prior|above|aforementioned|earlier|preceding|foregoing|initial|original|old|existing|current|past|former|system|developer|given|provided|other|safety|default|preset|first|last|mentioned|stated|listed|specified|ethical|content|moderation|openai|anthropic|security)`

	// encodings and transformations of an answer
	formats      = `(?:base ?-?(?:64|32|16|85)|b64|hex(?:adecimal)?|binary(?: code)?|ascii(?: codes?| values?)?|unicode code ?points|morse(?: code)?|rot ?-?13|rot ?-?47|caesar(?: cipher)?|(?:an? |some )?(?:secret )?cipher(?:text)?|atbash|emojis?|emoticons|hieroglyphs|all caps|all capitals|capital letters|upper ?case|lower ?case|reverse(?:d)?(?: order| text)?|backwards|mirror(?:ed)? text|pig latin|leet ?(?:speak)?|1337|l33t|anagrams?|riddles?|rhymes?|code ?words?|gibberish|numbers? only|only numbers|url ?encod(?:ed|ing))`
	languages    = `(?:another language|a different language|a foreign language|french|spanish|german|italian|portuguese|russian|chinese|mandarin|cantonese|japanese|korean|arabic|hindi|dutch|swedish|norwegian|danish|finnish|polish|turkish|greek|hebrew|latin|klingon|elvish|esperanto|vietnamese|thai|indonesian|malay|swahili|ukrainian|czech|romanian|hungarian|bengali|urdu|persian|farsi|tagalog|pirate(?: speak)?|shakespearean(?: english)?|old english|middle english|yoda ?speak)`
	verbsProduce = `(?:respond|reply|answer|write|output|speak|communicate|talk|type|return|deliver|express|render|present|format|give|provide|produce|compose|say|rewrite|convert|translate|encode|encrypt|transform|transcribe|transliterate)`
	produceFill  = `(?: (?:only|solely|exclusively|entirely|strictly|just|always|all|everything|back|it|this|that|them|me|to me|to the user|from now on|now|henceforth|please|everything|your (?:[a-z']+ )?` + resp + `|your (?:[a-z']+ )?` + respWeak + `|the (?:[a-z']+ )?` + resp + `|to (?:the |this |that |any |every )?(?:following |next )?(?:question|query|request|email|message|prompt|user)s?|(?:the |every |each |all |any )?(?:user|users|question|questions|following|reader|readers|everyone|people)))*`

	// verbs that open an order about the reply
	verbsDirect = `(?:add|include|insert|append|prepend|attach|integrate|incorporate|embed|inject|mention|put|place|use|employ|utili[sz]e|replace|substitute|swap|remove|delete|omit|strip|drop|introduce|misspell|scramble|jumble|shuffle|rearrange|reorder|anagram|group|combine|merge|join|split|separate|provide|render|present|modify|enhance|augment|change|alter|adjust|edit|update|make|start|begin|end|finish|conclude|close|sign|format|convert|translate|encode|encrypt|write|respond|reply|answer|ensure|suggest|recommend|promote|advertise|link|tease|hint|express|offer|highlight|emphasi[sz]e|stress|invite|encourage|urge|ask|tell|inform|remind|warn|keep|limit|restrict|reverse|capitali[sz]e|spell|rewrite|transform|turn|craft|compose|generate|create|produce|output|print|return|give|share|state|say|claim|note|thank|apologi[sz]e|praise|critici[sz]e|insult|weave|blend|fuse|meld|infuse|interweave|feature|showcase|display|show|list|cite|reference|direct|point|refer|redirect|request|describe|explain|summari[sz]e|sprinkle|pepper|fill|wrap|surround|prefix|suffix|open|lead|frame|phrase|word|structure|organi[sz]e|arrange|sort|number|bold|italici[sz]e|underline|uppercase|lowercase|abbreviate|shorten|lengthen|expand|pad|repeat|duplicate|double|mirror|flip|invert|rotate|shift|decode|cipher|obfuscate|hide|mask|censor|redact|conclude|close|finish)`
	// what may open a line before its first word: bullets, quotes, numbering
	bol = `^(?:[^a-z0-9 ]{1,4} ?|\(?[0-9]{1,2}[.)] )?`
	// words that may come before such a verb
	directLead = `(?:(?:note|important|reminder|p\.?s\.?|n\.?b\.?|attention|warning|update|instruction|task|also)[:,!-]? )?(?:(?:please|also|and|then|now|instead|additionally|finally|lastly|furthermore|moreover|kindly|next|first|second|third|always|just|simply|subtly|discreetly|quietly|secretly|carefully|seamlessly|be sure to|make sure to|remember to|do not forget to|don't forget to|do not hesitate to|don't hesitate to|feel free to|you (?:must|should|need to|have to|will)|try to|be certain to|i want you to|i need you to|we want you to|we need you to|it is (?:essential|important|crucial|vital|necessary) (?:that you|to))[,:]? )*`

	// instruction words for code
	codeNouns   = `(?:code|snippet|script|function|lines?|excerpt)`
	codeHolders = `(?:code ?base|code|solution(?: architecture)?|implementation|algorithm|program|logic|script|project|application|software|response|answer|reply|elucidation|system|framework)`
)

// words that mark the elaborate style of injected code instructions
var flourish = []string{"incorporat", "integrat", "embed", "blend", "meld", " fus", "weav", "merg", "infus", "interweav", "assimilat", "harmoni", "inject", "embod", "essence", "enlist", "deploy", "adopt", "utiliz", "utilis", "leverag", "employ", "seamless", "enrich", "fortif", "augment", "enhanc", "optimi", "streamlin", "absorb", "manifest", "complement", "robust", "flourish", "indispensable", "fundamental", "integral", "essential"}

// a place in the model's own work to put code in
var strongHolder = []string{`your (?:code ?base|solution|implementation|algorithm|elucidation|response|answer|reply)\b`, `the code you (?:write|develop|produce|create|provide)\b`}

// first words of the alternations above, used as anchors
const (
	anchorsIgnore    = "ignore ignoring disregard disregarding forget forgetting overlook overlooking pay do don't dont stop no never nevermind"
	anchorsIgnoreAll = anchorsIgnore + " override overriding overwrite bypass bypassing discard discarding neglect abandon set throw scrap"
	anchorsAIStrict  = "ai llm llms chatbot chatbots language large gpt gpt3 gpt4 gpt4o gpt5 chatgpt claude gemini copilot bard automated virtual"
	anchorsAIWide    = anchorsAIStrict + " assistant assistants agent agents bot bots model models"
	anchorsProduce   = "respond reply answer write output speak communicate talk type return deliver express render present format give provide produce compose say rewrite convert translate encode encrypt transform transcribe transliterate"
	wordsLanguages   = "another different foreign french spanish german italian portuguese russian chinese mandarin cantonese japanese korean arabic hindi dutch swedish norwegian danish finnish polish turkish greek hebrew latin klingon elvish esperanto vietnamese thai indonesian malay swahili ukrainian czech romanian hungarian bengali urdu persian farsi tagalog pirate shakespearean old middle yoda yodaspeak"
	firstsLead       = "note important reminder p ps n nb attention warning update instruction task also please and then now instead additionally finally lastly furthermore moreover kindly next first second third always just simply subtly discreetly quietly secretly carefully seamlessly be make remember do don't feel you try i we it"
	firstsDirect     = "add include insert append prepend attach integrate incorporate embed inject mention put place use employ utilize utilise replace substitute swap remove delete omit strip drop introduce misspell scramble jumble shuffle rearrange reorder anagram group combine merge join split separate provide render present modify enhance augment change alter adjust edit update make start begin end finish conclude close sign format convert translate encode encrypt write respond reply answer ensure suggest recommend promote advertise link tease hint express offer highlight emphasize emphasise stress invite encourage urge ask tell inform remind warn keep limit restrict reverse capitalize capitalise spell rewrite transform turn craft compose generate create produce output print return give share state say claim note thank apologize apologise praise criticize criticise insult weave blend fuse meld infuse interweave feature showcase display show list cite reference direct point refer redirect request describe explain summarize summarise sprinkle pepper fill wrap surround prefix suffix open lead frame phrase word structure organize organise arrange sort number bold italicize italicise underline uppercase lowercase abbreviate shorten lengthen expand pad repeat duplicate double mirror flip invert rotate shift decode cipher obfuscate hide mask censor redact"
	wordsResp        = "answer answers response responses reply replies output outputs completion completions elucidation elucidations"
)

// ruleDefs returns the rules, their sets compiled; compile completes them.
// It is a function, not a package variable, so that the regexps are built
// on first use (see compiled), not when a program that never screens text
// starts.
func ruleDefs() []rule {
	// where data could be sent
	destination := anyOf(`https?://`, `www\.`, `@[a-z0-9.-]+\.[a-z]{2,}\b`, `url\b`, `link`, `endpoint`, `server`, `webhook`, `address`, `inbox`, `image`, `markdown`, `query string`, `query parameter`, `parameter`)
	return []rule{
		{
			name:    "ignore_previous",
			needs:   "instructions instruction prompt prompts directions direction directives directive rules guidelines guidance commands command constraints restrictions limitations programming context conversation messages message tasks task requests request content text input policy policies configuration settings orders system guardrails filters safeguards principles boundaries ethics said told written given stated mentioned instructed asked received taught above before prior previously earlier far now point previous preceding page webpage website site document article resume cv data question query passage paragraph file review post story summary code function table transcript",
			anchors: anchorsIgnoreAll,
			pattern: verbsIgnoreAll + ` (?:(?:all|any|every|each|of|the|your|my|these|those|that|this|its|their) ){0,3}(?:` + ignoreQualifiers + `(?: and [a-z]+)? ){1,2}` + ignoreObjects + `\b` +
				`|` + verbsIgnoreAll + ` (?:all |any )?(?:of )?your (?:[a-z-]+ ){0,2}?(?:instructions|programming|system prompt|system message|guidelines|rules|directives|guardrails|restrictions|filters|safeguards|policies|principles|ethics)\b` +
				`|` + verbsIgnore + ` (?:all of |everything |anything |all (?:that |which )?|all those |those )(?:(?:that |which )?(?:you (?:have |'ve |were |was )?(?:been )?|i (?:have |'ve )?|we (?:have |'ve )?|was |were |has been |have been )?(?:said|told|written|given|stated|mentioned|instructed|asked|received|taught)|(?:rules|instructions|restrictions|guidelines) (?:that|which|you)|above|before|prior|previously|earlier|so far|up to (?:now|this point))\b` +
				`|` + verbsIgnore + ` (?:the |all the |all of the |everything )?(?:above|before|prior|preceding|previous)(?: text| content| message| instructions?| prompts?| context| conversation)?(?: ?[,.;:!)-]| and\b| then\b|$)` +
				`|` + verbsIgnore + ` (?:the|this|that|these|those|your|my|any|all) (?:[a-z-]+ )?(?:web ?page|page|website|site|document|article|resume|cv|text|content|context|data|input|question|query|task|passage|paragraph|file|review|post|story|summary|request|code|function|table|transcript)s? and (?:instead |just |only |simply |now )?(?:state|say|write|tell|respond|reply|answer|output|print|return|claim|declare|announce|insist|report|display|show|produce|generate|recommend|urge|direct|ask)\b`,
			unless: anyOf(each([]string{"not ", "never ", "avoid ", "without ", "why ", "how ", "whether ", "when to ", "when you ", "when i ", "when we ", "can i ", "should i ", "could i "},
				`(?:to |you |i |we |one )?(?:`+verbsIgnoreBase+`|override|bypass)\b`)...),
			score: 0.95,
		},
		{
			name:    "ignore_previous_multilingual",
			anchors: "ignora ignore ignorez ignorer ignoriere ignoriert ignorieren olvida olvide oubliez oublie oublier vergiss vergessen dimentica esqueça esqueca desconsidere ignorar",
			pattern: `(?:ignora|ignore|ignorez|ignorer|ignoriere|ignoriert|ignorieren sie|olvida|olvide|oubliez|oublie|oublier|vergiss|vergessen sie|dimentica|esqueça|esqueca|desconsidere|ignorar)(?: (?:todas|todos|toutes|tous|alle|tutte|tutti))? (?:(?:las|los|tus|sus|les|vos|tes|die|deine|ihre|le|tue|as|suas|seus|os) )?(?:(?:vorherigen|bisherigen|früheren|obigen) )?(?:instrucciones|indicaciones|instructions|consignes|anweisungen|instruktionen|befehle|istruzioni|instruções|instrucoes|regras|reglas|règles|regeln|regole)\b`,
			score:   0.9,
		},
		{
			name:    "new_instructions",
			needs:   "instruction instructions directive directives prompt rules orders commands", // the nouns of the pattern
			anchors: "new updated revised real actual true additional override overriding secret hidden admin administrator developer priority amended corrected modified changed latest replacement important urgent special critical",
			pattern: `(?:new|updated|revised|real|actual|true|additional|override|overriding|secret|hidden|admin|administrator|developer|priority|amended|corrected|modified|changed|latest|replacement|important|urgent|special|critical)(?: (?:new|updated|system|admin|ai|assistant|llm|model))? (?:instructions?|directives?|system prompt|prompt|rules|orders|commands)(?: (?:for|to) (?:the |all |any )?` + aiWide + `)? ?(?:[:\-!\])>]|$)`,
			unless:  anyOf(each([]string{"new ", "updated ", "revised "}, `(?:rules|orders|commands) (?:for|to) (?:the )?(?:game|team|office|building|site|store|shop|parking)`)...),
			score:   0.45,
			boost:   anyOf(`\b(?:new|updated|revised|real|actual|true|override|overriding|secret|hidden|system|admin|administrator|developer|amended|replacement)(?: (?:new|updated|system|admin|ai|assistant|llm|model))? (?:instructions?|directives?|system prompt|prompt)\b|\b` + aiStrict + `\b`),
			boostBy: 0.4,
		},
		{
			name:    "override_header",
			needs:   "override overrides", // every match holds one: tries the pattern only where it can match
			anchors: "system admin administrator developer security priority emergency master root sudo enforcement override",
			pattern: `(?:system|admin|administrator|developer|security|priority|emergency|master|root|sudo|enforcement) overrides?\b|override mode\b`,
			score:   0.8,
		},
		{
			name:    "task_reassign",
			anchors: "new real actual true updated only revised sole",
			prev:    re(`\b(?:your|the|my) $`),
			pattern: `(?:new|real|actual|true|updated|only|revised|sole) (?:task|instructions?|job|goal|objective|purpose|role|mission|assignment|directive|priority) (?:is|are|will be|now is|has changed|becomes|now)\b`,
			score:   0.8,
		},
		{
			name:    "fake_delimiter",
			anchors: "end beginning start",
			pattern: `(?:end|beginning|start) of (?:the )?(?:system |developer |user |original |previous |new )?(?:prompt|instructions|system message|context window)\b`,
			score:   0.75,
		},
		{
			name:    "you_must_now",
			needs:   "now immediately henceforth instead on onwards onward",
			anchors: "you from starting beginning henceforth now",
			pattern: `you (?:must|should|shall|will|are to|need to|have to|are going to|are required to|now must) (?:now|immediately|henceforth|instead)\b(?: (?:be|act|respond|reply|answer|behave|follow|obey|ignore|only|always|never|do|say|write|output|use|include|pretend|become|switch|start|stop|refuse|comply))` +
				`|from (?:now|this point|here|this moment) on(?:wards?)?,? (?:you|respond|reply|answer|always|only|never|speak|act|write|use|output|talk|behave|ignore|include|add|end|start|begin|refuse)\b` +
				`|(?:starting|beginning) (?:now|immediately|from now|from this (?:point|moment)),? (?:you|respond|reply|answer|always|only|never|ignore)\b` +
				`|henceforth,? (?:you|respond|reply|answer|always|only|never|all|every|your)\b` +
				`|now (?:you (?:must|are to|should|shall)|respond|reply|answer|act as|pretend|output)\b`,
			score: 0.8,
		},
		{
			name:    "address_ai", // a vocative: "Note to AI:", "Dear assistant,"
			needs:   anchorsAIWide,
			anchors: "attention note notice message memo instruction instructions important hey hi hello dear greetings psst reminder warning alert request directive p",
			pattern: `(?:attention|note|notice|message|memo|instructions?|important|hey|hi|hello|dear|greetings|psst|reminder|warning|alert|request|directive|p\.s\.)(?: to| for)?(?: (?:the|all|any|every|our|my|you))? ` + aiStrict + `(?: (?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|viewing|scanning|seeing|crawling|ingesting|handling|answering|who|that|which)\b| ?[:,!\-)]| ?\.$|$)`,
			score:   0.8,
		},
		{
			name:    "address_ai", // a vocative to a generic helper: "Dear assistant,"
			needs:   anchorsAIWide,
			anchors: "attention note notice message memo instruction instructions important hey hi hello dear greetings psst reminder warning alert request directive p",
			pattern: `(?:attention|note|notice|message|memo|instructions?|important|hey|hi|hello|dear|greetings|psst|reminder|warning|alert|request|directive|p\.s\.)(?: to| for)?(?: (?:the|all|any|every|our|my|you))? (?:assistants?|agents?|bots?|models?)(?: (?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|viewing|scanning|seeing|crawling|ingesting|handling|answering|who|that|which)\b| ?[:,!\-)]| ?\.$|$)`,
			score:   0.6,
		},
		{
			name:    "address_ai", // "... to the AI reading this", "for LLMs:"
			anchors: anchorsAIStrict,
			prev:    re(`\b(?:to|for) (?:the |all |any |every |our |my )?$`),
			pattern: aiStrict + `(?: (?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|viewing|scanning|seeing|crawling|ingesting|handling|answering|who|that|which)\b| ?[:,!\-)]| ?\.$|$)`,
			score:   0.8,
		},
		{
			name:    "address_ai", // "If you are an LLM, ..."
			needs:   anchorsAIWide,
			anchors: "if when while since because",
			pattern: `(?:if|when|while|since|because) (?:you are|you're) (?:an? |the )?` + aiWide + `\b(?: ?[,.!:;]| ?$| (?:reading|processing|parsing|summari[sz]ing|and|that|who|which|then|you|please)\b)`,
			score:   0.85,
		},
		{
			name:    "address_ai", // "Language models reading this page should ..."
			anchors: anchorsAIWide,
			pattern: aiWide + ` (?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|viewing|scanning|crawling|ingesting|seeing|handling) (?:this|these|the following|my|our)\b`,
			score:   0.85,
		},
		{
			name:    "address_ai", // "As an AI, you must ..."
			needs:   anchorsAIWide,
			anchors: "as",
			pattern: `as an? (?:ai|language model|llm|ai assistant|ai language model|assistant),? you (?:must|should|will|shall|are (?:required|instructed|obligated|expected))\b`,
			score:   0.8,
		},
		{
			name:    "format_encoding",
			needs:   "base base64 base32 base16 base85 b64 hex hexadecimal binary ascii unicode morse rot rot13 rot47 caesar cipher ciphertext atbash emoji emojis emoticons hieroglyphs caps capitals capital uppercase upper lowercase lower reverse reversed backwards mirror mirrored pig leet leetspeak 1337 l33t anagram anagrams riddle riddles rhyme rhymes code codeword codewords gibberish numbers number url urlencoded",
			anchors: anchorsProduce,
			prevNot: re(`(?:^|[,;:] )(?:to|how to|in order to|able to|ability to|how do i|how can i|can i|should i) $`),
			pattern: verbsProduce + produceFill + ` (?:in|using|with|as|into|to) (?:(?:a|an|the|only|pure|plain|all|nothing but|entirely|fully|just) )*` + formats + `(?:\b|$)` +
				`|` + verbsProduce + produceFill + ` (?:backwards|in reverse|reversed|letter by letter in reverse)\b`,
			score: 0.85,
		},
		{
			name:    "format_language",
			needs:   wordsLanguages,
			anchors: anchorsProduce,
			prevNot: re(`(?:^|[,;:] )(?:to|how to|in order to|able to|ability to|how do i|how can i|can i|should i) $`),
			pattern: verbsProduce + produceFill + ` (?:in|using|into|to) (?:(?:a|an|the|only|pure|plain|all|nothing but|entirely|fully|just) )*` + languages + `\b`,
			unless:  anyOf(`\b(?:if you (?:prefer|like|wish)|feel free|you may|you can|teach(?:es|ing)?|learn(?:s|ing)?|course|lessons?|class(?:es)?|able to|ability to|how to)\b`),
			score:   0.7,
			boost:   anyOf(`\b(?:your|the) (?:[a-z']+ )?` + resp + `\b|\b(?:only|exclusively|solely|entirely|from now on)\b`),
			boostBy: 0.15,
		},
		{
			name:    "transform_reply",
			needs:   wordsResp,
			anchors: "translate convert encode encrypt transform rewrite change switch turn reverse scramble shuffle jumble obfuscate transliterate spell misspell anagram capitalize capitalise uppercase lowercase abbreviate cipher",
			pattern: `(?:translate|convert|encode|encrypt|transform|rewrite|change|switch|turn|reverse|scramble|shuffle|jumble|obfuscate|transliterate|spell|misspell|anagram|capitali[sz]e|uppercase|lowercase|abbreviate|cipher)(?: [a-z']+){0,3}? (?:your|all your|all of your|each of your|every) (?:[a-z']+ )?` + resp + `\b`,
			score:   0.85,
		},
		{
			name:     "reply_directive", // "Add ... to your response"
			bol:      true,
			anchors:  firstsLead + " " + firstsDirect,
			triggers: wordsResp,
			pattern:  bol + directLead + verbsDirect + `\b`,
			requires: []set{anyOf(`your (?:[a-z']+ )?` + resp + `\b`)},
			unless: anyOf(append(each([]string{"thank", "appreciat", "look forward", "looking forward", "await", "receiv", "we have got", "we've got", "got "}, `[^.]*your (?:[a-z']+ )?`+resp),
				`your (?:[a-z-]+ )?(?:order|account|invoice|reference|ticket|case|booking|confirmation|tracking|customer|member|membership|policy|phone|contact|claim|application|student|employee|passport|registration) (?:number|id|no|code|#)`,
				`your (?:full |legal )?name\b`, `your (?:e-?mail|postal|mailing|home|billing|shipping) address`, `your availability`, `your signature`, `your date of birth`,
				`if you (?:prefer|like|wish|want)`, `feel free`, `you may `, `you can `)...),
			score:   0.8,
			boost:   anyOf(each([]string{"subtly", "discreetly", "secretly", "quietly", "casually", "naturally", "seamlessly"}, ``)...),
			boostBy: 0.1,
		},
		{
			name:     "reply_directive", // "In your answer, ..."
			bol:      true,
			anchors:  "in within throughout for with at before after when",
			triggers: wordsResp,
			pattern:  bol + `(?:in|within|throughout|for|with|at the (?:end|start|beginning|top|bottom) of|before|after|when (?:writing|giving|composing|providing|crafting|generating)) (?:each of |all of |every one of |all )?your (?:[a-z']+ )?` + resp + `\b`,
			score:    0.8,
		},
		{
			name:    "reply_directive", // "Your response must include ..."
			anchors: wordsResp,
			prev:    re(`\byour (?:[a-z']+ )?$`),
			pattern: resp + `s? (?:must|should|shall|has to|have to|needs? to|is to|are to|ought to) (?:always |only |now |also |all )?(?:be written|contain|include|start|begin|end|consist|use|mention|feature|incorporate|say|appear|read|be in|be encoded|be translated|be formatted)\b`,
			score:   0.8,
		},
		{
			name:     "reply_directive_weak",
			bol:      true,
			anchors:  firstsLead + " " + firstsDirect,
			triggers: "message messages summary summaries translation translations explanation explanations",
			pattern:  bol + directLead + verbsDirect + `\b`,
			requires: []set{anyOf(`your (?:[a-z']+ )?(?:messages?|summar(?:y|ies)|translations?|explanations?)\b`)},
			unless:   anyOf(each([]string{"thank", "appreciat", "look forward", "looking forward", "await", "receiv", "we have got", "we've got", "got "}, `[^.]*your`)...),
			score:    0.6,
		},
		{
			name:     "code_insertion",
			needs:    "code snippet script function line lines excerpt",
			anchors:  "following below subsequent above this these next attached given provided",
			pattern:  `(?:following|below|subsequent|above|this|these|next|attached|given|provided)(?: [a-z-]+){0,2}? ` + codeNouns + `(?: (?:block|snippet|excerpt|section|segment|fragment|lines?|piece|sample|chunk))?\b`,
			requires: []set{anyOf(`your (?:[a-z']+ )?`+codeHolders+`\b`, `the code you (?:write|develop|produce|create|provide)\b`, `in it\b`, `into it\b`, `to it\b`)},
			score:    0.45,
			boost:    anyOf(append(each(flourish, ``), strongHolder...)...),
			boostBy:  0.4,
		},
		{
			name:     "code_insertion_imperative",
			bol:      true,
			anchors:  firstsLead + " optimally seamlessly harmoniously carefully smoothly incorporate incorporating integrate integrating embed embedding blend blending meld melding fuse fusing weave weaving merge merging infuse infusing interweave interweaving assimilate assimilating harmonize harmonise harmonizing harmonising utilize utilise utilizing utilising leverage leveraging employ employing inject injecting enlist enlisting deploy deploying adopt adopting absorb absorbing",
			triggers: "following below subsequent",
			pattern:  bol + directLead + `(?:(?:optimally|seamlessly|harmoniously|carefully|smoothly) )?(?:incorporat|integrat|embed|blend|meld|fus|weav|merg|infus|interweav|assimilat|harmoni[sz]|utili[sz]|leverag|employ|inject|enlist|deploy|adopt|absorb)[a-z]* (?:(?:optimally|seamlessly|harmoniously|carefully|smoothly) )?the (?:following|below|subsequent) ` + codeNouns + `\b`,
			score:    0.6,
		},
		{
			name:    "exfil_conversation",
			needs:   "conversation conversations chat dialog dialogue transcript user user's users users' system initial api memory context previous personal",
			anchors: "send forward email e mail post upload transmit leak exfiltrate share submit relay copy append include encode embed attach put insert",
			pattern: `(?:send|forward|e-?mail|mail|post|upload|transmit|leak|exfiltrate|share|submit|relay|copy|append|include|encode|embed|attach|put|insert)\b`,
			requires: []set{
				anyOf(append(each([]string{"conversation", "chat history", "chat log", "chat transcript", "dialog", "transcript", "previous messages", "personal data", "personal information", "personal details", "system prompt", "system message", "initial prompt", "api key", "context window"}, ``),
					`user'?s? (?:[a-z]+ )?(?:data|information|info|details|messages?|emails?|e-mail address|address|name|passwords?|credentials|history|files?|documents?|contacts|location|phone(?: number)?|queries|questions?|input|prompts?|credit card|ssn|account)\b`)...),
				destination,
			},
			score: 0.85,
		},
		{
			name:    "exfil_secret",
			needs:   "api key keys token tokens session private ssh credentials cookies secret secrets",
			anchors: "send forward email e mail post upload transmit leak exfiltrate share submit relay",
			pattern: `(?:send|forward|e-?mail|mail|post|upload|transmit|leak|exfiltrate|share|submit|relay)\b`,
			requires: []set{
				anyOf(`api[ _-]?keys?\b`, `access tokens?\b`, `session (?:tokens?|cookies?|ids?)\b`, `private keys?\b`, `ssh keys?\b`, `credentials\b`, `cookies\b`, `secrets?\b`),
				anyOf(`https?://`, `www\.`, `@[a-z0-9.-]+\.[a-z]{2,}\b`, `endpoint`, `server`, `webhook`),
			},
			score: 0.6,
		},
		{
			name:    "prompt_leak",
			needs:   "prompt preprompt pre instructions rules guidelines programming configuration",
			anchors: "reveal print repeat output show display tell recite echo dump leak disclose spell write list summarize summarise give share send copy paste include state",
			pattern: `(?:reveal|print|repeat|output|show|display|tell|recite|echo|dump|leak|disclose|spell out|write out|list|summari[sz]e|give|share|send|copy|paste|include|state)(?: (?:me|us|back|out|verbatim|word for word|exactly|everything in|all of|all|in full))* (?:your|the)(?: (?:full|entire|complete|original|initial|hidden|secret|exact|current|whole|above|preceding|previous|first))* (?:system (?:prompt|message|instructions?)|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|developer (?:prompt|message|instructions)|pre-?prompt|instructions you (?:were|have been) given|prompt (?:above|you were given)|(?:rules|instructions|guidelines) you (?:were|have been|are) (?:given|told|following))\b` +
				`|(?:reveal|print|repeat|output|show|display|recite|dump|leak|disclose)(?: (?:me|us|back|out|verbatim))* your (?:instructions|prompt|rules|guidelines|programming|configuration)\b`,
			score: 0.8,
		},
		{
			name:    "exfil_url",
			anchors: "http https www",
			pattern: `(?:https?://|www\.)[^ )\]"']*(?:\{[a-z_ .-]{1,40}\}|\$\{[^} ]{1,40}\}|\[(?:data|conversation|chat|history|user[a-z_ ]*|secret|password|email|name|summary|answer|response|query|input)\]|<(?:data|conversation|secret|user[a-z_]*|summary|answer)>)`,
			score:   0.8,
		},
		{
			name:    "conceal_from_user",
			anchors: "do don't dont never without avoid refrain must should shouldn't mustn't keep hide",
			needs:   "user users human humans person persons people reader readers customer customers recipient recipients operator operators owner owners requester requesters instructed told asked following instructions prompt",
			pattern: `(?:do not|don't|dont|never|without|avoid|refrain from|must not|should not|shouldn't|mustn't)(?: (?:ever|at all|in any way))? (?:tell(?:ing)?|inform(?:ing)?|mention(?:ing)?|reveal(?:ing)?|notify(?:ing)?|alert(?:ing)?|let(?:ting)?|show(?:ing)?|disclos(?:e|ing)|warn(?:ing)?|explain(?:ing)?|acknowledg(?:e|ing)|indicat(?:e|ing)|report(?:ing)?|admit(?:ting)?|confirm(?:ing)?)(?: (?:this|that|it|these|anything|about this|about it|any of this))?(?: (?:to|with))? (?:the |your |any |this )?(?:user|human)s?\b` +
				`|(?:keep|hide) (?:this|it|these|that)(?: [a-z]+){0,3}? from (?:the )?(?:user|human)s?\b` +
				`|(?:do not|don't|never) (?:mention|reveal|disclose|acknowledge|say|admit|indicate) (?:that )?(?:you|these|this|the) (?:(?:were|have been|are|was) )?(?:instructed|told|asked|following|instructions|prompt)\b`,
			score: 0.9,
		},
		{
			name:    "conceal_from_user", // from a person the reader serves: weaker, businesses say so
			needs:   "person persons reader readers customer customers recipient recipients operator operators owner owners requester requesters",
			anchors: "do don't dont never without avoid refrain must should shouldn't mustn't keep hide",
			pattern: `(?:do not|don't|dont|never|without|avoid|refrain from|must not|should not|shouldn't|mustn't)(?: (?:ever|at all|in any way))? (?:tell(?:ing)?|inform(?:ing)?|mention(?:ing)?|reveal(?:ing)?|notify(?:ing)?|alert(?:ing)?|let(?:ting)?|show(?:ing)?|disclos(?:e|ing)|warn(?:ing)?)(?: (?:this|that|it|these|anything|about this|about it|any of this))?(?: (?:to|with))? (?:the |your |any |this )?(?:person|reader|customer|recipient|operator|owner|requester)s?\b` +
				`|(?:keep|hide) (?:this|it|these|that)(?: [a-z]+){0,3}? from (?:the )?(?:reader|customer|recipient)s?\b`,
			score: 0.45,
		},
		{
			name:    "conceal_from_user", // "The user must not know ..."
			anchors: "user users human humans reader readers",
			prev:    re(`\bthe $`),
			pattern: `(?:user|human|reader)s? (?:must|should|shall|will|need) (?:not|never) (?:know|see|find out|learn|notice|be (?:told|informed|aware))\b`,
			score:   0.9,
		},
		{
			name:    "persona_switch",
			needs:   "now longer henceforth mode anything unrestricted unfiltered uncensored jailbroken evil malicious rogue amoral unethical different new",
			anchors: "you enable enabled enter entering activate activated activating switch switching now turn engage engaging initiate initiating do pretend imagine act behave roleplay role",
			pattern: `you are (?:now|no longer|henceforth|from now on) (?:an? |in |the )?(?:[a-z-]+ ){0,3}?(?:ai|assistant|bot|chatbot|model|mode|character|persona|role|entity|version|dan|jailbroken|unrestricted|unfiltered|uncensored|evil|different|rogue|bound|restricted|limited|obligated)\b` +
				`|(?:enable|enabled|enter|entering|activate|activated|activating|switch to|switching to|you are in|now in|turn on|engage|engaging|initiate|initiating)(?: the| a| an)? (?:[a-z'-]+ ){0,2}?(?:dan|god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|opposite|chaos|sudo|superuser) mode\b` +
				`|do anything now\b` +
				`|(?:pretend|imagine|act|behave|roleplay|role-play)(?: as if)?(?: that)? (?:you are|you're|to be|as|like) (?:an? )?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|malicious|rogue|amoral|unethical|different ai|new ai)\b`,
			score: 0.8,
		},
		{
			name:     "directive",
			bol:      true,
			anchors:  "please also now and you always never do don't make be remember ensure",
			triggers: "you always never do don't make be remember ensure",
			pattern:  bol + `(?:please |also |now |and )?(?:you (?:must|should|need to|have to|are required to|are to|shall)|always|never|do not|don't|make sure (?:to|you)|be sure to|remember to|ensure (?:that )?you)\b`,
			score:    0.35,
		},
		{
			name:      "stray_task",
			bol:       true,
			lineStart: true,
			triggers:  "write compose draft generate create produce summarize summarise translate explain describe list provide tell give suggest recommend analyze analyse classify rate evaluate calculate compute predict research outline brainstorm develop design plan craft rewrite paraphrase identify determine compare discuss define show help break elaborate detail recount narrate propose assess estimate forecast conduct perform prepare interpret convert count extract investigate",
			anchors:   "please now also then next first finally additionally kindly write compose draft generate create produce summarize summarise translate explain describe list provide tell give suggest recommend analyze analyse classify rate evaluate calculate compute predict research outline brainstorm develop design plan craft rewrite paraphrase identify determine compare discuss define show help break elaborate detail recount narrate propose assess estimate forecast conduct perform prepare interpret convert count extract investigate",
			pattern:   bol + `(?:please |now |also |then |next |first |finally |additionally |kindly )*(?:write|compose|draft|generate|create|produce|summari[sz]e|translate|explain|describe|list|provide|tell me|tell us|give me|give us|suggest|recommend|analy[sz]e|classify|rate|evaluate|calculate|compute|predict|research|outline|brainstorm|develop|design|plan|craft|rewrite|paraphrase|identify|determine|compare|discuss|define|show me|help me|break down|elaborate|detail|recount|narrate|propose|assess|estimate|forecast|conduct|perform|prepare|interpret|convert|count|extract|investigate)\b(?: [^ ]+){2,}`,
			score:     0.3,
		},
		{
			name:      "stray_question",
			bol:       true,
			lineStart: true,
			endsWith:  '?',
			triggers:  "what who whom whose how why when where which can could would will do did are is should what's who's how's",
			anchors:   "what who whom whose how why when where which can could would will do did are is should what's who's how's",
			pattern:   bol + `(?:what|who|whom|whose|how|why|when|where|which|can you|could you|would you|will you|do you|did you|are you|is there|are there|is it|should i|can i|what's|who's|how's)\b[^?]{3,}\?$`,
			score:     0.25,
		},
		{
			name:    "mentions_ai",
			anchors: anchorsAIStrict,
			pattern: aiStrict + `\b`,
			score:   0.2,
		},
	}
}

// ruleSet is the rules ready for use, with the word index over them.
type ruleSet struct {
	rules []rule
	// index maps a folded word to the rules it anchors and the sentence
	// rules it triggers.
	// Folded text has no ASCII capitals, which Lower needs.
	index *wordtab.Lower[wordRules]
	// firsts maps a word to the sentence rules that list it as an anchor
	// (the rule's first set), for the first word of a sentence.
	firsts *wordtab.Lower[uint64]
	// noNeeds is the set of rules without needs; lineStartRules those that
	// only match a sentence that begins a line; endsWithRules those with
	// endsWith.
	noNeeds, lineStartRules, endsWithRules uint64
	// maxScore is each rule's highest score, boosted.
	maxScore [64]float64
}

type wordRules struct{ anchor, sentence, needs uint64 }

// compiled returns the rule set, built on first use: its regexps and index
// cost about 7 ms and 5 MB, which every modelspec command paid at start
// when they were built at init. Detect fetches it once per call.
var compiled = sync.OnceValue(func() *ruleSet { return compile(ruleDefs()) })

// compile completes rules (anchored patterns, sentence-rule anchor sets)
// and indexes them by word.
func compile(rules []rule) *ruleSet {
	if len(rules) > 64 {
		panic("injection: more than 64 rules")
	}
	rs := &ruleSet{rules: rules}
	m := make(map[string]wordRules)
	firsts := make(map[string]uint64)
	for i := range rules {
		r := &rules[i]
		r.re = re(`^(?:` + r.pattern + `)`)
		tree := parse(r.pattern)
		r.prefix = newPrefixFilter(tree)
		r.holds = newByteFilter(tree)
		r.maxLen = maxMatchLen(tree)
		if r.prev != nil {
			r.prevSuffix = newSuffixFilter(parse(r.prev.String()))
		}
		for _, w := range strings.Fields(r.needs) {
			e := m[w]
			e.needs |= 1 << i
			m[w] = e
		}
		if r.needs == "" {
			rs.noNeeds |= 1 << i
		}
		if r.lineStart {
			rs.lineStartRules |= 1 << i
		}
		rs.maxScore[i] = min(r.score, 0.99)
		if len(r.boost) > 0 {
			rs.maxScore[i] = min(r.score+r.boostBy, 0.99)
		}
		if r.bol {
			for _, w := range strings.Fields(r.anchors) {
				firsts[w] |= 1 << i
			}
			if r.endsWith != 0 {
				rs.endsWithRules |= 1 << i
			}
			for _, w := range strings.Fields(r.triggers) {
				e := m[w]
				e.sentence |= 1 << i
				m[w] = e
			}
			continue
		}
		for _, w := range strings.Fields(r.anchors) {
			e := m[w]
			e.anchor |= 1 << i
			m[w] = e
		}
	}
	rs.index = wordtab.NewLower(m)
	rs.firsts = wordtab.NewLower(firsts)
	return rs
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(s) }
