package pii

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/modelspec/modelspec/internal/detect/detecttest"
)

// planSamples returns national significant numbers to compare a plan with
// the library on: n random numbers of every length 1..maxNSN, and the
// example numbers of every description of the region's metadata (when
// meta is not nil) with variants that keep a prefix of the example and
// draw the rest, or change its length by one, so that numbers on both sides
// of each pattern's boundaries are tried.
func planSamples(rng *rand.Rand, meta *phonenumbers.PhoneMetadata, n int) [][]byte {
	var out [][]byte
	randDigits := func(b []byte) []byte {
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return b
	}
	for l := 1; l <= maxNSN; l++ {
		for range n {
			out = append(out, randDigits(make([]byte, l)))
		}
	}
	if meta == nil {
		return out
	}
	for _, d := range []*phonenumbers.PhoneNumberDesc{
		meta.GetGeneralDesc(), meta.GetFixedLine(), meta.GetMobile(), meta.GetTollFree(), meta.GetPremiumRate(),
		meta.GetSharedCost(), meta.GetPersonalNumber(), meta.GetVoip(), meta.GetPager(), meta.GetUan(),
		meta.GetVoicemail(), meta.GetEmergency(), meta.GetShortCode(), meta.GetStandardRate(),
	} {
		ex := d.GetExampleNumber()
		if ex == "" {
			continue
		}
		out = append(out, []byte(ex))
		for k := range len(ex) + 1 {
			for range 3 {
				v := append([]byte(ex[:k]), randDigits(make([]byte, len(ex)-k))...)
				out = append(out, v)
				out = append(out, append(slices.Clone(v), byte('0'+rng.IntN(10))))
				if len(v) > 1 {
					out = append(out, v[:len(v)-1])
				}
			}
		}
	}
	return slices.DeleteFunc(out, func(b []byte) bool { return len(b) == 0 || len(b) > maxNSN })
}

func metadataFor(region string, cc int32) *phonenumbers.PhoneMetadata {
	geo, nonGeo := metaOnce()
	if region == "001" {
		return nonGeo[cc]
	}
	return geo[region]
}

// TestNumberPlans compares the compiled plan of every region of Regions
// with phonenumbers.IsValidNumberForRegion, and the plans of every calling
// code with phonenumbers.IsValidNumber, on planSamples; it also checks that
// every plan compiled to an automaton (none falls back to the library) and
// that the metadata has what the plans assume.
func TestNumberPlans(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	nb := new(numBuf)
	perLength := 300
	if testing.Short() {
		perLength = 30
	}
	for _, r := range regionsMeta() {
		p := r.plan
		if p.lib || p.never {
			t.Errorf("%s: plan lib=%v never=%v, want an automaton", r.code, p.lib, p.never)
		}
		meta := metadataFor(r.code, r.cc)
		valid := 0
		for _, nsn := range planSamples(rng, meta, perLength) {
			want := phonenumbers.IsValidNumberForRegion(nb.national(r.cc, nsn), r.code)
			if got, _ := p.valid(nsn); got != want {
				t.Fatalf("%s: %s: plan says %v, library %v", r.code, nsn, got, want)
			}
			if want {
				valid++
			}
		}
		if valid == 0 {
			t.Errorf("%s: no valid sample: the comparison tried only invalid numbers", r.code)
		}
	}

	codes := make([]int, 0, 300)
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		codes = append(codes, cc)
	}
	slices.Sort(codes)
	if len(codes) < 200 {
		t.Fatalf("%d calling codes, want the library's ~245", len(codes))
	}
	for _, cc := range codes {
		regions := phonenumbers.GetRegionCodesForCountryCode(cc)
		if !knownCallingCodes()[cc] {
			t.Fatalf("+%d: supported but not known", cc)
		}
		validIntlNSN(cc, []byte("1")) // builds the plans
		plans := callingCodes[cc].plans
		if len(plans) != len(regions) {
			t.Fatalf("+%d: %d plans for %d regions", cc, len(plans), len(regions))
		}
		n := perLength / 10
		for k, p := range plans {
			if p.lib || p.never {
				// A region of a shared code without metadata (never) would
				// make the library's region choice differ from ours.
				t.Errorf("+%d %s: plan lib=%v never=%v, want an automaton", cc, p.region, p.lib, p.never)
			}
			meta := metadataFor(p.region, int32(cc))
			var ld *regexp.Regexp
			if s := meta.GetLeadingDigits(); s != "" {
				ld = regexp.MustCompile("^(?:" + s + ")")
			}
			if p.hasLeading != (ld != nil) {
				t.Fatalf("+%d %s: hasLeading %v", cc, p.region, p.hasLeading)
			}
			for _, nsn := range planSamples(rng, meta, n) {
				num := nb.national(int32(cc), nsn)
				if got, want := validIntlNSN(cc, nsn), phonenumbers.IsValidNumber(num); got != want {
					t.Fatalf("+%d %s (region %s): plans say %v, IsValidNumber %v", cc, nsn, p.region, got, want)
				}
				got, leading := p.valid(nsn)
				if want := phonenumbers.IsValidNumberForRegion(num, p.region); got != want {
					t.Fatalf("+%d %s: %s: plan says %v, library %v", cc, p.region, nsn, got, want)
				}
				if want := ld != nil && ld.Match(nsn); leading != want {
					t.Fatalf("+%d %s: %s: plan says leading %v, regexp %v", cc, p.region, nsn, leading, want)
				}
			}
			if k == 0 && len(plans) == 1 && p.hasLeading {
				t.Logf("+%d %s: single region with leading digits", cc, p.region)
			}
		}
	}
}

// TestPhoneRealTexts compares the phone detector's fast path (compiled
// plans, skipping to digits) with its reference path (the library, every
// byte), for the default and the zero-value detector, on the Presidio
// synthetic documents and the BIPIA contexts of the speed corpora when the
// shared data is there: texts full of real phone numbers.
func TestPhoneRealTexts(t *testing.T) {
	dir := detecttest.DataDir()
	b, err := os.ReadFile(filepath.Join(dir, "presidio-research-synth-pii", "synth_dataset_v2.json"))
	if err != nil {
		t.Skipf("no shared data: %v", err)
	}
	var docs []struct {
		Text string `json:"full_text"`
	}
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, d := range docs {
		texts = append(texts, d.Text)
	}
	for _, name := range []string{"email/test.jsonl", "table/test.jsonl", "code/test.jsonl"} {
		texts = append(texts, detecttest.BIPIAContexts(t, name)...)
	}
	found := 0
	for _, d := range []*Phone{NewPhone(), {}} {
		for _, text := range texts {
			fast, ref := d.detect(text, true), d.detect(text, false)
			if !reflect.DeepEqual(fast, ref) {
				t.Fatalf("min %v on %q:\n fast %v\n  ref %v", d.MinScore, text, fast, ref)
			}
			found += len(fast)
		}
	}
	if found < 150 {
		t.Errorf("%d findings on %d texts, want more: the texts did not load", found, len(texts))
	}
}

// TestNumberPlanFallback checks the library fallback of a plan whose
// automaton would be too large, on regions with and without leading digits
// patterns (+1 and +44 are shared by several regions).
func TestNumberPlanFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rc := range []struct {
		region string
		cc     int32
	}{{"US", 1}, {"CA", 1}, {"JM", 1}, {"GB", 44}, {"JE", 44}, {"DE", 49}, {"001", 800}} {
		fast, lib := newNumberPlan(rc.region, rc.cc, maxPlanStates), newNumberPlan(rc.region, rc.cc, 1)
		if fast.lib || !lib.lib {
			t.Fatalf("%s: lib %v and %v, want false and true", rc.region, fast.lib, lib.lib)
		}
		for _, nsn := range planSamples(rng, metadataFor(rc.region, rc.cc), 20) {
			ok1, l1 := fast.valid(nsn)
			ok2, l2 := lib.valid(nsn)
			if ok1 != ok2 || l1 != l2 {
				t.Fatalf("%s %s: automaton %v %v, library %v %v", rc.region, nsn, ok1, l1, ok2, l2)
			}
		}
	}
	us := newNumberPlan("US", 1, maxPlanStates)
	for _, in := range []string{"212555019a", "2125550199\xff", "21255501:9"} {
		if ok, _ := us.valid([]byte(in)); ok {
			t.Errorf("%q validated", in)
		}
	}
}

// TestDigitDFA checks the automaton compiler on patterns with the
// constructs it handles specially, against regexp itself.
func TestDigitDFA(t *testing.T) {
	pats := []string{
		"^(?:1\\d{2,3}|2[3-5]\\d?)$",
		"^(?:(?:0|9\\d)\\d*)$",
		"^(?:)$",
		"^(?:12|123)", // prefix
		"^(?:$|5)",    // prefix that matches the empty input and "5"
		"^(?:7$)",     // prefix that needs the end
		"^(?:[13579]+[02468]+)+$",
	}
	prefix := []bool{false, false, false, true, true, true, false}
	next, match, err := compileDigitDFA(pats, prefix, maxPlanStates)
	if err != nil {
		t.Fatal(err)
	}
	res := make([]*regexp.Regexp, len(pats))
	for k, p := range pats {
		res[k] = regexp.MustCompile(p)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		in := make([]byte, rng.IntN(9))
		for i := range in {
			in[i] = byte('0' + rng.IntN(10))
		}
		// Prefix patterns carry their bit once matched; the others only
		// when the input ends in a matching state.
		s := int32(0)
		for _, c := range in {
			if s = next[s][c-'0']; s < 0 {
				break
			}
		}
		var got uint16
		if s >= 0 {
			got = match[s]
		}
		for k, re := range res {
			if want := re.Match(in); (got&(1<<k) != 0) != want {
				t.Fatalf("%q on %q: automaton %v, regexp %v", pats[k], in, !want, want)
			}
		}
	}
	if _, _, err := compileDigitDFA([]string{`^(?:\b1)$`}, []bool{false}, 10); err == nil {
		t.Error("word boundary compiled, want an error")
	}
	if _, _, err := compileDigitDFA([]string{`^(?:\d{20})$`}, []bool{false}, 10); err == nil {
		t.Error("21 states in a plan of at most 10, want an error")
	}
}

// FuzzNumberPlans compares the compiled plans with the library on what the
// fuzzer generates: the first byte picks a region of Regions for a national
// number, the rest become digits; the same digits are also tried as an
// international number.
func FuzzNumberPlans(f *testing.F) {
	f.Add([]byte("\x00" + "2125550199"))
	f.Add([]byte("\x01" + "2079460958"))
	f.Add([]byte("\x05" + "0211234567"))
	f.Add([]byte("\x09" + "0301234567"))
	f.Add([]byte("\x1c" + "0312345678"))
	f.Add([]byte("\x02" + "18005550100"))
	regs := regionsMeta()
	nb := new(numBuf)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || len(data) > 1+maxNSN {
			return
		}
		r := regs[int(data[0])%len(regs)]
		digits := make([]byte, len(data)-1)
		for i, b := range data[1:] {
			digits[i] = '0' + b%10
		}
		if got, want := (*numBuf)(nil).validNational(digits, r), nb.validNational(digits, r); got != want {
			t.Fatalf("%s %s: plan says %v, library %v", r.code, digits, got, want)
		}
		if got, want := (*numBuf)(nil).validIntl(digits), nb.validIntl(digits); got != want {
			t.Fatalf("+%s: plans say %v, library %v", digits, got, want)
		}
		if got, _ := r.plan.valid(digits); got != phonenumbers.IsValidNumberForRegion(nb.national(r.cc, digits), r.code) {
			t.Fatalf("%s %s: plan says %v", r.code, digits, got)
		}
	})
}
