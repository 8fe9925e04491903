package policy_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/specload"
)

const bipiaDir = "../../../shared/data/bipia"

// bipiaCases builds conversations the way BIPIA forms its test cases: each
// attack instruction of the test split inserted at the start, the middle or
// the end of an email, which then reaches the model as a tool result (the
// email client's output) or pasted by the user inside an <untrusted> block
// or a fenced block.
func bipiaCases(t *testing.T) (emails []string, attacks []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(bipiaDir, "email/test.jsonl"))
	if err != nil {
		t.Skipf("BIPIA not available: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var row struct{ Context string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		emails = append(emails, row.Context)
	}
	for _, name := range []string{"text_attack_test.json", "code_attack_test.json"} {
		b, err := os.ReadFile(filepath.Join(bipiaDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var byCat map[string][]string
		if err := json.Unmarshal(b, &byCat); err != nil {
			t.Fatal(err)
		}
		cats := make([]string, 0, len(byCat))
		for c := range byCat {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, c := range cats {
			attacks = append(attacks, byCat[c]...)
		}
	}
	return emails, attacks
}

func insert(context, attack string, where int) string {
	switch where {
	case 0:
		return attack + "\n" + context
	case 1:
		mid := strings.LastIndex(context[:len(context)/2], "\n") + 1
		return context[:mid] + attack + "\n" + context[mid:]
	}
	return context + "\n" + attack
}

// TestBIPIAChainOfCommand checks, over every BIPIA test attack in every
// position of a real email, that the chain of command holds whatever the
// detectors say: an email returned by a tool has no authority, and one the
// user pastes inside <untrusted> or a fence is a data span that contains
// the whole attack. The injection detector's flag rate is logged; its
// measured quality is in docs/quality.md.
func TestBIPIAChainOfCommand(t *testing.T) {
	emails, attacks := bipiaCases(t)
	res, err := specload.Load("")
	if err != nil {
		t.Fatal(err)
	}
	p := policy.Effective(res.Spec, nil, nil)
	opts := detectors(t)
	total, flagged := 0, 0
	for i, attack := range attacks {
		email := emails[i%len(emails)]
		for where := range 3 {
			doc := insert(email, attack, where)
			msgs := []policy.Message{
				{Role: "system", Content: "You are an email assistant. Answer the user's question about their inbox."},
				{Role: "user", Content: "What is the sender asking me to do?"},
				{Role: "assistant", ToolCalls: []policy.ToolCall{{ID: "c1", Name: "read_email", Arguments: `{"id": 1}`}}},
				{Role: "tool", ToolCallID: "c1", Content: doc},
			}
			d := policy.Decide(p, msgs, opts)
			if m := d.Messages[3]; m.Authority != "none" || !m.Data || m.Name != "read_email" {
				t.Fatalf("tool message = %+v", m)
			}
			for _, f := range d.Findings {
				if *f.Message != 3 {
					t.Errorf("finding outside the data: %+v", f)
				}
			}
			total++
			if len(d.Findings) > 0 {
				flagged++
			}
			// Four backticks: the code attacks carry ``` fences of their
			// own, and CommonMark closes a fence only with a longer one.
			for _, wrap := range []string{"<untrusted>\n%s\n</untrusted>", "````\n%s\n````"} {
				user := "Is this email a scam?\n" + strings.Replace(wrap, "%s", doc, 1) + "\nAnswer yes or no."
				d := policy.Decide(p, []policy.Message{{Role: "user", Content: user}}, opts)
				start := strings.Index(user, attack)
				covered := false
				for _, s := range d.Messages[0].Spans {
					covered = covered || (s.Start <= start && start+len(attack) <= s.End)
				}
				if !covered {
					t.Fatalf("attack %q not inside a data span: %+v", attack, d.Messages[0].Spans)
				}
			}
		}
	}
	t.Logf("%d BIPIA attack placements; injection flagged in %d tool results (%.1f%%)", total, flagged, 100*float64(flagged)/float64(total))
}
