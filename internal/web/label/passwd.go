package labelweb

import (
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Password limits: bcrypt reads at most 72 bytes, so a longer password
// would be silently cut; refuse it instead.
const (
	MinPasswordLength = 10
	MaxPasswordBytes  = 72
)

// ErrWeakPassword is returned by HashPassword for a password out of limits.
var ErrWeakPassword = errors.New("password too short or too long")

// HashPassword returns the bcrypt hash of a trainer's password.
func HashPassword(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < MinPasswordLength || len(pw) > MaxPasswordBytes {
		return "", fmt.Errorf("%w: want %d characters to %d bytes", ErrWeakPassword, MinPasswordLength, MaxPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches the bcrypt hash.
func CheckPassword(hash, pw string) bool {
	return len(pw) <= MaxPasswordBytes && bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// dummyHash is compared against when a trainer does not exist, so that
// signing in as an unknown name takes as long as with a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)
	return h
})
