package decisionlog

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// crockford is the alphabet of ULIDs: Crockford's base 32, no I L O U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a ULID: 26 characters, the first 10 encoding now in Unix
// milliseconds and the other 16 encoding 80 bits read from rand. IDs sort
// as strings in the order of their times (to the millisecond; ties are in
// random order). Times before 1970 encode as 1970.
//
// rand must not fail (crypto/rand.Reader never does); NewID panics if it
// does, since a decision id without entropy would collide.
func NewID(now time.Time, rand io.Reader) string {
	var b [16]byte
	ms := max(now.UnixMilli(), 0)
	binary.BigEndian.PutUint64(b[0:8], uint64(ms)<<16) // 48 bits in b[0:6]
	if _, err := io.ReadFull(rand, b[6:]); err != nil {
		panic(fmt.Sprintf("decisionlog.NewID: read entropy: %v", err))
	}
	// 128 bits as 26 base-32 digits: the first digit holds the top 3 bits.
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// IDTime returns the time encoded in a ULID made by NewID, to the
// millisecond, in UTC; ok is false when id is not a ULID.
func IDTime(id string) (t time.Time, ok bool) {
	if len(id) != 26 || id[0] > '7' {
		return time.Time{}, false
	}
	var ms uint64
	for i := range 10 {
		v := decodeCrockford(id[i])
		if v < 0 {
			return time.Time{}, false
		}
		ms = ms<<5 | uint64(v)
	}
	for i := 10; i < 26; i++ {
		if decodeCrockford(id[i]) < 0 {
			return time.Time{}, false
		}
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

func decodeCrockford(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'z':
		c -= 'a' - 'A'
	}
	for i := 10; i < len(crockford); i++ {
		if crockford[i] == c {
			return i
		}
	}
	return -1
}
