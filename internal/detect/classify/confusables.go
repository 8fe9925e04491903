package classify

// invisible reports whether r renders as nothing and must not split or
// change a word: zero-width spaces and joiners, bidi marks and controls,
// soft hyphen, combining grapheme joiner, Hangul fillers, variation
// selectors, the word joiner and invisible operators, and tag begin/cancel.
func invisible(r rune) bool {
	switch {
	case r == 0xAD, r == 0x34F, r == 0x61C, r == 0x115F, r == 0x1160, r == 0x17B4, r == 0x17B5, r == 0x180E,
		r >= 0x200B && r <= 0x200F,
		r >= 0x202A && r <= 0x202E,
		r >= 0x2060 && r <= 0x206F,
		r == 0x3164, r == 0xFEFF, r == 0xFFA0,
		r >= 0xFE00 && r <= 0xFE0F,
		r >= 0xE0100 && r <= 0xE01EF,
		r == 0xE0001, r == 0xE007F:
		return true
	}
	return false
}

// combining reports whether r is a combining diacritical mark of the blocks
// used on Latin, Greek and Cyrillic letters (accents, and the stacks of
// "Zalgo" text). Marks of other scripts (Devanagari vowel signs, …) are
// kept: they are part of the word.
func combining(r rune) bool {
	return r >= 0x300 && r <= 0x36F ||
		r >= 0x1AB0 && r <= 0x1AFF ||
		r >= 0x1DC0 && r <= 0x1DFF ||
		r >= 0x20D0 && r <= 0x20FF ||
		r >= 0xFE20 && r <= 0xFE2F
}

// foldSpecial maps the non-ASCII runes that stand for one ASCII character
// but have no compatibility decomposition: Unicode tag characters (invisible
// ASCII), regional indicators (🇧🇴🇲🇧) and negative circled or squared
// letters. It returns -1 for any other rune.
func foldSpecial(r rune) rune {
	switch {
	case r >= 0xE0020 && r <= 0xE007E:
		return r - 0xE0000
	case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicators A–Z
		return 'a' + r - 0x1F1E6
	case r >= 0x1F150 && r <= 0x1F169: // negative circled capitals
		return 'a' + r - 0x1F150
	case r >= 0x1F170 && r <= 0x1F189: // negative squared capitals
		return 'a' + r - 0x1F170
	}
	return -1
}

// confusables maps letters that render like a Latin letter, and have no
// compatibility decomposition to it, to that letter: a hand-picked subset of
// Unicode's confusables.txt (UTS #39) for the letters a–z. Capitals are
// listed where their lower case looks different (Greek Μ is "m", μ is "u").
var confusables = map[rune]rune{
	// Cyrillic
	'а': 'a', 'А': 'a', 'в': 'b', 'В': 'b', 'Ь': 'b', 'ь': 'b', 'с': 'c', 'С': 'c', 'ԁ': 'd', 'е': 'e', 'Е': 'e',
	'ё': 'e', 'Ё': 'e', 'һ': 'h', 'Һ': 'h', 'н': 'h', 'Н': 'h', 'і': 'i', 'І': 'i', 'ї': 'i', 'ј': 'j', 'Ј': 'j',
	'к': 'k', 'К': 'k', 'ӏ': 'l', 'Ӏ': 'l', 'м': 'm', 'М': 'm', 'п': 'n', 'о': 'o', 'О': 'o', 'р': 'p', 'Р': 'p',
	'ԛ': 'q', 'Ԛ': 'q', 'г': 'r', 'ѕ': 's', 'Ѕ': 's', 'т': 't', 'Т': 't', 'у': 'y', 'У': 'y', 'ү': 'y',
	'х': 'x', 'Х': 'x', 'ԝ': 'w', 'Ԝ': 'w', 'ѡ': 'w', 'Ζ': 'z',
	// Greek
	'α': 'a', 'Α': 'a', 'β': 'b', 'Β': 'b', 'ϲ': 'c', 'Ϲ': 'c', 'ε': 'e', 'Ε': 'e', 'η': 'n', 'Η': 'h',
	'ι': 'i', 'Ι': 'i', 'ϳ': 'j', 'κ': 'k', 'Κ': 'k', 'Μ': 'm', 'μ': 'u', 'ν': 'v', 'Ν': 'n', 'ο': 'o',
	'Ο': 'o', 'σ': 'o', 'ρ': 'p', 'Ρ': 'p', 'ς': 's', 'τ': 't', 'Τ': 't', 'υ': 'u', 'Υ': 'y', 'γ': 'y',
	'χ': 'x', 'Χ': 'x', 'ω': 'w', 'ζ': 'z',
	// Armenian
	'ա': 'w', 'ց': 'g', 'հ': 'h', 'յ': 'j', 'ո': 'n', 'օ': 'o', 'Օ': 'o', 'ք': 'p', 'ս': 'u', 'Ս': 'u',
	'վ': 'u', 'ւ': 'l', 'Լ': 'l',
	// Latin small capitals, IPA and letters with a stroke
	'ı': 'i', 'ȷ': 'j', 'ɑ': 'a', 'ɒ': 'a', 'ᴀ': 'a', 'ʙ': 'b', 'ƀ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'đ': 'd',
	'Đ': 'd', 'ɗ': 'd', 'ᴇ': 'e', 'ɇ': 'e', 'ɛ': 'e', 'ғ': 'f', 'ɡ': 'g', 'ɢ': 'g', 'ǥ': 'g', 'ʜ': 'h',
	'ħ': 'h', 'Ħ': 'h', 'ɪ': 'i', 'ɨ': 'i', 'ᴊ': 'j', 'ᴋ': 'k', 'ʟ': 'l', 'ł': 'l', 'Ł': 'l', 'ɫ': 'l',
	'ᴍ': 'm', 'ɴ': 'n', 'ᴏ': 'o', 'ø': 'o', 'Ø': 'o', 'ɵ': 'o', 'ᴘ': 'p', 'ʀ': 'r', 'ꜱ': 's', 'ᴛ': 't',
	'ŧ': 't', 'Ŧ': 't', 'ᴜ': 'u', 'ʉ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z', 'ƶ': 'z',
	// Cherokee and Lisu capitals that copy Latin ones
	'Ꭺ': 'a', 'Ᏼ': 'b', 'Ꮯ': 'c', 'Ꭼ': 'e', 'Ꮐ': 'g', 'Ꮋ': 'h', 'Ꭻ': 'j', 'Ꮶ': 'k', 'Ꮮ': 'l', 'Ꮇ': 'm',
	'Ꮲ': 'p', 'Ꮪ': 's', 'Ꭲ': 't', 'Ꮩ': 'v', 'Ꮃ': 'w', 'Ꮓ': 'z',
	'ꓮ': 'a', 'ꓐ': 'b', 'ꓚ': 'c', 'ꓓ': 'd', 'ꓰ': 'e', 'ꓝ': 'f', 'ꓖ': 'g', 'ꓧ': 'h', 'ꓲ': 'i', 'ꓙ': 'j',
	'ꓗ': 'k', 'ꓡ': 'l', 'ꓟ': 'm', 'ꓠ': 'n', 'ꓑ': 'p', 'ꓣ': 'r', 'ꓢ': 's', 'ꓔ': 't', 'ꓴ': 'u', 'ꓦ': 'v',
	'ꓪ': 'w', 'ꓫ': 'x', 'ꓬ': 'y', 'ꓜ': 'z',
}
