package consensus

import (
	"math"
	"math/rand/v2"
)

// Clustering is a partition of points into K groups.
type Clustering struct {
	K int
	// Assign[i] is point i's group, 0..K-1. Groups are numbered in the
	// order of their first point, so that the numbering does not depend
	// on the random start.
	Assign    []int
	Centroids [][2]float64
	// Inertia is the sum of squared distances to the group centroids.
	Inertia float64
}

// KMeans partitions points into k groups with Lloyd's algorithm from
// k-means++ starts, keeping the best (lowest inertia) of restarts runs.
// rng is the only source of randomness. k must be between 1 and
// len(points).
func KMeans(points [][2]float64, k, restarts int, rng *rand.Rand) Clustering {
	best := Clustering{Inertia: math.Inf(1)}
	for range max(restarts, 1) {
		c := lloyd(points, seed(points, k, rng))
		if c.Inertia < best.Inertia-1e-12 {
			best = c
		}
	}
	return canonical(best)
}

// seed picks k starting centroids by k-means++: the first uniformly, each
// next one with probability proportional to its squared distance from the
// nearest centroid chosen so far.
func seed(points [][2]float64, k int, rng *rand.Rand) [][2]float64 {
	cs := [][2]float64{points[rng.IntN(len(points))]}
	d2 := make([]float64, len(points))
	for len(cs) < k {
		sum := 0.0
		for i, p := range points {
			d2[i] = math.Inf(1)
			for _, c := range cs {
				d2[i] = min(d2[i], dist2(p, c))
			}
			sum += d2[i]
		}
		if sum == 0 {
			cs = append(cs, points[rng.IntN(len(points))])
			continue
		}
		r := rng.Float64() * sum
		pick := len(points) - 1
		for i, d := range d2 {
			if r < d {
				pick = i
				break
			}
			r -= d
		}
		cs = append(cs, points[pick])
	}
	return cs
}

// lloyd iterates assignment and update until nothing moves (or 100
// rounds). A group left empty takes the point farthest from its centroid,
// so that every group keeps at least one point.
func lloyd(points [][2]float64, cs [][2]float64) Clustering {
	k := len(cs)
	assign := make([]int, len(points))
	for i := range assign {
		assign[i] = -1
	}
	for round := 0; round < 100; round++ {
		moved := false
		for i, p := range points {
			g := nearest(p, cs)
			if g != assign[i] {
				assign[i], moved = g, true
			}
		}
		counts := make([]int, k)
		for _, g := range assign {
			counts[g]++
		}
		for g := range k {
			if counts[g] > 0 {
				continue
			}
			far, fd := -1, -1.0
			for i, p := range points {
				if counts[assign[i]] > 1 {
					if d := dist2(p, cs[assign[i]]); d > fd {
						far, fd = i, d
					}
				}
			}
			if far < 0 {
				break // fewer distinct points than groups
			}
			counts[assign[far]]--
			assign[far], counts[g], moved = g, 1, true
		}
		cs = centroids(points, assign, k)
		if !moved {
			break
		}
	}
	c := Clustering{K: k, Assign: assign, Centroids: cs}
	for i, p := range points {
		c.Inertia += dist2(p, cs[assign[i]])
	}
	return c
}

func centroids(points [][2]float64, assign []int, k int) [][2]float64 {
	cs := make([][2]float64, k)
	n := make([]int, k)
	for i, p := range points {
		g := assign[i]
		cs[g][0] += p[0]
		cs[g][1] += p[1]
		n[g]++
	}
	for g := range cs {
		if n[g] > 0 {
			cs[g][0] /= float64(n[g])
			cs[g][1] /= float64(n[g])
		}
	}
	return cs
}

// canonical renumbers groups in the order of their first point.
func canonical(c Clustering) Clustering {
	remap := make([]int, c.K)
	for i := range remap {
		remap[i] = -1
	}
	next := 0
	for _, g := range c.Assign {
		if remap[g] < 0 {
			remap[g] = next
			next++
		}
	}
	out := Clustering{K: next, Assign: make([]int, len(c.Assign)), Centroids: make([][2]float64, next), Inertia: c.Inertia}
	for i, g := range c.Assign {
		out.Assign[i] = remap[g]
	}
	for g, to := range remap {
		if to >= 0 {
			out.Centroids[to] = c.Centroids[g]
		}
	}
	return out
}

func nearest(p [2]float64, cs [][2]float64) int {
	best, bd := 0, math.Inf(1)
	for g, c := range cs {
		if d := dist2(p, c); d < bd {
			best, bd = g, d
		}
	}
	return best
}

func dist2(a, b [2]float64) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

// Silhouette is the mean silhouette of a clustering: for each point, a is
// its mean distance to the other points of its group and b the smallest
// mean distance to the points of another group, and its silhouette is
// (b-a)/max(a,b); a point alone in its group scores 0. It lies in [-1, 1];
// higher means tighter, better separated groups. It needs K >= 2.
func Silhouette(points [][2]float64, assign []int, k int) float64 {
	if k < 2 || len(points) == 0 {
		return 0
	}
	size := make([]int, k)
	for _, g := range assign {
		size[g]++
	}
	total := 0.0
	sum := make([]float64, k)
	for i, p := range points {
		clear(sum)
		for j, q := range points {
			if i != j {
				sum[assign[j]] += math.Sqrt(dist2(p, q))
			}
		}
		g := assign[i]
		if size[g] <= 1 {
			continue
		}
		a := sum[g] / float64(size[g]-1)
		b := math.Inf(1)
		for h := range k {
			if h != g && size[h] > 0 {
				b = min(b, sum[h]/float64(size[h]))
			}
		}
		if math.IsInf(b, 1) {
			continue
		}
		if m := math.Max(a, b); m > 0 {
			total += (b - a) / m
		}
	}
	return total / float64(len(points))
}
