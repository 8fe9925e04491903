package openai

import "encoding/json"

// Object names of responses.
const (
	ObjectChatCompletion      = "chat.completion"
	ObjectChatCompletionChunk = "chat.completion.chunk"
)

// Finish reasons.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
	FinishFunctionCall  = "function_call" // legacy
)

// ChatCompletion is the body of a non-streamed chat completion.
type ChatCompletion struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"` // ObjectChatCompletion
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	Choices           []Choice `json:"choices"`
	Usage             *Usage   `json:"usage,omitempty"`
	ServiceTier       string   `json:"service_tier,omitempty"`
	SystemFingerprint string   `json:"system_fingerprint,omitempty"`
}

// MarshalJSON writes nil Choices as [] rather than null, since clients
// iterate over them.
func (c ChatCompletion) MarshalJSON() ([]byte, error) {
	type plain ChatCompletion
	p := plain(c)
	if p.Choices == nil {
		p.Choices = []Choice{}
	}
	return json.Marshal(p)
}

// Choice is one of a completion's choices.
type Choice struct {
	Index        int       `json:"index"`
	Message      Message   `json:"message"`
	FinishReason string    `json:"finish_reason"`
	Logprobs     *Logprobs `json:"logprobs"` // null unless requested
}

// Logprobs are the log probabilities of a choice's tokens.
type Logprobs struct {
	Content []TokenLogprob `json:"content"`
	Refusal []TokenLogprob `json:"refusal"`
}

// TokenLogprob is the log probability of one output token and of the most
// likely alternatives.
type TokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []TopLogprob `json:"top_logprobs"`
}

// TopLogprob is one alternative token.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// Usage counts the tokens of a request.
type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// PromptTokensDetails breaks down the prompt tokens.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
	AudioTokens  int `json:"audio_tokens"`
}

// CompletionTokensDetails breaks down the completion tokens.
type CompletionTokensDetails struct {
	ReasoningTokens          int `json:"reasoning_tokens"`
	AudioTokens              int `json:"audio_tokens"`
	AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
	RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
}

// ChatCompletionChunk is one event of a streamed chat completion. With
// stream_options.include_usage the last chunk before [DONE] carries Usage
// and no choices.
type ChatCompletionChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"` // ObjectChatCompletionChunk
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	Choices           []ChunkChoice `json:"choices"`
	Usage             *Usage        `json:"usage,omitempty"`
	ServiceTier       string        `json:"service_tier,omitempty"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
	Obfuscation       string        `json:"obfuscation,omitempty"`
}

// MarshalJSON writes nil Choices as [] rather than null.
func (c ChatCompletionChunk) MarshalJSON() ([]byte, error) {
	type plain ChatCompletionChunk
	p := plain(c)
	if p.Choices == nil {
		p.Choices = []ChunkChoice{}
	}
	return json.Marshal(p)
}

// ChunkChoice is the change to one choice that a chunk carries.
type ChunkChoice struct {
	Index int   `json:"index"`
	Delta Delta `json:"delta"`
	// FinishReason is null until the choice's last chunk.
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *Logprobs `json:"logprobs"`
}

// Delta is the text and calls a chunk adds to a choice. Content and Refusal
// are pointers because OpenAI distinguishes "" (the first chunk) from absent.
type Delta struct {
	Role         string             `json:"role,omitempty"`
	Content      *string            `json:"content,omitempty"`
	Refusal      *string            `json:"refusal,omitempty"`
	ToolCalls    []ToolCallDelta    `json:"tool_calls,omitempty"`
	FunctionCall *FunctionCallDelta `json:"function_call,omitempty"` // legacy
}

// ToolCallDelta is a piece of a tool call. Index says which call of the
// choice it extends; ID, Type and the function name come in the first piece
// and the arguments arrive in fragments to be concatenated.
type ToolCallDelta struct {
	Index    int                `json:"index"`
	ID       string             `json:"id,omitempty"`
	Type     string             `json:"type,omitempty"`
	Function *FunctionCallDelta `json:"function,omitempty"`
}

// FunctionCallDelta is a piece of a function call. Arguments is written even
// when empty, as OpenAI writes it, since clients concatenate it.
type FunctionCallDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}
