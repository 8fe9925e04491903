package feedback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
)

// MaxEmail bounds an address (RFC 5321: 254 octets).
const MaxEmail = 254

// NormalizeEmail checks that s is one plain address (no display name, no
// list) and returns it trimmed, with the domain in lower case. The local
// part keeps its case: RFC 5321 lets a server tell Bob from bob, so
// treating them as one person could hand one person's confirmation to
// another.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxEmail {
		return "", fmt.Errorf("%w: email: give one address, up to %d characters", ErrInvalid, MaxEmail)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", fmt.Errorf("%w: email %q is not a plain address like name@example.org", ErrInvalid, s)
	}
	at := strings.LastIndexByte(s, '@')
	domain := strings.ToLower(s[at+1:])
	if !strings.Contains(domain, ".") {
		return "", fmt.Errorf("%w: email %q: the domain needs a dot", ErrInvalid, s)
	}
	return s[:at+1] + domain, nil
}

// HashEmail is the keyed hash that stands for an address wherever one is
// needed except sending mail: display names, rate limits, lookups. Keyed,
// so that a leaked database or export cannot be matched against a list of
// addresses without the key. email must be normalised.
func HashEmail(key []byte, email string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("email:" + email))
	return hex.EncodeToString(h.Sum(nil))
}

// HashToken is how a confirmation token is stored: a leaked table holds
// no usable token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte("token:" + token))
	return hex.EncodeToString(h[:])
}

// ConfirmationMessage is the email that confirms an address: the link
// holds the token; the body says what it is for and what happens if it
// was not asked for.
func ConfirmationMessage(id, to, link, siteName string) Message {
	return Message{
		ID:      id,
		To:      to,
		Subject: "Confirm your feedback on " + siteName,
		Body: "Someone (we hope you) wrote feedback on " + siteName + " with this address.\n\n" +
			"To publish it and to keep writing without confirming again, open this link:\n\n" +
			link + "\n\n" +
			"If it was not you, ignore this message: nothing is published without the link.\n",
	}
}
