package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/spec"
	"github.com/modelspec/modelspec/internal/specload"
)

// refCheckSyntax is checkSyntax as it was before scanValid: encoding/json
// decides, and its SyntaxError gives the message and the offset. The new
// one must answer exactly the same for every input.
func refCheckSyntax(data []byte) (int, error) {
	if json.Valid(data) {
		return -1, nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return 0, errMalformed
	}
	off := int(se.Offset)
	if off > 0 && off <= len(data) && !bytes.Contains([]byte(se.Error()), []byte("unexpected end")) {
		off--
	}
	return off, se
}

// depthLimits are the maxDepth values the depth offset is compared at.
var depthLimits = []int{0, 1, 2, 3, 5, MaxDepth}

// checkAgainstReference fails t unless scanValid, checkSyntax and
// checkSyntaxDepth agree on data with json.Valid, the old checkSyntax and
// checkDepth.
func checkAgainstReference(t *testing.T, data []byte, limits ...int) {
	t.Helper()
	want := json.Valid(data)
	if got, _ := scanValid(data, maxNesting); got != want {
		t.Fatalf("scanValid(%s) = %v, json.Valid = %v", quoteInput(data), got, want)
	}
	wantOff, wantErr := refCheckSyntax(data)
	gotOff, gotErr := checkSyntax(data)
	if gotOff != wantOff || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("checkSyntax(%s) = %d, %v; was %d, %v", quoteInput(data), gotOff, gotErr, wantOff, wantErr)
	}
	for _, limit := range limits {
		wantDeep := checkDepth(data, limit)
		if want {
			if _, deep := scanValid(data, limit); deep != wantDeep {
				t.Fatalf("scanValid(%s, %d) deep = %d, checkDepth = %d", quoteInput(data), limit, deep, wantDeep)
			}
		}
		deep, synOff, synErr := checkSyntaxDepth(data, limit)
		if deep != wantDeep || synOff != wantOff || fmt.Sprint(synErr) != fmt.Sprint(wantErr) {
			t.Fatalf("checkSyntaxDepth(%s, %d) = %d, %d, %v; want %d, %d, %v",
				quoteInput(data), limit, deep, synOff, synErr, wantDeep, wantOff, wantErr)
		}
	}
}

func quoteInput(data []byte) string {
	if len(data) > 200 {
		return fmt.Sprintf("%q... (%d bytes)", data[:200], len(data))
	}
	return fmt.Sprintf("%q", data)
}

// trickyJSON are documents, valid and not, at the edges of the grammar.
var trickyJSON = []string{
	// Empty and white space.
	"", " ", "\t\r\n ", "\v1", "\f1", "1\v", "\xa01", "\xc2\xa01", "\u20281", "1\u2028",
	// Literals.
	"true", "false", "null", " true ", "tru", "truee", "True", "nul", "nulll", "fals", "falsee",
	"t", "f", "n", "true false", "nullnull", "[true,false,null]", "[truefalse]", "[true false]",
	// Numbers.
	"0", "-0", "1", "-1", "01", "-01", "00", "1.", "-1.", ".5", "-.5", "1.5", "1.50", "0.0",
	"1e", "1e+", "1e-", "1e5", "1E5", "1e+5", "1e-5", "1E+05", "1e05", "1.e5", "1.0e", "1.0e+5",
	"-", "+1", "+", "--1", "1-", "1+", "0x1f", "0b1", "1_000", "Infinity", "-Infinity", "NaN",
	"1.2.3", "1e5e5", "1e5.5", "123456789012345678901234567890", "1e99999", "-0.0e-0",
	"0e0", "0E0", "0.e", "01.5", "-0.5", "2 3", "[01]", "[1.]", "[-]", "[1e]", "[0,]", "[-0]",
	"{\"a\":01}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":1e+}", "{\"a\":.1}",
	// Strings and every escape.
	`""`, `"a"`, `"\""`, `"\\"`, `"\/"`, `"\b"`, `"\f"`, `"\n"`, `"\r"`, `"\t"`, `"\u0000"`,
	`"\uFFFF"`, `"\uffff"`, `"\uAbCd"`, `"\u00e9"`, `"\u12"`, `"\u123"`, `"\u123g"`, `"\uGHIJ"`,
	`"\U0041"`, `"\x41"`, `"\a"`, `"\v"`, `"\0"`, `"\'"`, `"\ "`, `"\`, `"\"`, `"\u"`, `"\u0"`,
	`"abc`, `"`, `"a"b"`, `"a""b"`, `'a'`, `"\\\""`, `"\\\\"`, `"\\\"\\"`,
	// Lone and paired surrogates as \u escapes (valid to json.Valid).
	`"\ud800"`, `"\udc00"`, `"\udbff\udfff"`, `"\ud83d\ude00"`, `"\ude00\ud83d"`, `"\ud800x"`,
	`"\uD800\u0041"`,
	// Control characters, DEL and bytes of 0x80 and above in strings.
	"\"\x00\"", "\"\x01\"", "\"\x1f\"", "\"\x7f\"", "\"\t\"", "\"\n\"", "\"\r\"", "\"a\x1fb\"",
	"\"\x80\"", "\"\xff\"", "\"\xa2\"", "\"\xdc\"", "\"\xa0\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
	"\"\xf4\x90\x80\x80\"", "\"\xef\xbb\xbf\"", "\"é\"", "\"日本語\"", "\"\U0001F600\"",
	// Byte order marks: json.Valid rejects one before the value.
	"\xef\xbb\xbf{}", "\xef\xbb\xbf\"a\"", "{}\xef\xbb\xbf", "\xef\xbb\xbf",
	// Objects.
	"{}", "{ }", "{\n}", `{"a":1}`, `{"a" : 1 }`, ` { "a" : [ ] , "b" : { } } `, `{"a":1,}`,
	`{,"a":1}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{a:1}`, `{1:1}`, `{"a":1 "b":2}`, `{"a":1,,"b":2}`,
	`{"a":1}}`, `{"a":1`, `{"a":`, `{"a"`, `{"`, `{`, `}`, `{"a":1]`, `{"a":[}`, `{"":""}`,
	`{"a":1,"a":2}`, `{"\u0000":null}`, `{"a\"b":"c\\"}`, `{"a":{"b":{"c":[1,{"d":[]}]}}}`,
	`{"a":1}{"b":2}`, `{"a":1} x`, "{\"a\":1}\n", "{\"a\":1}\x00", `{"a":true,"b":false,"c":null}`,
	// Arrays.
	"[]", "[ ]", "[\n]", "[1]", "[1,2]", "[1,]", "[,1]", "[,]", "[1 2]", "[1,,2]", "[", "]", "[]]",
	"[[]", "[[]]", "[[],[]]", "[{}]", "[{},{}]", "[1}", "[{]}", `["a","b"]`, `["a" "b"]`,
	`[}`, `{]`, `[ }`, `{ ]`, `[1}2]`, `[1:2]`, `{"a":1]"b":2}`, `{"a":1:"b":2}`, `[[]}`, `{"a":{}]`,
	`[[[[[[[[[[]]]]]]]]]]`, `[[[[[[[[[[]]]]]]]]]`, `[[[[[[[[[]]]]]]]]]]`, "[][]", "[] []",
	// Brackets inside strings do not nest.
	`["[[[[[[", "{{{{"]`, `{"[":"]","{":"}"}`, `"[[[[["`, `["\"[[[[["]`,
}

// wordEdgeStrings places each byte that matters to the eight-byte string
// scan at every position across two words, in strings of several
// lengths, so that every lane of stringSpecial and the tail loop is hit.
func wordEdgeStrings() []string {
	specials := []string{
		`"`, `\`, `\n`, `\u0041`, `\ud800`, "\x00", "\x1f", "\x20", "\x21", "\x22\x22", "\x7f",
		"\x80", "\x9f", "\xa0", "\xa2", "\xdc", "\xff", "\xe2\x80\xa8", "\\",
	}
	var out []string
	for _, s := range specials {
		for pre := 0; pre <= 17; pre++ {
			for _, post := range []int{0, 1, 7, 8, 9} {
				body := strings.Repeat("a", pre) + s + strings.Repeat("b", post)
				out = append(out, `"`+body+`"`, `["`+body+`",1]`, `{"`+body+`":"`+body+`"}`)
			}
		}
	}
	return out
}

// byteCases puts every byte value at each place the grammar looks at a
// byte: as the whole input, starting a value, after a value, in a string,
// after a backslash and among \u's hex digits.
func byteCases() []string {
	var out []string
	for c := range 256 {
		b := string([]byte{byte(c)})
		out = append(out,
			b, "["+b+"]", "[1"+b+"]", "[1,"+b+"]", "{"+b+"}", `{"a"`+b+`1}`, `{"a":1`+b+`}`,
			`{"a":`+b+`}`, "1"+b, "0"+b, "-"+b, "1."+b, "1e"+b, "1e+"+b, "true"+b, "nul"+b,
			`"`+b+`"`, `"\`+b+`"`, `"\u`+b+`000"`, `"\u0`+b+`00"`, `"\u00`+b+`0"`, `"\u000`+b+`"`,
			`"ab`+b, b+"{}", "{}"+b, "[]"+b, " "+b+" ", "["+b, "{"+b, "[ "+b, "{ "+b,
			"[1"+b+"2]", `{"a":1`+b+`"b":2}`, `{"a"`+b, `{"a" `+b+` 1}`, `[[]`+b+`[]]`, `{"a":{}`+b+`"b":{}}`,
		)
	}
	return out
}

// nested returns open repeated n times, then inner, then close n times.
func nested(n int, open, inner, close string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// deepCases nest objects and arrays around encoding/json's limit of
// 10,000 levels and around MaxDepth.
func deepCases() []string {
	var out []string
	for _, n := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1, maxNesting - 1, maxNesting, maxNesting + 1} {
		out = append(out,
			nested(n, "[", "", "]"),
			nested(n, "[", "1", "]"),
			nested(n, `{"a":`, "1", "}"),
			nested(n, `{"a":`, "{}", "}"),
			nested(n/2, `[{"k":`, `[]`, "}]"),
			nested(n, " [ ", " ", " ] "),
			nested(n, "[", "", "]")[1:],     // one closer too many
			nested(n, "[", "", "]")[:2*n-1], // one closer too few
			strings.Repeat("[", n),
			nested(n, `["x",`, `"y"`, `]`),
			`[`+nested(n, "[", "", "]")+`,`+nested(3, "[", "", "]")+`]`,
		)
	}
	return out
}

// prefixes returns every proper prefix of each of docs.
func prefixes(docs []string) []string {
	var out []string
	for _, d := range docs {
		for i := range len(d) {
			out = append(out, d[:i])
		}
	}
	return out
}

// wrapped puts each of docs where a value goes inside an array and an
// object, with and without white space.
func wrapped(docs []string) []string {
	var out []string
	for _, d := range docs {
		out = append(out, "["+d+"]", "[1,"+d+"]", "["+d+",1]", `{"k":`+d+`}`, `{"k": `+d+` ,"l":2}`, " \n\t"+d+"\r\n ")
	}
	return out
}

// testdataJSON returns the inputs of the package's JSON case files.
func testdataJSON(t testing.TB) []string {
	var out []string
	for _, pattern := range []string{"conversation/*/*.txt", "response/*.txt", "responses/*/*.txt"} {
		for _, path := range glob(t, pattern) {
			input, _ := readCase(t, path)
			out = append(out, string(input))
		}
	}
	for _, path := range glob(t, "request/*.json") {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
	}
	return out
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	sets := map[string][]string{
		"tricky":            trickyJSON,
		"tricky prefixes":   prefixes(trickyJSON),
		"tricky wrapped":    wrapped(trickyJSON),
		"word edges":        wordEdgeStrings(),
		"bytes":             byteCases(),
		"testdata":          testdataJSON(t),
		"testdata prefixes": prefixes(testdataJSON(t)),
		"bodies":            {benchBody(t, 2048, "x"), benchBody(t, 17<<10, "")},
	}
	valid := 0
	total := 0
	for name, docs := range sets {
		limits := depthLimits
		if strings.HasSuffix(name, "prefixes") {
			limits = []int{2, MaxDepth} // many inputs, most of them invalid
		}
		t.Run(name, func(t *testing.T) {
			for _, d := range docs {
				checkAgainstReference(t, []byte(d), limits...)
				if json.Valid([]byte(d)) {
					valid++
				}
				total++
			}
		})
	}
	// Both sides of the grammar must be well represented, or the
	// comparison says little.
	t.Logf("%d valid and %d invalid inputs", valid, total-valid)
	if valid < 2000 || total-valid < 2000 {
		t.Errorf("%d valid and %d invalid inputs; want at least 2000 of each", valid, total-valid)
	}
}

func TestValidDeepNesting(t *testing.T) {
	for _, d := range deepCases() {
		checkAgainstReference(t, []byte(d), MaxDepth, maxNesting-1, maxNesting)
	}
	// The limit itself: 10,000 levels are valid, 10,001 are not.
	for n, want := range map[int]bool{maxNesting - 1: true, maxNesting: true, maxNesting + 1: false} {
		for _, d := range []string{nested(n, "[", "", "]"), nested(n, `{"a":`, "0", "}")} {
			if ok, _ := scanValid([]byte(d), maxNesting); ok != want {
				t.Errorf("%d levels: valid = %v, want %v", n, ok, want)
			}
		}
	}
	// The depth offset is the first bracket past the limit, not a later
	// one, and counts objects and arrays alike.
	d := []byte(`[{"a":[[1]],"b":{"c":[{}]}}]`)
	for limit, want := range map[int]int{0: 0, 1: 1, 2: 6, 3: 7, 4: 22, 5: -1} {
		if ok, deep := scanValid(d, limit); !ok || deep != want {
			t.Errorf("limit %d: scanValid = %v, %d; want true, %d", limit, ok, deep, want)
		}
	}
}

// TestValidBOM: DecodeConversation strips a byte order mark before the
// check; the check itself rejects one, as json.Valid does.
func TestValidBOM(t *testing.T) {
	doc := []byte("\xef\xbb\xbf[{\"role\":\"user\",\"content\":\"hi\"}]")
	if ok, _ := scanValid(doc, maxNesting); ok {
		t.Error("scanValid accepts a leading byte order mark")
	}
	if ok, _ := scanValid(bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf")), maxNesting); !ok {
		t.Error("scanValid rejects the document after the byte order mark")
	}
	if _, err := DecodeConversation(doc); err != nil {
		t.Errorf("DecodeConversation: %v", err)
	}
}

// TestStringSpecial checks the eight-byte test lane by lane against
// stringStop, for every byte value in every lane.
func TestStringSpecial(t *testing.T) {
	for lane := range 8 {
		for c := range 256 {
			w := bytes.Repeat([]byte{'a'}, 8)
			w[lane] = byte(c)
			var x uint64
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			var want uint64
			if stringStop[c] {
				want = 0x80 << (8 * lane)
			}
			if got := stringSpecial(x); got != want {
				t.Fatalf("byte %#x in lane %d: %#x, want %#x", c, lane, got, want)
			}
		}
	}
	// Several hits in one word are all flagged, so the lowest is exact.
	x := uint64(0x22_5c_00_80_22_a2_1f_61) // a, 0x1f, 0xa2, '"', 0x80, 0, '\\', '"' from lane 0
	if got, want := stringSpecial(x), uint64(0x80_80_80_00_80_00_80_00); got != want {
		t.Errorf("stringSpecial(%#x) = %#x, want %#x", x, got, want)
	}
}

// FuzzValid compares scanValid with json.Valid, its depth offset with
// checkDepth's, and checkSyntax and checkSyntaxDepth with what they
// answered before scanValid (error offsets and messages included).
func FuzzValid(f *testing.F) {
	for _, d := range trickyJSON {
		f.Add([]byte(d), uint8(2))
	}
	for _, d := range wrapped(trickyJSON[:40]) {
		f.Add([]byte(d), uint8(1))
	}
	for _, d := range testdataJSON(f) {
		f.Add([]byte(d), uint8(3))
	}
	f.Add([]byte(nested(70, `[{"a":`, `"x"`, `}]`)), uint8(MaxDepth))
	f.Fuzz(func(t *testing.T, data []byte, limit uint8) {
		checkAgainstReference(t, data, int(limit), MaxDepth)
	})
}

// benchBody returns a chat request of size bytes: the load driver's
// request (a short system message and a user message padded with unit),
// or, with unit "", one shaped like the request the gateway sends upstream
// for it, which puts the rendered default spec in front as the platform
// prompt (cut at a line to fit: the whole spec makes about 24 KB).
func benchBody(tb testing.TB, size int, unit string) string {
	mk := func(system, user string) string {
		b, err := json.Marshal(map[string]any{"model": "gpt-4o-mini", "max_tokens": 64, "temperature": 0,
			"messages": []any{map[string]string{"role": "system", "content": system}, map[string]string{"role": "user", "content": user}}})
		if err != nil {
			tb.Fatal(err)
		}
		return string(b)
	}
	system := "You are a helpful assistant."
	if unit == "" {
		res, err := specload.Load("")
		if err != nil {
			tb.Fatal(err)
		}
		system = spec.Render(res.Spec, spec.RenderOptions{})
		for over := len(mk(system, "")) - size; over > 0; over = len(mk(system, "")) - size {
			system = system[:strings.LastIndexByte(system[:len(system)-over], '\n')+1]
		}
		unit = "x"
	}
	base := len(mk(system, ""))
	if base > size {
		tb.Fatalf("a %d-byte request cannot hold a %d-byte system message", size, base)
	}
	return mk(system, strings.Repeat(unit, size)[:size-base])
}

// BenchmarkValid compares scanValid with json.Valid (the baseline, in the
// same run) on the gateway's 2 KB request and a 17 KB one, and the check
// DecodeConversation makes (syntax and depth) in one pass and in two:
//
//	go test -run '^$' -bench 'Valid' -count 6 ./internal/openai/ > valid.txt
//	benchstat -col /check valid.txt
func BenchmarkValid(b *testing.B) {
	bodies := []struct{ name, body string }{
		{"2KB", benchBody(b, 2048, "x")},
		{"2KB-prose", benchBody(b, 2048, "Please summarise the quarterly report and list the three main risks for the board. ")},
		{"17KB", benchBody(b, 17<<10, "")},
	}
	for _, bb := range bodies {
		data := []byte(bb.body)
		if !json.Valid(data) {
			b.Fatalf("%s: invalid body", bb.name)
		}
		run := func(name string, f func() bool) {
			b.Run("body="+bb.name+"/check="+name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if !f() {
						b.Fatal("rejected")
					}
				}
			})
		}
		run("json.Valid", func() bool { return json.Valid(data) })
		run("scanValid", func() bool { ok, _ := scanValid(data, maxNesting); return ok })
		run("Valid+checkDepth", func() bool { return json.Valid(data) && checkDepth(data, MaxDepth) < 0 })
		run("checkSyntaxDepth", func() bool { deep, _, err := checkSyntaxDepth(data, MaxDepth); return err == nil && deep < 0 })
	}
}
