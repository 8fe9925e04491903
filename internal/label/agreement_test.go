package label

import (
	"errors"
	"math"
	"testing"
)

// units builds reliability data from rows of raters (NaN = missing).
func units(rows map[string][]float64) []Unit {
	n := 0
	for _, r := range rows {
		n = max(n, len(r))
	}
	us := make([]Unit, n)
	for i := range us {
		us[i] = Unit{}
	}
	for rater, r := range rows {
		for i, v := range r {
			if !math.IsNaN(v) {
				us[i][rater] = v
			}
		}
	}
	return us
}

var nan = math.NaN()

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
// section C: 4 observers, 12 units, values 1-5, missing data. Published:
// nominal 0.743, ordinal 0.815, interval 0.849.
var krippendorff2011 = map[string][]float64{
	"A": {1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan},
	"B": {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3},
	"C": {nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan},
	"D": {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan},
}

// The example of Wikipedia's article on Krippendorff's alpha (3 coders,
// 15 units): nominal 0.691, interval 0.811.
var wikipedia = map[string][]float64{
	"A": {nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3},
	"B": {1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan},
	"C": {nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4},
}

func TestAlphaPublished(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  map[string][]float64
		level Level
		want  float64
	}{
		{"krippendorff2011", krippendorff2011, Nominal, 0.743},
		{"krippendorff2011", krippendorff2011, Ordinal, 0.815},
		{"krippendorff2011", krippendorff2011, Interval, 0.849},
		{"wikipedia", wikipedia, Nominal, 0.691},
		{"wikipedia", wikipedia, Interval, 0.811},
	} {
		got, err := Alpha(units(tc.data), tc.level)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.name, tc.level, err)
		}
		if math.Abs(got-tc.want) > 0.0005 {
			t.Errorf("%s %v: alpha = %.4f, want %.3f", tc.name, tc.level, got, tc.want)
		}
	}
}

// A small case worked by hand. Two raters, four units, values 0/1:
// A = 0 0 1 1, B = 0 1 1 1. Coincidences (each pair counted both ways,
// weight 1/(2-1)): o00 = 2, o01 = o10 = 1, o11 = 4; n0 = 3, n1 = 5, n = 8.
// alpha = 1 - (n-1) * (o01+o10) / (n0 n1 + n1 n0) = 1 - 7*2/30 = 8/15.
// Cohen's kappa: p_o = 3/4; p_e = (2/4)(1/4) + (2/4)(3/4) = 1/2;
// kappa = (3/4 - 1/2) / (1/2) = 1/2.
func TestHandWorked(t *testing.T) {
	a := []float64{0, 0, 1, 1}
	b := []float64{0, 1, 1, 1}
	got, err := Alpha(units(map[string][]float64{"A": a, "B": b}), Nominal)
	if err != nil || math.Abs(got-8.0/15) > 1e-12 {
		t.Errorf("alpha = %v, %v; want 8/15", got, err)
	}
	k, err := Kappa(a, b)
	if err != nil || math.Abs(k-0.5) > 1e-12 {
		t.Errorf("kappa = %v, %v; want 1/2", k, err)
	}
	// Three categories, five units: A = x x y z z, B = x y y z x.
	// p_o = 3/5; marginals A: x 2, y 1, z 2; B: x 2, y 2, z 1;
	// p_e = (4 + 2 + 2)/25 = 8/25; kappa = (15/25 - 8/25)/(17/25) = 7/17.
	k, err = Kappa([]string{"x", "x", "y", "z", "z"}, []string{"x", "y", "y", "z", "x"})
	if err != nil || math.Abs(k-7.0/17) > 1e-12 {
		t.Errorf("kappa = %v, %v; want 7/17", k, err)
	}
}

func TestUndefined(t *testing.T) {
	if _, err := Alpha(units(map[string][]float64{"A": {1, 1}, "B": {1, 1}}), Nominal); !errors.Is(err, ErrUndefined) {
		t.Errorf("no variation: err = %v, want ErrUndefined", err)
	}
	if _, err := Alpha(units(map[string][]float64{"A": {1, nan}, "B": {nan, 2}}), Nominal); !errors.Is(err, ErrUndefined) {
		t.Errorf("nothing pairable: err = %v, want ErrUndefined", err)
	}
	if _, err := Kappa([]int{1, 1}, []int{1, 1}); !errors.Is(err, ErrUndefined) {
		t.Errorf("kappa, one value: err = %v", err)
	}
	if _, err := Kappa([]int{}, []int{}); !errors.Is(err, ErrUndefined) {
		t.Errorf("kappa, no units: err = %v", err)
	}
	if _, err := Kappa([]int{1}, []int{1, 2}); err == nil {
		t.Error("kappa of unequal lengths: no error")
	}
	// Perfect agreement with variation is 1 for both.
	if v, err := Alpha(units(map[string][]float64{"A": {1, 2, 3}, "B": {1, 2, 3}, "C": {1, 2, nan}}), Ordinal); err != nil || v != 1 {
		t.Errorf("perfect ordinal alpha = %v, %v", v, err)
	}
}

// Ordinal distance depends on the marginals, not on the numbers: ranks
// relabelled monotonically give the same alpha.
func TestOrdinalOnlyOrderCounts(t *testing.T) {
	a, _ := Alpha(units(krippendorff2011), Ordinal)
	m := map[string][]float64{}
	for r, vs := range krippendorff2011 {
		m[r] = make([]float64, len(vs))
		for i, v := range vs {
			m[r][i] = v * v * 10 // monotone on 1..5
		}
	}
	b, _ := Alpha(units(m), Ordinal)
	if math.Abs(a-b) > 1e-12 {
		t.Errorf("ordinal alpha changed under a monotone relabelling: %v vs %v", a, b)
	}
}
