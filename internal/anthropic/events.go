package anthropic

import (
	"bytes"
	"encoding/json"
)

// Events returns the stream of events in which the API would send resp, in
// its documented order: message_start (the message with no content and no
// stop reason yet), then for each block content_block_start (the first
// followed by a ping), content_block_delta for each piece and
// content_block_stop, then
// message_delta with the stop reason and the cumulative usage, and
// message_stop.
//
// split cuts a text block's text, and a tool_use block's input as compact
// JSON text, into the pieces of its deltas, at rune boundaries (a piece is
// sent as a JSON string); nil sends each whole. A tool's
// input starts, as the API's does, with an empty fragment. Blocks of other
// types are sent whole in their content_block_start.
func Events(resp *MessagesResponse, split func(string) []string) []StreamEvent {
	if split == nil {
		split = func(s string) []string { return []string{s} }
	}
	start := *resp
	start.Content = Content{}
	start.StopReason, start.StopSequence = "", ""
	start.Usage.OutputTokens = min(resp.Usage.OutputTokens, 1)
	evs := []StreamEvent{{Type: EventMessageStart, Message: &start}}
	for i, b := range resp.Content {
		startBlock := func(cb *ContentBlock) {
			evs = append(evs, StreamEvent{Type: EventContentBlockStart, Index: i, ContentBlock: cb})
			if i == 0 {
				evs = append(evs, StreamEvent{Type: EventPing})
			}
		}
		switch b.Type {
		case BlockText:
			startBlock(&ContentBlock{Type: BlockText})
			for _, piece := range split(b.Text) {
				if piece != "" {
					evs = append(evs, StreamEvent{Type: EventContentBlockDelta, Index: i, Delta: Delta{Type: DeltaText, Text: piece}})
				}
			}
		case BlockToolUse:
			startBlock(&ContentBlock{Type: BlockToolUse, ID: b.ID, Name: b.Name, Input: json.RawMessage("{}")})
			evs = append(evs, StreamEvent{Type: EventContentBlockDelta, Index: i, Delta: Delta{Type: DeltaInputJSON}})
			var input bytes.Buffer
			if json.Compact(&input, b.Input) != nil || input.String() == "{}" {
				input.Reset()
			}
			for _, piece := range split(input.String()) {
				if piece != "" {
					evs = append(evs, StreamEvent{Type: EventContentBlockDelta, Index: i, Delta: Delta{Type: DeltaInputJSON, PartialJSON: piece}})
				}
			}
		default:
			block := b
			startBlock(&block)
		}
		evs = append(evs, StreamEvent{Type: EventContentBlockStop, Index: i})
	}
	if len(resp.Content) == 0 {
		evs = append(evs, StreamEvent{Type: EventPing})
	}
	u := resp.Usage
	evs = append(evs,
		StreamEvent{Type: EventMessageDelta, Delta: Delta{StopReason: resp.StopReason, StopSequence: resp.StopSequence},
			Usage: &DeltaUsage{OutputTokens: u.OutputTokens, InputTokens: &u.InputTokens,
				CacheCreationInputTokens: &u.CacheCreationInputTokens, CacheReadInputTokens: &u.CacheReadInputTokens}},
		StreamEvent{Type: EventMessageStop})
	return evs
}
