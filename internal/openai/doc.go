// Package openai holds the OpenAI Chat Completions wire format: requests,
// messages, responses, streaming chunks, error bodies and server-sent events,
// and the conversions between them and bytes.
//
// It is pure translation. It must never import net/http or database/sql, never
// read the clock or the environment, and never perform I/O beyond the
// io.Reader and io.Writer it is handed, so that the gateway, the evaluator and
// the command line decode and encode a conversation in exactly the same way.
//
// Decoding is lossless where a gateway needs it to be: members this package
// does not know, at the request, message and content-part level, are kept in
// Extra and written back untouched, so that a request can be passed upstream
// with fields added after this code was written. [DecodeConversation] is the
// strict entry point: it also validates roles, content and tool calls and
// reports the first problem as a [DecodeError] naming the field path, line and
// column.
//
// Encoding appends into one buffer ([ChatRequest.AppendJSON]) without a
// second compaction pass, and [ReadChunk] reads a streamed chunk's text
// without decoding the rest, so that a gateway can change the text and send
// the chunk on ([ChunkText.Rewrite]) with everything else as it came.
package openai
