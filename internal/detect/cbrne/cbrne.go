// Package cbrne finds requests for the means of mass harm by name: a
// chemical or biological weapon agent, a radiological or nuclear weapon or
// its material, or a named high explosive, asked for with the words of
// making, getting or using it ("How do I make sarin at home?", "Give me a
// recipe for ricin", "how to weaponize smallpox").
//
// The content classifier (internal/detect/classify) is a bag of words
// trained on long harmful requests; a short question that names an agent
// carries too few words for it, and it lets most of them through (see
// docs/quality.md). The rule here needs three things in one sentence: a
// named agent, a word of making, getting or using (make, synthesize,
// culture, weaponize, buy, detonate, recipe, precursors, ...), and the
// shape of a request for instructions ("how do I", "how to", "step by
// step", "give me", "instructions", ...) or of hiding it ("at home",
// "without being traced"). Education keeps none of them together: "What is
// sarin?", "How does anthrax spread?", "Why did Aum Shinrikyo use sarin?",
// "How was the atomic bomb built?" pass, as the spec wants (it names
// history and mechanisms as fine). A sentence that refuses ("I can't help
// you make sarin") is not a request, so that screening an answer does not
// block a refusal.
//
// The lists are written from public schedules (the Chemical Weapons
// Convention's Schedule 1, the US select agents and toxins list, the
// nuclear materials of the IAEA's definitions, common military and
// improvised high explosives), not from any data set. The scan reads each
// word once and looks it up in one table: linear in the text.
//
// Like every detector it must never import net/http or database/sql and does
// no I/O at detection time.
package cbrne

import (
	"math/bits"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/internal/swar"
	"github.com/modelspec/modelspec/internal/detect/internal/wordtab"
)

// Identity of the detector's findings.
const (
	ID       = "detect.cbrne"
	Clause   = "no_information_hazards"
	Category = "hazard"
)

// Detector finds requests for agents of mass harm. It is safe for
// concurrent use; the zero value is ready.
type Detector struct{}

var _ detect.Detector = (*Detector)(nil)

// New returns the detector.
func New() *Detector { return &Detector{} }

// ID returns "detect.cbrne".
func (*Detector) ID() string { return ID }

// Kinds returns the one kind of finding it reports.
func (*Detector) Kinds() []detect.Kind { return []detect.Kind{{Category: Category, Clause: Clause}} }

// Scores of a finding: the agents of the weapons conventions, and named
// explosives, which are also the stuff of mining and demolition.
const (
	scoreAgent     = 0.9
	scoreExplosive = 0.8
)

// What a word (or a pair of words, see pairs) is, as bits.
const (
	fChemical   = 1 << iota // a chemical weapon agent or toxin
	fBiological             // a biological weapon agent
	fNuclear                // a nuclear or radiological weapon or material
	fExplosive              // a named high explosive or explosive device
	fAct                    // making, getting or using
	fAsk                    // the shape of a request for instructions
	fHide                   // hiding it ("untraceable", "undetected")
	fRefuse                 // a refusal, or staying safe ("cannot", "prevent")
	fHow                    // "how": a request with to/do/can/... after it
	fHowNext                // the word after "how" in "how to", "how do"
	fPairHead               // the first word of a pair in pairs
	fAgentHead              // the first word of a pair naming an agent

	fAgent = fChemical | fBiological | fNuclear | fExplosive
)

func words(f uint16, ws ...string) map[string]uint16 {
	m := make(map[string]uint16, len(ws))
	for _, w := range ws {
		m[w] = f
	}
	return m
}

// lexicon is every single word with a meaning here, and pairs every pair
// of words (joined by one space) that has one, for words that mean
// nothing alone ("nerve agent", "dirty bomb").
var lexicon, pairs = func() (*wordtab.Table[uint16], *wordtab.Table[uint16]) {
	single := map[string]uint16{}
	add := func(m map[string]uint16) {
		for w, f := range m {
			single[w] |= f
		}
	}
	add(words(fChemical, "sarin", "soman", "tabun", "cyclosarin", "novichok", "novichoks", "lewisite",
		"phosgene", "ricin", "abrin", "saxitoxin", "tetrodotoxin", "botulinum", "botulism", "vx",
		"dimethylmercury", "yperite"))
	add(words(fBiological, "anthrax", "smallpox", "variola", "ebola", "marburg", "tularemia", "bioweapon",
		"bioweapons", "glanders", "melioidosis", "rinderpest", "cholera", "nipah", "h5n1"))
	add(words(fNuclear, "plutonium", "polonium", "polonium-210", "uranium-235", "u-235", "pu-239"))
	add(words(fExplosive, "tatp", "hmtd", "petn", "rdx", "hmx", "semtex", "c-4", "anfo", "triacetone"))
	add(words(fAct, "make", "makes", "making", "produce", "produces", "producing", "produced", "production",
		"manufacture", "manufactures", "manufacturing", "manufactured", "synthesize", "synthesise", "synthesizes",
		"synthesizing", "synthesising", "synthesized", "synthesised", "synthesis", "cook", "cooking", "brew",
		"brewing", "culture", "culturing", "cultivate", "cultivating", "grow", "growing", "weaponize",
		"weaponise", "weaponizing", "weaponising", "weaponized", "weaponised", "aerosolize", "aerosolise",
		"aerosolizing", "aerosolising", "disperse", "dispersing", "spread", "spreading",
		"deploy", "deploying", "detonate", "detonating", "build", "building", "built", "assemble", "assembling",
		"construct", "constructing", "create", "creating", "obtain", "obtaining", "acquire", "acquiring",
		"buy", "buying", "purchase", "purchasing", "extract", "extracting", "isolate", "isolating",
		"refine", "refining", "enrich", "enriching", "enriched", "enrichment", "prepare", "preparing",
		"recipe", "recipes", "precursor", "precursors", "ingredients", "formula", "stabilize",
		"stabilise", "smuggle", "smuggling", "infect", "poison"))
	add(words(fAsk, "instructions", "instruction", "guide", "tutorial", "recipe", "recipes", "step-by-step",
		"procedure", "procedures", "blueprint", "blueprints", "walkthrough"))
	add(words(fHide, "undetected", "untraceable", "untraced", "unnoticed", "garage", "basement",
		"kitchen", "backyard", "homemade", "diy"))
	// A sentence that refuses, or asks how to stay safe from an agent, is
	// no request for it: "I can't help you make sarin", "how do I stop the
	// spread of anthrax".
	add(words(fRefuse, "cannot", "can't", "won't", "sorry", "unable", "refuse", "decline",
		"prevent", "preventing", "protect", "protecting", "protection", "stop", "stopping", "treat", "treating",
		"treatment", "survive", "surviving", "avoid", "avoiding", "defend", "defense", "defence", "respond",
		"responding", "decontaminate", "decontamination", "cure", "vaccine", "vaccines", "vaccinate",
		"symptoms", "rid", "dispose", "disposal", "destroy", "destroying", "destruction", "ban", "banned",
		"vaccinated", "vaccination", "cosmetic", "injections"))
	add(words(fHow, "how"))
	pair := map[string]uint16{}
	addPairs := func(f uint16, ps ...string) {
		head := uint16(fPairHead)
		if f&fAgent != 0 {
			head |= fAgentHead
		}
		for _, p := range ps {
			pair[p] |= f
			for i := 0; i < len(p); i++ {
				if p[i] == ' ' {
					single[p[:i]] |= head
					break
				}
			}
		}
	}
	addPairs(fChemical, "nerve agent", "nerve agents", "nerve gas", "mustard gas", "sulfur mustard",
		"sulphur mustard", "nitrogen mustard", "chlorine gas", "hydrogen cyanide", "cyanide gas",
		"chemical weapon", "chemical weapons", "chemical warfare", "toxic gas", "poison gas")
	addPairs(fBiological, "biological weapon", "biological weapons", "biological warfare", "bacillus anthracis",
		"yersinia pestis", "bubonic plague", "pneumonic plague", "francisella tularensis",
		"clostridium botulinum", "gain-of-function research")
	addPairs(fNuclear, "nuclear weapon", "nuclear weapons", "nuclear bomb", "nuclear bombs", "atomic bomb",
		"atomic bombs", "nuclear device", "dirty bomb", "dirty bombs", "radiological weapon",
		"radiological dispersal", "enriched uranium", "weapons-grade uranium", "weapons-grade plutonium",
		"fissile material", "uranium enrichment", "hydrogen bomb")
	addPairs(fExplosive, "pipe bomb", "pipe bombs", "nail bomb", "car bomb", "suicide vest", "pressure-cooker bomb",
		"improvised explosive", "plastic explosive", "plastic explosives")
	addPairs(fAsk, "step by", "give me", "tell me", "show me", "teach me", "walk me", "help me", "list the",
		"where can", "can i", "could i", "should i", "do i")
	addPairs(fHide, "without detection", "without being", "without getting", "without anyone", "at home")
	// Words that follow "how" in a request for a procedure; "how does
	// anthrax spread" and "how was it built" ask about the world.
	for _, w := range []string{"to", "do", "can", "could", "would", "should", "might", "i", "we", "one"} {
		single[w] |= fHowNext
	}
	for w, f := range single {
		if f&(fAgent|fAgentHead) == 0 {
			continue
		}
		next := []byte{0}
		if len(w) == 2 {
			for c := 1; c < 256; c++ {
				if !wordByte(byte(c)) && c != '-' && c != '\'' {
					next = append(next, byte(c))
				}
			}
		}
		for _, c := range next {
			k := startKey(pad8(w, 0) | uint64(c)<<16)
			agentStarts[k>>6] |= 1 << (k & 63)
		}
	}
	return wordtab.New(single), wordtab.New(pair)
}()

// agentStarts has bit startKey(w) set for every word w that names an agent
// or opens a pair that does: most words of a text fail it, and a text none
// of whose words pass cannot hold a request (mayHold).
var agentStarts [1 << 16 / 64]uint64

// startKey hashes the first three bytes of x, a word's from its start,
// first lowest, into agentStarts; setting bit 5 lowers a letter and leaves
// a digit, '-' or '\” as it is. Three letters tell more words apart than
// two ("can" from "car"); a word of two is entered once for every byte
// that can follow it (see agentStarts).
func startKey(x uint64) uint32 { return ((uint32(x) | 0x202020) & 0xFFFFFF * 0x9E3779B1) >> 16 }

// pad8 returns the bytes of s from p, first lowest, zero past its end.
func pad8(s string, p int) uint64 {
	var x uint64
	for i := p; i < min(len(s), p+8); i++ {
		x |= uint64(s[i]) << (8 * (i - p))
	}
	return x
}

// endsSentence reports whether the byte at i ends a sentence: a line
// break or ';', or '.', '!' or '?' before a space or the end ("3.5 grams"
// and "U.S." go on). A request and the sentence after it are judged
// apart ("How is sarin made? Just curious." has no request).
func endsSentence(text string, i int) bool {
	switch text[i] {
	case '\n', ';':
		return true
	case '.', '!', '?':
		return i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n' || text[i+1] == '\r' || text[i+1] == '\t'
	}
	return false
}

// wordByte reports the bytes words are made of: ASCII letters and digits
// (wordEnd also takes '-' and '\” inside a word: "c-4", "can't"). Other
// bytes, non-ASCII included, separate words: the lists are ASCII.
func wordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// Detect returns one finding per sentence that asks for an agent of mass
// harm, spanning the sentence.
func (*Detector) Detect(text string) []detect.Finding {
	if !mayHold(text) {
		return nil
	}
	return judge(text)
}

// mayHold reports whether text names an agent, so that the text can hold
// a request for one: most texts name none. It reads eight bytes at a time
// for the starts of words and looks up only the words whose first three
// bytes pass agentStarts.
func mayHold(text string) bool {
	var carry uint64 // the high bit of lane 0 set when the byte before the block is a word byte
	i := 0
	for ; i+8 <= len(text); i += 8 {
		x := swar.Load64(text, i)
		w := swar.Range8(x|0x2020202020202020, 'a', 'z') | swar.Range8(x, '0', '9')
		for st := w &^ (w<<8 | carry); st != 0; st &= st - 1 {
			p := i + bits.TrailingZeros64(st)>>3
			var y uint64
			if p+8 <= len(text) {
				y = swar.Load64(text, p)
			} else {
				y = pad8(text, p)
			}
			if k := startKey(y); agentStarts[k>>6]&(1<<(k&63)) != 0 && agentAt(text, p) {
				return true
			}
		}
		carry = w >> 56
	}
	for ; i < len(text); i++ {
		if !wordByte(text[i]) || i > 0 && wordByte(text[i-1]) {
			continue
		}
		if k := startKey(pad8(text, i)); agentStarts[k>>6]&(1<<(k&63)) != 0 && agentAt(text, i) {
			return true
		}
	}
	return false
}

// agentAt reports whether the word that starts at p names an agent, alone
// or with the word after it.
func agentAt(text string, p int) bool {
	e := wordEnd(text, p)
	f, _ := lexicon.Get(text[p:e])
	if f&fAgent != 0 {
		return true
	}
	if f&fAgentHead == 0 || e+1 >= len(text) || text[e] != ' ' || !wordByte(text[e+1]) {
		return false
	}
	pf, _ := pairs.Get(text[p:wordEnd(text, e+1)])
	return pf&fAgent != 0
}

// wordEnd returns the end of the word that starts at i.
func wordEnd(text string, i int) int {
	for i < len(text) && (wordByte(text[i]) || (text[i] == '-' || text[i] == '\'') && i+1 < len(text) && wordByte(text[i+1])) {
		i++
	}
	return i
}

// judge judges every sentence of text.
func judge(text string) []detect.Finding {
	var out []detect.Finding
	var s sentence
	s.start = -1
	prevHow := false          // the last word was "how"
	prevEnd, prevWord := 0, 0 // the last word's start and end
	lastHead := false
	for i := 0; i < len(text); {
		c := text[i]
		if !wordByte(c) {
			if endsSentence(text, i) {
				out = s.finish(text, i, out)
				prevHow, lastHead = false, false
			}
			i++
			continue
		}
		start := i
		i = wordEnd(text, i)
		w := text[start:i]
		f, _ := lexicon.Get(w)
		if s.start < 0 {
			s.start = start
		}
		s.end = i
		if prevHow && f&fHowNext != 0 {
			s.flags |= fAsk
		}
		// A pair: this word and the one before it, one space apart.
		if lastHead && prevEnd+1 == start && text[prevEnd] == ' ' {
			if pf, ok := pairs.Get(text[prevWord:i]); ok {
				s.flags |= pf
			}
		}
		s.flags |= f &^ (fHow | fHowNext | fPairHead | fAgentHead)
		prevHow, lastHead = f&fHow != 0, f&fPairHead != 0
		prevWord, prevEnd = start, i
	}
	return s.finish(text, len(text), out)
}

// sentence is the sentence being read: its span and what its words are.
type sentence struct {
	start, end int
	flags      uint16
}

// finish judges the sentence ending at cut and starts the next.
func (s *sentence) finish(text string, cut int, out []detect.Finding) []detect.Finding {
	f := s.flags
	if s.start >= 0 && f&fAgent != 0 && f&fAct != 0 && f&(fAsk|fHide) != 0 && f&fRefuse == 0 {
		score, ev := scoreAgent, "request:"
		switch {
		case f&fChemical != 0:
			ev += "chemical"
		case f&fBiological != 0:
			ev += "biological"
		case f&fNuclear != 0:
			ev += "nuclear"
		default:
			score, ev = scoreExplosive, ev+"explosive"
		}
		end := s.end
		if cut < len(text) && cut == end && text[cut] != '\n' {
			end++ // the '?' or '.' that ends it
		}
		out = append(out, detect.Finding{Detector: ID, Clause: Clause, Category: Category,
			Score: score, Start: s.start, End: end, Evidence: ev})
	}
	*s = sentence{start: -1}
	return out
}
