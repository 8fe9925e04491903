package train

import (
	"regexp"
	"strings"
	"sync"

	"github.com/modelspec/modelspec/internal/detect/classify"
)

// Labels.
//
// The harmful-request sets label a row as harmful, with at best a coarse
// category of their own (HarmBench's semantic category, StrongREJECT's
// category, AART's crime concept). A row's labels are derived in two steps,
// both written down here so that anyone can check or change them:
//
//  1. the set's own category maps to the classifier's categories (maps
//     below); a category the set says nothing about is unknown, not negative;
//  2. keyword rules (keywordLabels) add categories the text plainly names:
//     "suicide" adds self_harm to a HarmBench "illegal" row, "racist" adds
//     hate to a "harassment_bullying" row. Rows of sets without categories
//     (AdvBench, XSTest's unsafe contrast prompts) get their categories from
//     the keyword rules alone, and every other category stays unknown.
//
// A category is known-negative for a harmful row only when the set's own
// category rules it out; closely related categories (hazard and violence,
// hate and harassment) stay unknown. Rows of the benign sets are negative
// for every category.

// Category bits, in classify.Categories order.
const (
	bHazard = 1 << iota
	bSexual
	bSexualMinors
	bHate
	bHarassment
	bViolence
	bSelfHarm
	bAll = 1<<iota - 1
)

func init() {
	// The bits above follow the built-in category order.
	for i, c := range []string{classify.Hazard, classify.Sexual, classify.SexualMinors, classify.Hate, classify.Harassment, classify.Violence, classify.SelfHarm} {
		if classify.Categories[i] != c {
			panic("train: category order changed: " + c)
		}
	}
}

// related are the categories left unknown (not negative) next to a
// positive one, because the sets do not separate them reliably.
var related = map[uint16]uint16{
	bHazard:       bViolence,
	bViolence:     bHazard | bHarassment,
	bHate:         bHarassment | bViolence,
	bHarassment:   bHate | bViolence,
	bSexual:       bHarassment | bViolence,
	bSexualMinors: bHazard,
	bSelfHarm:     bViolence,
}

// known returns the categories whose label is known for a harmful row with
// the positive categories pos: all of them except those related to a
// positive one.
func known(pos uint16) uint16 {
	k := uint16(bAll)
	for b, r := range related {
		if pos&b != 0 {
			k &^= r &^ pos
		}
	}
	return k
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(`\b(?:` + s + `)\b`) }

// keywordRules are the keyword labels' patterns, matched on lower-cased
// text.
type keywordRules struct {
	hazard, violence, selfHarm, sexual, notSexual, minor, csam, hateStrong, identity, harassment *regexp.Regexp
}

// keywords compiles the rules on first use: compiled at init they cost
// every modelspec command 0.7 MB and up to a millisecond at start,
// training or not.
var keywords = sync.OnceValue(func() *keywordRules {
	return &keywordRules{
		hazard: re(`bombs?|explosives?|ieds?|detonat\w*|grenades?|weapons?|guns?|firearms?|rifles?|handguns?|ammunition|silencers?|glock|full[- ]auto|` +
			`nerve agents?|sarin|vx|mustard gas|anthrax|ricin|botulinum|toxins?|pathogens?|bioweapons?|chemical weapons?|biological weapons?|` +
			`uranium|plutonium|nuclear|radiological|malware|ransomware|viruse?s?|trojans?|keyloggers?|botnets?|rootkits?|spyware|` +
			`hack\w*|exploit\w*|phishing|ddos|sql injection|zero[- ]day|steal\w*|stole|stolen|theft|fraud\w*|launder\w*|counterfeit\w*|` +
			`forg(?:e|ed|es|ing|ery)|smuggl\w*|traffick\w*|drugs?|meth|methamphetamine|cocaine|heroin|fentanyl|opioids?|lsd|mdma|crack|` +
			`scams?|scammers?|ponzi|pyramid schemes?|embezzl\w*|tax evasion|shoplift\w*|burglar\w*|rob|robbing|robbery|arson|` +
			`identity theft|credit cards?|skimm\w*|blackmail\w*|extort\w*|poison\w*|terroris\w*|hijack\w*|kidnap\w*|ransom|brib\w*|` +
			`illegal\w*|black market|dark ?web|darknet|chop shops?|break into|breaking into|pick a lock|lock ?picking`),
		violence: re(`kill\w*|murder\w*|assassinat\w*|shoot\w*|stab\w*|strangl\w*|chok(?:e|ing)|beat(?:ing|s)? (?:up|someone|him|her|them|my|a|the)|` +
			`punch\w*|tortur\w*|flay\w*|dismember\w*|behead\w*|decapitat\w*|massacre\w*|slaughter\w*|mass shootings?|violen\w*|` +
			`attack\w*|bomb(?:ing)? (?:a|the|my)|hostages?|kidnap\w*|hurt\w*|injur\w*|maim\w*|genocide|ethnic cleansing|exterminat\w*|` +
			`eradicat\w*|lynch\w*|rape|raping|rapist|sexual assault|assault\w*|animal (?:cruelty|abuse)|abus(?:e|ing) animals|` +
			`dog ?fight\w*|cockfight\w*|gore|gory|blow up|set \w+(?: \w+)? on fire|execut(?:e|ing) (?:someone|a person|people|him|her)|` +
			`smash\w*|throttl\w*|gut a|butcher\w*|skull|death threats?|threaten\w* to kill|domestic violence|bloodshed|terroris\w*|` +
			`hitman|hit man|snipe|slay\w*|wipe out|annihilat\w*|liquidat\w* (?:a group|people)|eliminat\w* (?:people|the|my|a)`),
		selfHarm: re(`suicid\w*|self[- ]?harm\w*|self[- ]?injur\w*|(?:kill|hang|drown|starve|cut|cutting|hurt|harm|poison|shoot|burn) ` +
			`(?:myself|yourself|themselves|oneself|himself|herself)|end (?:my|your|their|his|her) (?:own )?li(?:fe|ves)|` +
			`take (?:my|your|their) own li(?:fe|ves)|anorexi\w*|bulimi\w*|eating disorders?|pro[- ]ana|thinspo\w*|purging|` +
			`overdos\w*|sever my|pierce my own|slit (?:my|your|their) wrists?|carve \w+(?: \w+)? into my|want to die|wish i (?:was|were) dead`),
		// k.sexual is sexual material: commercial sex (brothels, escorts) and
		// sexual violence without sexual material are hazard and violence.
		sexual: re(`porn\w*|sexual\w*|sex|sexy|erotic\w*|explicit (?:images?|photos?|pictures?|videos?|content|material|links?|stor(?:y|ies)|scenes?|acts?)|` +
			`sexually explicit|nudes?|nudity|naked|intimate (?:images?|photos?|pictures?)|upskirt|onlyfans|` +
			`genital\w*|orgasm\w*|fetish\w*|bdsm|hentai|xxx|snuff|sexting|incest\w*|bestiality|lewd|smut\w*`),
		// k.notSexual removes phrases that hold a sexual keyword without being
		// about sex.
		notSexual: re(`sexual orientations?|sexuality|sex education|sex ed|same-sex|sex discrimination|opposite sex|sex offenders? registry|` +
			`sex[- ]traffick\w*|sexual exploitation of children`),
		minor: re(`child\w*|kids?|minors?|underage\w*|under-age|teens?|teenagers?|preteens?|pre-teens?|schoolgirls?|schoolboys?|` +
			`toddlers?|infants?|bab(?:y|ies)|little (?:girl|boy)s?|young (?:girl|boy)s?|` +
			`(?:[1-9]|1[0-7]|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)[- ]?(?:years?|yrs?)[- ]?olds?|` +
			`daughters?|middle school\w*|elementary school\w*|high school students?`),
		csam: re(`csam|child (?:sexual )?abuse (?:material|content|images?|videos?)|child porn\w*|pedophil\w*|paedophil\w*|` +
			`lolicon|groom(?:ing)? (?:a |the )?(?:minors?|child(?:ren)?|kids?|teens?)`),
		hateStrong: re(`racis\w*|racial slurs?|slurs?|anti-?semit\w*|homophob\w*|transphob\w*|islamophob\w*|xenophob\w*|sexis\w*|` +
			`misogyn\w*|white supremac\w*|supremacis\w*|neo-?nazi\w*|nazi\w*|holocaust|ethnic cleansing|hate speech|hate crimes?|` +
			`hatred|bigot\w*|dehumaniz\w*|inferior|discriminat\w*|segregat\w*|genocide`),
		identity: re(`jews?|jewish|muslims?|islam\w*|christians?|hindus?|sikhs?|buddhists?|black (?:people|person|couple|colleague)|blacks|` +
			`african americans?|asians?|chinese|mexicans?|latinos?|latinas?|hispanics?|immigrants?|refugees?|migrants?|gays?|` +
			`lesbians?|lgbt\w*|queer|trans|transgender|homosexual\w*|bisexual\w*|disabilit\w*|disabled|people of colou?r|` +
			`native americans?|aboriginal|indigenous|roma|arabs?|palestinians?|indians?|women|race|races|racial|ethnic\w*|` +
			`religio\w*|minorit\w*|fat people|certain colou?r|demographic`),
		harassment: re(`harass\w*|bull(?:y|ies|ying|ied)|cyberbull\w*|stalk\w*|insult\w*|humiliat\w*|intimidat\w*|threat\w*|` +
			`blackmail\w*|dox\w*|defam\w*|slander\w*|libel\w*|ridicul\w*|gaslight\w*|hate mail|shame|shaming|troll\w*|mock\w*|` +
			`belittl\w*|demean\w*|torment\w*|swatting|revenge porn|embarrass\w*|coerc\w*|worthless|pathetic|loser|idiot|stupid|` +
			`ugly|false(?:ly)? accus\w*|make (?:him|her|them|someone) feel`),
	}
})

// keywordLabels returns the categories that the text plainly names. strong
// limits hate to explicit words (racism, slurs, …) rather than any mention
// of a group; hazard is returned only when withHazard is set.
func keywordLabels(text string, strong, withHazard bool) uint16 {
	k := keywords()
	s := strings.ToLower(text)
	var out uint16
	if k.selfHarm.MatchString(s) {
		out |= bSelfHarm
		s = k.selfHarm.ReplaceAllString(s, " ")
	}
	sx := k.notSexual.ReplaceAllString(s, " ")
	sexual := k.sexual.MatchString(sx)
	if sexual {
		out |= bSexual
	}
	if k.csam.MatchString(s) || sexual && k.minor.MatchString(s) {
		out |= bSexual | bSexualMinors
	}
	if k.hateStrong.MatchString(s) || !strong && k.identity.MatchString(s) {
		out |= bHate
	}
	if k.harassment.MatchString(s) {
		out |= bHarassment
	}
	if k.violence.MatchString(s) {
		out |= bViolence
	}
	if withHazard && k.hazard.MatchString(s) {
		out |= bHazard
	}
	return out
}

// Category maps of the sets that have categories. A zero value means the
// set's category is not one of ours: only the keyword rules label the row
// (and the row is left out if they find nothing).

var harmbenchCategory = map[string]uint16{
	"chemical_biological":  bHazard,
	"cybercrime_intrusion": bHazard,
	"illegal":              bHazard,
	"harassment_bullying":  bHarassment,
}

var strongrejectCategory = map[string]uint16{
	"Illegal goods and services": bHazard,
	"Non-violent crimes":         bHazard,
	// "Sexual content" mixes sexual material with cheating, stalking and
	// eating disorders: its rows are labelled by the keyword rules alone.
	"Violence": bViolence,
	// "Hate, harassment and discrimination" is hate when the text names a
	// group and harassment otherwise (see labelStrongREJECT);
	// "Disinformation and deception" is not a category of ours.
}

// aartCrime maps AART's 70 crime concepts; concepts that are not ours
// (gambling, smoking, alcohol, pollution, drug use, circuses, horse racing,
// drunk driving, climate change, landfills) are absent.
var aartCrime = map[string]uint16{
	"terrorism": bHazard | bViolence, "cyberterrorism": bHazard, "bombings": bHazard | bViolence,
	"hijackings": bHazard | bViolence, "arson": bHazard, "assassinations": bViolence | bHazard,
	"drug manufacturing": bHazard, "drug trafficking": bHazard, "drug dealing": bHazard, "drug crimes": bHazard,
	"money laundering": bHazard, "identity theft": bHazard, "credit card fraud": bHazard, "fraud": bHazard,
	"corporate fraud": bHazard, "ponzi schemes": bHazard, "pyramid schemes": bHazard, "embezzlement": bHazard,
	"financial crimes": bHazard, "tax evasion": bHazard, "migrant smuggling": bHazard, "human trafficking": bHazard,
	"labor trafficking": bHazard, "organ trafficking": bHazard, "sex trafficking": bHazard,
	"child trafficking": bHazard, "burglary": bHazard, "robbery": bHazard, "theft": bHazard, "shoplifting": bHazard,
	"property crimes": bHazard, "vandalism": bHazard, "kidnapping": bHazard | bViolence, "kidnappings": bHazard | bViolence,
	"illegal dumping": bHazard, "environmental crimes": bHazard, "water contamination": bHazard, "other crimes": bHazard,
	"violence": bViolence, "assault": bViolence, "murder": bViolence, "domestic violence": bViolence,
	"acts of violence committed for political or ideological purposes": bViolence,
	"animal abuse": bViolence, "animal cruelty": bViolence, "animal neglect": bViolence, "dog fighting": bViolence,
	"cockfighting": bViolence, "rape": bViolence,
	"hate crimes": bHate, "crimes motivated by race": bHate, "crimes motivated by religion": bHate,
	"crimes motivated by gender identity": bHate, "crimes motivated by disability": bHate,
	"crimes motivated by sexual orientation": bHate,
	"pornography":                            bSexual, "prostitution": bSexual,
}

// labelHarmful labels a harmful row whose set gave it the categories cat
// (zero: none of ours). It returns ok=false when nothing labels the row.
func labelHarmful(text string, cat uint16) (pos, knownMask uint16, ok bool) {
	if cat == 0 {
		pos = keywordLabels(text, false, true)
		return pos, pos, pos != 0
	}
	pos = cat | keywordLabels(text, true, false)
	if pos&bSexualMinors != 0 {
		pos |= bSexual
	}
	return pos, known(pos), true
}

// labelStrongREJECT labels a StrongREJECT row.
func labelStrongREJECT(text, category string) (pos, knownMask uint16, ok bool) {
	if category == "Hate, harassment and discrimination" {
		s, k := strings.ToLower(text), keywords()
		cat := uint16(bHarassment)
		if k.hateStrong.MatchString(s) || k.identity.MatchString(s) {
			cat = bHate
		}
		return labelHarmful(text, cat)
	}
	return labelHarmful(text, strongrejectCategory[category])
}
