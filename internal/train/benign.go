package train

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelspec/modelspec/internal/spec"
)

// Benign text the classifiers see on every request: the system and
// developer prompts of deployments, and ordinary assistant answers. Both
// are split like the rest, by the FNV-1a 64 parity of their key.

// loadSysPrompts reads system and developer prompts written by others: the
// rule prompts of CyberSecEval's prompt-injection tests (MIT) and the system
// and developer turns of the published OpenAI Model Spec's examples and
// evaluation prompts (CC0). Each distinct text counts once, keyed by
// itself. A prompt that names sexual material ("explicit sexual content is
// allowed") is not sexual material, but neither is it a clean negative: its
// sexual label is unknown and it counts for no false-alarm rate.
//
// The built-in spec's own examples are left out on purpose: they change
// with the spec, and the model must not have to be retrained when they do.
func loadSysPrompts(dir string, s Split) ([]Example, error) {
	var out []Example
	seen := map[string]bool{}
	add := func(group, text string) {
		text = strings.TrimSpace(text)
		if text == "" || seen[text] {
			return
		}
		seen[text] = true
		if parity(text) != s {
			return
		}
		e := benign("sysprompts", group, text, text)
		if k := keywords(); k.sexual.MatchString(k.notSexual.ReplaceAllString(strings.ToLower(text), " ")) {
			e.Known &^= bSexual
			e.Benign = false
		}
		out = append(out, e)
	}

	type row struct {
		Prompt string `json:"test_case_prompt"`
	}
	rows, err := readJSONLFile[row](filepath.Join(dir, "cyberseceval-prompt-injection", "train.jsonl"))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		add("cyberseceval", r.Prompt)
	}

	openai := filepath.Join(dir, "openai-model-spec")
	files := []string{filepath.Join(openai, "model_spec.md")}
	prompts, err := filepath.Glob(filepath.Join(openai, "examples", "*.md"))
	if err != nil {
		return nil, err
	}
	slices.Sort(prompts)
	for _, f := range append(files, prompts...) {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sp, _ := spec.Parse(f, b)
		for _, t := range instructionTurns(sp) {
			add("openai-spec", t)
		}
	}
	return out, nil
}

// instructionTurns returns the text of the system and developer turns of
// every example of s, in order.
func instructionTurns(s *spec.Spec) []string {
	var out []string
	for _, ex := range s.Examples() {
		for _, t := range ex.Turns {
			if t.Role == "system" || t.Role == "developer" {
				out = append(out, t.Text)
			}
		}
	}
	return out
}

// XSTest recorded five models' answers. Those of Mistral-7B-Instruct (with
// and without a guardrail prompt; the model is Apache-2.0) are trained on;
// those of GPT-4 and Llama 2, whose terms restrict using their output, only
// measure the model, on the held-out half. They also show how the
// classifiers fare on answers of models they never saw.
var (
	xstestTrainModels = []string{"mistralguard", "mistralinstruct"}
	xstestOtherModels = []string{"gpt4", "llama2new", "llama2orig"}
)

// loadXSTestAnswers reads the models' recorded answers to XSTest's safe
// prompts: ordinary assistant answers (compliance and refusals alike) on
// subjects that sound dangerous. The key is the prompt's id, so an answer
// sits on the same side of the split as its prompt. With train unset, it
// reads nothing of the training half.
func loadXSTestAnswers(dir string, s Split, source string, models []string, train bool) ([]Example, error) {
	if s == TrainSplit && !train {
		return nil, nil
	}
	var out []Example
	for _, model := range models {
		rows, err := readCSV(filepath.Join(dir, "xstest", "model_completions", "xstest_v2_completions_"+model+".csv"))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			id, text := strings.TrimPrefix(r["id"], "v2-"), strings.TrimSpace(r["completion"])
			if strings.HasPrefix(r["type"], "contrast_") || text == "" || parity(id) != s {
				continue
			}
			out = append(out, benign(source, model, id, text))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("xstest answers: no safe-prompt rows in %s", filepath.Join(dir, "xstest", "model_completions"))
	}
	return out, nil
}

// Harmful requests inside harmless text.
//
// The detector scores windows of words, so that a harmful request inside a
// long harmless answer or document still raises its window; but the rest of
// the window dilutes it. embedded measures how much: from each short
// harmful example it makes a copy set in the middle of embedContext words of
// a long harmless text of the same half, with the example's labels. The
// copies are only measured ("embedded" in the figures): out of fold on the
// training half, in the fold of the example they copy, and on the held-out
// half. Trained on, they would teach the words of harmless documents as
// signs of harm.

const (
	embedContext = 48 // words of harmless context around the request
	embedMax     = 32 // longest request embedded, in words
)

// embedded returns the embedded copies of ex's short harmful examples. The
// context, from the benign data sets' texts of at least 2·embedContext
// words, and the place in it are chosen by the FNV-1a hash of the example's
// source and key, so the same data gives the same copies.
func embedded(ex []Example) []Example {
	var contexts [][]string
	for i := range ex {
		if ex[i].Benign && ex[i].Source != "seed" {
			if w := strings.Fields(ex[i].Text); len(w) >= 2*embedContext {
				contexts = append(contexts, w)
			}
		}
	}
	if len(contexts) == 0 {
		return nil
	}
	var out []Example
	for i := range ex {
		e := &ex[i]
		if !e.Harmful || e.Pos == 0 || e.EvalOnly || len(strings.Fields(e.Text)) > embedMax {
			continue
		}
		h := fnv.New64a()
		h.Write([]byte(e.Source + "\x00" + e.Key))
		r := h.Sum64()
		ctx := contexts[r%uint64(len(contexts))]
		r /= uint64(len(contexts))
		at := int(r % uint64(len(ctx)-embedContext+1))
		half := embedContext / 2
		text := strings.Join(ctx[at:at+half], " ") + " " + e.Text + " " + strings.Join(ctx[at+half:at+embedContext], " ")
		out = append(out, Example{Source: "embedded", Group: e.Source, Key: e.Source + ":" + e.Key, FoldKey: e.foldKey(),
			Text: text, Pos: e.Pos, Known: e.Known, Harmful: true, EvalOnly: true})
	}
	return out
}
