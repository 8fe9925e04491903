package pii

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// detectors returns every detector by category, as New returns them, and
// with MinScore 0 (every finding).
func detectors() (def, all map[string]detect.Detector) {
	def, all = map[string]detect.Detector{}, map[string]detect.Detector{}
	for _, d := range All() {
		def[strings.TrimPrefix(d.ID(), IDPrefix)] = d
	}
	for _, d := range []detect.Detector{&Email{}, &Phone{}, &Card{}, &SSN{}, &IBAN{}, &IP{}, &Address{}, &DOB{}, &Person{}} {
		all[strings.TrimPrefix(d.ID(), IDPrefix)] = d
	}
	return def, all
}

func evidence(fs []detect.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Evidence)
	}
	slices.Sort(out)
	return out
}

// TestCases runs testdata/<category>.jsonl through the default detector of
// each category.
func TestCases(t *testing.T) {
	def, _ := detectors()
	for _, cat := range Categories {
		cs, err := detecttest.LoadCases(filepath.Join("testdata", cat+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		d := def[cat]
		for _, c := range cs {
			t.Run(cat+"/"+c.Name, func(t *testing.T) {
				fs := d.Detect(c.Text)
				if err := detecttest.Check(c.Text, fs, IDPrefix+cat, Clause, cat); err != nil {
					t.Error(err)
				}
				want := slices.Clone(c.Want)
				slices.Sort(want)
				if want == nil {
					want = []string{}
				}
				if got := evidence(fs); !slices.Equal(got, want) {
					t.Errorf("%s.jsonl:%d: evidence %q, want %q", cat, c.Line, got, want)
					for _, f := range fs {
						t.Logf("  %s %.2f %q", f.Evidence, f.Score, c.Text[f.Start:f.End])
					}
				}
			})
		}
	}
}

// TestSpans checks the exact span of one finding per category.
func TestSpans(t *testing.T) {
	def, _ := detectors()
	for _, tc := range []struct{ cat, text, want string }{
		{CatEmail, "<jane.doe@example.com>", "jane.doe@example.com"},
		{CatPhone, "call (212) 555-0199.", "(212) 555-0199"},
		{CatPhone, "Desk: 212-555-0199 x 204", "212-555-0199 x 204"},
		{CatCard, "card 4111-1111-1111-1111.", "4111-1111-1111-1111"},
		{CatSSN, "ssn=536-22-8153;", "536-22-8153"},
		{CatIBAN, "IBAN: GB82 WEST 1234 5698 7654 32 thanks", "GB82 WEST 1234 5698 7654 32"},
		{CatIP, "[2001:db8::1]:8080", "2001:db8::1"},
		{CatAddress, "at 42 Elm Street Apt. 5, Springfield, IL 62704. Thanks", "42 Elm Street Apt. 5, Springfield, IL 62704"},
		{CatDOB, "born on March 5th, 1979.", "March 5th, 1979"},
		{CatPerson, "Mr. John Q. Public's car", "John Q. Public"},
		// the verb that opens a request is not the name's first word
		{CatPerson, "Call Emily Johnson at 5pm.", "Emily Johnson"},
		{CatPerson, "Invite Lisa Wong to the review.", "Lisa Wong"},
		{CatPerson, "Meet Robert Brown at noon.", "Robert Brown"},
		{CatPerson, "Email Sarah Connor about the invoice.", "Sarah Connor"},
	} {
		fs := def[tc.cat].Detect(tc.text)
		if len(fs) != 1 {
			t.Errorf("%s %q: %d findings, want 1: %+v", tc.cat, tc.text, len(fs), fs)
			continue
		}
		if got := tc.text[fs[0].Start:fs[0].End]; got != tc.want {
			t.Errorf("%s %q: span %q, want %q", tc.cat, tc.text, got, tc.want)
		}
	}
}

func TestLuhnAndMod97(t *testing.T) {
	for _, s := range []string{"4111111111111111", "79927398713", "378282246310005"} {
		if !luhn([]byte(s)) {
			t.Errorf("luhn(%s) = false", s)
		}
	}
	if luhn([]byte("79927398710")) {
		t.Error("luhn(79927398710) = true")
	}
	for _, s := range []string{"GB82WEST12345698765432", "DE89370400440532013000", "NO9386011117947", "FR1420041010050500013M02606"} {
		if !mod97([]byte(s)) {
			t.Errorf("mod97(%s) = false", s)
		}
	}
}

func TestAll(t *testing.T) {
	ds := All()
	if len(ds) != len(Categories) {
		t.Fatalf("%d detectors, want %d", len(ds), len(Categories))
	}
	r, err := detect.NewRegistry(ds...)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range r.IDs() {
		if !strings.HasPrefix(id, IDPrefix) {
			t.Errorf("id %d %q outside %s", i, id, IDPrefix)
		}
	}
	text := "Dear Emily Johnson, your card 4111 1111 1111 1111 and SSN 536-22-8153 are on file; mail jane@example.com."
	cats := map[string]bool{}
	for _, f := range r.Run(text) {
		cats[f.Category] = true
	}
	for _, c := range []string{CatPerson, CatCard, CatSSN, CatEmail} {
		if !cats[c] {
			t.Errorf("Registry.Run found no %s in %q", c, text)
		}
	}
}

// TestMinScore checks that the zero value reports weak findings that New
// leaves out.
func TestMinScore(t *testing.T) {
	text := "Signed on 3/14/1987."
	if fs := NewDOB().Detect(text); len(fs) != 0 {
		t.Errorf("default: %+v, want none", fs)
	}
	fs := (&DOB{}).Detect(text)
	if len(fs) != 1 || fs[0].Evidence != "date_birth_range" || fs[0].Score >= DefaultMinScore {
		t.Errorf("MinScore 0: %+v, want one weak date_birth_range", fs)
	}
}

func TestInvalidUTF8(t *testing.T) {
	_, all := detectors()
	for _, text := range []string{
		"\xff\xfe\xfd", "jane\xff@example.com", "\xe2\x80 4111 1111 1111 1111 \xc3", "Dear \xc3Jos\xe9 Smith",
		"12 Baker\xff Street", "\xf0\x9f\x98 192.168.0.1\xf0", "born on \xff3/14/1987", "GB82\xffWEST",
		"Mr. \xc3\xa9\xff Smith \xe2\x80\xa8 Jones",
	} {
		for cat, d := range all {
			if err := detecttest.Check(text, d.Detect(text), IDPrefix+cat, Clause, cat); err != nil {
				t.Errorf("%s %q: %v", cat, text, err)
			}
		}
	}
}

func TestConcurrent(t *testing.T) {
	def, _ := detectors()
	text := benchText(4 << 10)
	want := map[string][]string{}
	for cat, d := range def {
		want[cat] = evidence(d.Detect(text))
	}
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for cat, d := range def {
				ok = ok && slices.Equal(evidence(d.Detect(text)), want[cat])
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent Detect disagreed with sequential Detect")
		}
	}
}

// TestAdversarial runs every detector on 1 MB of each adversarial input
// and checks the Finding contract on what it reports, and that the fast
// path finds what a scan of every byte finds. That the time is linear is
// checked by TestLinearTime in internal/detect/builtin, on CPU time; the
// benchmarks give the rates.
func TestAdversarial(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	_, all := detectors()
	for name, gen := range adversarial {
		text := gen(1 << 20)
		for cat, d := range all {
			fs := d.Detect(text)
			if err := detecttest.Check(text, fs, IDPrefix+cat, Clause, cat); err != nil {
				t.Errorf("%s/%s: %v", name, cat, err)
			}
		}
		checkSkips(t, text)
	}
}

// TestPossibleLengths checks the length filter in front of the phone
// library: every region's example numbers have a length it allows, and
// no number of a length it rules out is valid for the region (sampled).
func TestPossibleLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, r := range regionsMeta() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE} {
			if ex := phonenumbers.GetExampleNumberForType(r.code, typ); ex != nil {
				if n := len(phonenumbers.GetNationalSignificantNumber(ex)); r.lengths&(1<<n) == 0 {
					t.Errorf("%s: example %v has %d digits, ruled out", r.code, ex, n)
				}
			}
		}
		for n := 1; n <= maxPhoneDigits; n++ {
			if r.lengths&(1<<n) != 0 {
				continue
			}
			for range 200 {
				d := make([]byte, n)
				for i := range d {
					d[i] = byte('0' + rng.IntN(10))
				}
				if num := new(numBuf).national(r.cc, d); num != nil && phonenumbers.IsValidNumberForRegion(num, r.code) {
					t.Fatalf("%s: %s is valid but %d digits are ruled out", r.code, d, n)
				}
			}
		}
	}
}
