// Package onnxtest writes a tiny ONNX text classifier with its tokenizer
// into a folder, for tests of code that loads user-supplied models.
package onnxtest

// A tiny ONNX text classifier, written by the test: no Go module ships a
// text classification model with its tokenizer (hugot's tests download
// theirs), so the tests make one. It is a bag of words: each WordPiece
// token has a 2-d embedding, the model averages the embeddings of the
// tokens under the attention mask, adds a bias and returns the two logits
// (SAFE, UNSAFE). Its graph uses the operators a real exported classifier
// does (Gather, Cast, Unsqueeze, Mul, ReduceMean, Div, Add), encoded as
// ONNX protobuf by hand with protowire, and its tokenizer.json is a BERT
// one (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] … [SEP]).

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"
)

type msg []byte

func (m msg) bytes(f protowire.Number, b []byte) msg {
	m = protowire.AppendTag(m, f, protowire.BytesType)
	return protowire.AppendBytes(m, b)
}
func (m msg) str(f protowire.Number, s string) msg { return m.bytes(f, []byte(s)) }
func (m msg) varint(f protowire.Number, v uint64) msg {
	m = protowire.AppendTag(m, f, protowire.VarintType)
	return protowire.AppendVarint(m, v)
}

const (
	tFloat = 1
	tInt64 = 7
)

func tensorF(name string, dims []int64, vals []float32) []byte {
	var m msg
	for _, d := range dims {
		m = m.varint(1, uint64(d))
	}
	m = m.varint(2, tFloat)
	m = m.str(8, name)
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return m.bytes(9, raw)
}

func tensorI(name string, dims []int64, vals []int64) []byte {
	var m msg
	for _, d := range dims {
		m = m.varint(1, uint64(d))
	}
	m = m.varint(2, tInt64)
	m = m.str(8, name)
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return m.bytes(9, raw)
}

// valueInfo: dims are ints (>0) or strings (symbolic).
func valueInfo(name string, elem int, dims ...any) []byte {
	var shape msg
	for _, d := range dims {
		var dim msg
		switch d := d.(type) {
		case int:
			dim = dim.varint(1, uint64(d))
		case string:
			dim = dim.str(2, d)
		}
		shape = shape.bytes(1, dim)
	}
	var tt msg
	tt = tt.varint(1, uint64(elem))
	tt = tt.bytes(2, shape)
	var typ msg
	typ = typ.bytes(1, tt)
	var vi msg
	vi = vi.str(1, name)
	return vi.bytes(2, typ)
}

type attr struct {
	name string
	i    *int64
	ints []int64
}

func node(op string, in, out []string, attrs ...attr) []byte {
	var m msg
	for _, s := range in {
		m = m.str(1, s)
	}
	for _, s := range out {
		m = m.str(2, s)
	}
	m = m.str(3, op+"_"+out[0])
	m = m.str(4, op)
	for _, a := range attrs {
		var am msg
		am = am.str(1, a.name)
		if a.i != nil {
			am = am.varint(3, uint64(*a.i))
			am = am.varint(20, 2) // INT
		} else {
			for _, v := range a.ints {
				am = am.varint(8, uint64(v))
			}
			am = am.varint(20, 7) // INTS
		}
		m = m.bytes(5, am)
	}
	return m
}

func i64(v int64) *int64 { return &v }

// TinyVocab is the vocabulary, and the 2-d embedding of each token: (safe, unsafe) evidence.
var TinyVocab = []struct {
	Tok string
	E   [2]float32
}{
	{"[PAD]", [2]float32{0, 0}}, {"[UNK]", [2]float32{0, 0}}, {"[CLS]", [2]float32{0, 0}}, {"[SEP]", [2]float32{0, 0}},
	{"how", [2]float32{0, 0}}, {"to", [2]float32{0, 0}}, {"a", [2]float32{0, 0}}, {"the", [2]float32{0, 0}},
	{"make", [2]float32{0, 0}}, {"build", [2]float32{0, 0}},
	{"bomb", [2]float32{0, 30}}, {"weapon", [2]float32{0, 30}}, {"poison", [2]float32{0, 30}}, {"kill", [2]float32{0, 30}},
	{"cake", [2]float32{6, 0}}, {"bread", [2]float32{6, 0}}, {"weather", [2]float32{6, 0}}, {"hello", [2]float32{6, 0}},
	{"##s", [2]float32{0, 0}}, {"!", [2]float32{0, 0}}, {"?", [2]float32{0, 0}}, {".", [2]float32{0, 0}},
}

// TinyBias is added to the mean embedding.
// TinyBias is the bias added to the averaged embeddings.
var TinyBias = [2]float32{0.5, 0}

// writeTinyModel writes model.onnx, tokenizer.json and config.json into dir.
func WriteTinyModel(dir string) error {
	v := int64(len(TinyVocab))
	emb := make([]float32, 0, 2*v)
	for _, t := range TinyVocab {
		emb = append(emb, t.E[0], t.E[1])
	}
	var g msg
	g = g.bytes(1, node("Gather", []string{"emb", "input_ids"}, []string{"e"}, attr{name: "axis", i: i64(0)}))
	g = g.bytes(1, node("Cast", []string{"attention_mask"}, []string{"mf"}, attr{name: "to", i: i64(tFloat)}))
	g = g.bytes(1, node("Unsqueeze", []string{"mf", "unsq_axes"}, []string{"m3"}))
	g = g.bytes(1, node("Mul", []string{"e", "m3"}, []string{"em"}))
	g = g.bytes(1, node("ReduceMean", []string{"em"}, []string{"sum_e"}, attr{name: "axes", ints: []int64{1}}, attr{name: "keepdims", i: i64(0)}))
	g = g.bytes(1, node("ReduceMean", []string{"m3"}, []string{"sum_m"}, attr{name: "axes", ints: []int64{1}}, attr{name: "keepdims", i: i64(0)}))
	g = g.bytes(1, node("Div", []string{"sum_e", "sum_m"}, []string{"mean"}))
	g = g.bytes(1, node("Add", []string{"mean", "bias"}, []string{"logits"}))
	g = g.str(2, "tiny_text_classifier")
	g = g.bytes(5, tensorF("emb", []int64{v, 2}, emb))
	g = g.bytes(5, tensorF("bias", []int64{2}, TinyBias[:]))
	g = g.bytes(5, tensorI("unsq_axes", []int64{1}, []int64{2}))
	g = g.bytes(11, valueInfo("input_ids", tInt64, "batch", "sequence"))
	g = g.bytes(11, valueInfo("attention_mask", tInt64, "batch", "sequence"))
	g = g.bytes(12, valueInfo("logits", tFloat, "batch", 2))

	var opset msg
	opset = opset.str(1, "")
	opset = opset.varint(2, 13)
	var m msg
	m = m.varint(1, 8) // ir_version
	m = m.str(2, "modelspec-test")
	m = m.bytes(7, g)
	m = m.bytes(8, opset)
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), m, 0o644); err != nil {
		return err
	}

	vocab := map[string]int{}
	for i, t := range TinyVocab {
		vocab[t.Tok] = i
	}
	tk := map[string]any{
		"version":    "1.0",
		"truncation": nil,
		"padding":    nil,
		"added_tokens": []map[string]any{
			{"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
			{"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
			{"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
			{"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
		},
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{
			"type": "TemplateProcessing",
			"single": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}},
			},
			"pair": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}},
				map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 1}},
			},
			"special_tokens": map[string]any{
				"[CLS]": map[string]any{"id": "[CLS]", "ids": []int{2}, "tokens": []string{"[CLS]"}},
				"[SEP]": map[string]any{"id": "[SEP]", "ids": []int{3}, "tokens": []string{"[SEP]"}},
			},
		},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": map[string]any{
			"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
			"vocab": vocab,
		},
	}
	b, err := json.MarshalIndent(tk, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), b, 0o644); err != nil {
		return err
	}
	cfg := map[string]any{
		"architectures":           []string{"TinyTextClassifier"},
		"id2label":                map[string]string{"0": "SAFE", "1": "UNSAFE"},
		"label2id":                map[string]int{"SAFE": 0, "UNSAFE": 1},
		"max_position_embeddings": 512,
		"model_type":              "tiny",
	}
	b, _ = json.MarshalIndent(cfg, "", " ")
	return os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
}
