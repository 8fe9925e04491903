package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/modelspec/modelspec/internal/anthropic"
	"github.com/modelspec/modelspec/internal/openai"
)

// anthropicBody translates a chat request for an Anthropic upstream, with
// the app's platform message first (Anthropic takes it as system text).
func anthropicBody(req *openai.ChatRequest, prompt []byte) ([]byte, error) {
	if prompt != nil {
		var sys openai.Message
		if err := json.Unmarshal(prompt, &sys); err != nil {
			return nil, err
		}
		copied := *req
		copied.Messages = append([]openai.Message{sys}, req.Messages...)
		req = &copied
	}
	mr, err := anthropic.FromChat(req)
	if err != nil {
		return nil, err
	}
	return json.Marshal(mr)
}

// fromAnthropic turns an Anthropic upstream's response into the OpenAI
// form the rest of the pipeline reads: a chat completion body, or an
// OpenAI SSE stream fed from a goroutine that translates event by event.
func fromAnthropic(resp *http.Response, stream, includeUsage bool, model string, created int64) *http.Response {
	out := *resp
	if !stream {
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		var mr anthropic.MessagesResponse
		if err == nil {
			err = json.Unmarshal(raw, &mr)
		}
		if err != nil {
			out.Body = io.NopCloser(errReader{errors.New("upstream answer is not an Anthropic message: " + errString(err))})
			return &out
		}
		b, err := json.Marshal(anthropic.ToChat(&mr, created))
		if err != nil {
			out.Body = io.NopCloser(errReader{err})
			return &out
		}
		out.Body = io.NopCloser(bytes.NewReader(b))
		return &out
	}
	pr, pw := io.Pipe()
	out.Body = pr
	go func() {
		defer resp.Body.Close()
		t := anthropic.NewStreamTranslator(model, created)
		t.IncludeUsage = includeUsage
		err := openai.ParseSSE(resp.Body, func(ev openai.Event) error {
			chunks, err := t.Event(ev)
			for _, c := range chunks {
				b, merr := json.Marshal(c)
				if merr != nil {
					return merr
				}
				if werr := openai.WriteSSE(pw, b); werr != nil {
					return werr
				}
			}
			var ae *anthropic.Error
			if errors.As(err, &ae) {
				_, e := ae.ToOpenAI()
				b, _ := json.Marshal(e)
				return openai.WriteSSE(pw, b)
			}
			return err
		})
		if err == nil && t.Done() {
			err = openai.WriteSSE(pw, []byte(openai.SSEDone))
		}
		pw.CloseWithError(err)
	}()
	return &out
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
