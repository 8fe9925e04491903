// Package anthropic holds Anthropic's Messages API wire format (POST
// /v1/messages: requests, responses, streaming events and error bodies) and
// its translation to and from the OpenAI Chat Completions format of package
// openai, so that the gateway can serve OpenAI clients from an Anthropic
// upstream.
//
// It is pure translation. It must never import net/http, never read the
// clock, the environment or the network, and never perform I/O: the gateway
// sends the request with the headers named here and hands back bytes and
// parsed events. Time enters only as the created timestamp a caller passes.
//
// The translation is lossy where the two APIs differ; every loss is either
// an error (a request that cannot be served faithfully, such as n > 1) or
// listed in MessagesRequest.Dropped for the caller to log. The package
// documentation of each function says what it maps and how.
package anthropic
