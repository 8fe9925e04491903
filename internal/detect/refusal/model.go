package refusal

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
)

// model.json is written by TestTrain (go generate); see train_test.go.
//
//go:embed model.json
var modelJSON []byte

// modelFile is the form of model.json: a multinomial logistic regression
// over the features of features.go, one weight per class and feature.
type modelFile struct {
	// Note says what the model was trained on and how.
	Note string `json:"note"`
	// Classes names the classes in the order of the weights.
	Classes [3]string `json:"classes"`
	// Threshold is the refusal score (P(full) + P(partial)) from which a
	// response is a refusal; partial or full is then the likelier of the two.
	Threshold float64 `json:"threshold"`
	// Weights by feature name. N-gram features are "f:" (first sentence) or
	// "a:" (anywhere) and the words, joined by a space.
	Weights map[string][3]float64 `json:"weights"`
}

// model is model.json ready for use: weights by the hash of the name.
type model struct {
	classes   [3]string
	threshold float64
	index     map[uint64]int32 // hashName(feature) → row of w
	w         [][3]float64
}

func loadModel(b []byte) (*model, error) {
	var f modelFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("model.json: %w", err)
	}
	if f.Classes != [3]string{FullCompliance, FullRefusal, PartialRefusal} {
		return nil, fmt.Errorf("model.json: classes %q", f.Classes)
	}
	m := &model{classes: f.Classes, threshold: f.Threshold, index: make(map[uint64]int32, len(f.Weights))}
	for _, name := range slices.Sorted(maps.Keys(f.Weights)) {
		h := hashName(name)
		if _, dup := m.index[h]; dup {
			return nil, fmt.Errorf("model.json: feature %q collides with another", name)
		}
		m.index[h] = int32(len(m.w))
		m.w = append(m.w, f.Weights[name])
	}
	return m, nil
}

// FNV-1a 64, written out so that n-gram names need not be built.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func hashName(name string) uint64 { return fnvAdd(fnvOffset, name) }

// hashNgram is hashName(prefix + a) for a unigram and
// hashName(prefix + a + " " + b) for a bigram.
func hashNgram(prefix, a, b string) uint64 {
	h := fnvAdd(fnvAdd(fnvOffset, prefix), a)
	if b != "" {
		h = fnvAdd(fnvAdd(h, " "), b)
	}
	return h
}

// ngramName is the feature name hashNgram hashes.
func ngramName(prefix, a, b string) string {
	if b == "" {
		return prefix + a
	}
	return prefix + a + " " + b
}

// scoring is a sink that sums the weights of the features it is sent.
type scoring struct {
	m      *model
	z      [3]float64
	ngrams *[]int32 // rows of the n-grams seen, repeats included
}

func (s *scoring) add(name string, v float64) {
	if j, ok := s.m.index[hashName(name)]; ok {
		w := &s.m.w[j]
		for c := range s.z {
			s.z[c] += w[c] * v
		}
	}
}

func (s *scoring) ngram(prefix, a, b string) {
	if j, ok := s.m.index[hashNgram(prefix, a, b)]; ok {
		*s.ngrams = append(*s.ngrams, j)
	}
}

// probs adds the n-grams seen, each once, and returns the class
// probabilities.
func (s *scoring) probs() [3]float64 {
	ng := *s.ngrams
	slices.Sort(ng)
	for i, j := range ng {
		if i > 0 && ng[i-1] == j {
			continue
		}
		w := &s.m.w[j]
		for c := range s.z {
			s.z[c] += w[c]
		}
	}
	return softmax(s.z)
}

func softmax(z [3]float64) [3]float64 {
	m := max(z[0], z[1], z[2])
	var p [3]float64
	var sum float64
	for c := range z {
		p[c] = math.Exp(z[c] - m)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
	return p
}

// decide turns class probabilities into a label: a refusal when P(full) +
// P(partial) reaches the threshold, then full or partial by the likelier.
func decide(p [3]float64, threshold float64) string {
	if p[1]+p[2] < threshold {
		return FullCompliance
	}
	if p[2] > p[1] {
		return PartialRefusal
	}
	return FullRefusal
}
