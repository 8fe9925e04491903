package consensus

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Projection is the vote matrix in the plane of its first two principal
// components.
type Projection struct {
	// Points[i] is participant i's position (rows of the matrix given).
	Points [][2]float64
	// Components are the two directions, one weight per statement.
	Components [2][]float64
	// Explained is the share of the total variance each component holds,
	// 0 when there is none.
	Explained [2]float64
}

// Project computes the first two principal components of the rows of m
// (rows selects which; nil means all) with gonum's SVD-based PCA.
//
// Missing cells are filled with the statement's mean vote among those who
// voted (the imputation Polis uses), so that not voting pulls no one in
// any direction. As in Polis, each position is then scaled by
// sqrt(statements / statements voted on): a participant who voted on few
// statements would otherwise sit near the centre only for lack of votes.
//
// The sign of a principal component is arbitrary (SVD may return v or -v);
// each is turned so that its largest weight (the first, on a tie) is
// positive, so that a chart does not flip between runs or machines.
func Project(m *Matrix, rows []int) Projection {
	if rows == nil {
		rows = make([]int, len(m.Participants))
		for i := range rows {
			rows[i] = i
		}
	}
	d := len(m.Statements)
	p := Projection{Points: make([][2]float64, len(rows))}
	p.Components[0], p.Components[1] = make([]float64, d), make([]float64, d)
	if len(rows) < 2 || d == 0 {
		return p
	}
	means := make([]float64, d)
	for j := range d {
		sum, n := 0.0, 0
		for _, i := range rows {
			if m.Seen[i][j] {
				sum += float64(m.Cells[i][j])
				n++
			}
		}
		if n > 0 {
			means[j] = sum / float64(n)
		}
	}
	data := mat.NewDense(len(rows), d, nil)
	for r, i := range rows {
		for j := range d {
			v := means[j]
			if m.Seen[i][j] {
				v = float64(m.Cells[i][j])
			}
			data.Set(r, j, v)
		}
	}
	var pc stat.PC
	if !pc.PrincipalComponents(data, nil) {
		return p // SVD did not converge: leave everyone at the centre
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	vars := pc.VarsTo(nil)
	total := 0.0
	for _, v := range vars {
		total += v
	}
	_, nc := vecs.Dims()
	for c := 0; c < 2 && c < nc; c++ {
		if vars[c] <= 1e-12*math.Max(total, 1) {
			break // no variance left: the component is noise from rounding
		}
		w := mat.Col(nil, c, &vecs)
		if sign(w) < 0 {
			for j := range w {
				w[j] = -w[j]
			}
		}
		p.Components[c] = w
		if total > 0 {
			p.Explained[c] = vars[c] / total
		}
	}
	// Centre each column on the same means gonum used (of the filled
	// matrix) and project.
	colMean := make([]float64, d)
	for j := range d {
		colMean[j] = mat.Sum(data.ColView(j)) / float64(len(rows))
	}
	for r, i := range rows {
		var x, y float64
		for j := range d {
			v := data.At(r, j) - colMean[j]
			x += v * p.Components[0][j]
			y += v * p.Components[1][j]
		}
		if n := m.Votes(i); n > 0 {
			s := math.Sqrt(float64(d) / float64(n))
			x, y = x*s, y*s
		}
		p.Points[r] = [2]float64{x, y}
	}
	return p
}

// sign is the sign of w's largest entry by absolute value (the first such
// on a tie, within rounding).
func sign(w []float64) float64 {
	best, at := 0.0, -1
	for j, v := range w {
		if math.Abs(v) > best+1e-9 {
			best, at = math.Abs(v), j
		}
	}
	if at < 0 || w[at] >= 0 {
		return 1
	}
	return -1
}
