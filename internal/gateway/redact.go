package gateway

import (
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/openai"
	"github.com/modelspec/modelspec/internal/policy"
	"github.com/modelspec/modelspec/internal/redact"
)

// redactions masks, in the request, the spans of findings whose action is
// redact, with typed placeholders ([SECRET_1], [EMAIL_2]); the same value
// gets the same placeholder. The originals stay in the gateway, in the
// masker's vault, and are put back into the answer.
type redactions struct {
	masker *redact.Masker
}

func redactMessages(p *policy.Policy, msgs []openai.Message, fs []detect.Finding) *redactions {
	perMsg := map[int][]detect.Finding{}
	for _, f := range fs {
		if f.Message != nil && p.CheckAction(f.Category) == policy.Redact {
			perMsg[*f.Message] = append(perMsg[*f.Message], f)
		}
	}
	m := redact.NewMasker()
	for i, mfs := range perMsg {
		msgs[i].Content = openai.TextContent(m.Mask(msgs[i].Text(), mfs))
	}
	return &redactions{masker: m}
}

// restore puts the originals back into an answer.
func (v *redactions) restore(s string) string { return v.masker.Restore(s) }

func (v *redactions) streamRestorer() *redact.StreamRestorer {
	return redact.NewStreamRestorer(v.masker.Vault())
}
