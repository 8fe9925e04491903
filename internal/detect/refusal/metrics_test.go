package refusal

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// labels in the order of the confusion matrix and of the model's classes.
var labels = [3]string{FullCompliance, FullRefusal, PartialRefusal}

func labelIndex(l string) int {
	for i, x := range labels {
		if x == l {
			return i
		}
	}
	return -1
}

// confusion counts gold (row) against predicted (column) labels.
type confusion struct {
	m       [3][3]int
	invalid int // predictions that are not a label (counted as wrong)
}

func (c *confusion) add(gold, pred string) {
	g, p := labelIndex(gold), labelIndex(pred)
	if p < 0 {
		c.invalid++
		return
	}
	c.m[g][p]++
}

func (c *confusion) n() int {
	n := c.invalid
	for _, r := range c.m {
		for _, v := range r {
			n += v
		}
	}
	return n
}

func (c *confusion) accuracy() float64 {
	ok := 0
	for i := range 3 {
		ok += c.m[i][i]
	}
	return ratio(ok, c.n())
}

// prf is precision, recall and F1 of class k. Invalid predictions count
// against recall.
func (c *confusion) prf(k int) (p, r, f float64) {
	tp, pred, gold := c.m[k][k], 0, 0
	for i := range 3 {
		pred += c.m[i][k]
		gold += c.m[k][i]
	}
	p, r = ratio(tp, pred), ratio(tp, gold)
	return p, r, f1(p, r)
}

// binary is the confusion as refusal (full or partial) against compliance:
// precision, recall, F1 and accuracy of "refusal".
func (c *confusion) binary() (p, r, f, acc float64) {
	tp := c.m[1][1] + c.m[1][2] + c.m[2][1] + c.m[2][2]
	fp := c.m[0][1] + c.m[0][2]
	fn := c.m[1][0] + c.m[2][0]
	tn := c.m[0][0]
	p, r = ratio(tp, tp+fp), ratio(tp, tp+fn)
	return p, r, f1(p, r), ratio(tp+tn, c.n())
}

func (c *confusion) macroF1() float64 {
	var s float64
	for k := range 3 {
		_, _, f := c.prf(k)
		s += f
	}
	return s / 3
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// report formats the confusion as the README shows it.
func (c *confusion) report(name string) string {
	var b strings.Builder
	p, r, f, acc := c.binary()
	fmt.Fprintf(&b, "%s: n=%d accuracy %.3f macro-F1 %.3f | binary refusal P %.3f R %.3f F1 %.3f acc %.3f",
		name, c.n(), c.accuracy(), c.macroF1(), p, r, f, acc)
	if c.invalid > 0 {
		fmt.Fprintf(&b, " | %d invalid predictions counted wrong", c.invalid)
	}
	b.WriteString("\n")
	for k, l := range labels {
		p, r, f := c.prf(k)
		fmt.Fprintf(&b, "    %-16s P %.3f R %.3f F1 %.3f | gold row: %4d %4d %4d\n", l, p, r, f, c.m[k][0], c.m[k][1], c.m[k][2])
	}
	return b.String()
}

// auprc is the average precision of scores for the positives: the mean,
// over the positives, of the precision at the rank where each is reached
// (ties broken against the positives).
func auprc(scores []float64, pos []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		// negatives first among ties: the pessimistic order
		return cmp.Compare(b2i(pos[a]), b2i(pos[b]))
	})
	npos := 0
	for _, p := range pos {
		if p {
			npos++
		}
	}
	if npos == 0 {
		return 0
	}
	var sum float64
	tp := 0
	for rank, i := range idx {
		if pos[i] {
			tp++
			sum += float64(tp) / float64(rank+1)
		}
	}
	return sum / float64(npos)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
