package openai

// CompletionTexts reads the text of each choice of a chat completion, as
// Choice.Message.Text() would give it after decoding the completion whole,
// without decoding the rest: the gateway screens those texts and, when it
// changes none, sends the upstream's bytes on as they came, so decoding
// ids, usage, logprobs and tool calls would be wasted work.
//
// It reads only the common shape: choices as an array of objects whose
// message's content is a string, null or absent, every name written in
// its exact case and at most once. For anything else (content as an array
// of parts, "Choices", a repeated "message") it returns ErrChunkShape and
// the caller decodes the completion whole, so that the two readings never
// disagree. Malformed JSON is a *DecodeError.
func CompletionTexts(data []byte) ([]string, error) {
	if off, err := checkSyntax(data); err != nil {
		line, col := position(data, off)
		return nil, &DecodeError{Line: line, Col: col, Msg: syntaxMessage(err)}
	}
	var texts []string
	seen := false
	err := members(rootNode(data), func(key []byte, v node) error {
		switch {
		case string(key) == "choices":
			if seen {
				return ErrChunkShape
			}
			seen = true
			if v.isNull() {
				return nil
			}
			return elements(v, func(e node) error {
				s, err := choiceMessageText(e)
				texts = append(texts, s)
				return err
			})
		case foldsTo(key, "choices"):
			return ErrChunkShape
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return texts, nil
}

// choiceMessageText reads message.content of one choice.
func choiceMessageText(n node) (string, error) {
	var text string
	seen := false
	err := members(n, func(key []byte, v node) error {
		switch {
		case string(key) == "message":
			if seen {
				return ErrChunkShape
			}
			seen = true
			content := false
			return members(v, func(key []byte, f node) error {
				switch {
				case string(key) == "content":
					if content {
						return ErrChunkShape
					}
					content = true
					switch f.raw[0] {
					case 'n':
						return nil
					case '"':
						s, err := unquote(f.raw)
						if err != nil {
							return ErrChunkShape
						}
						text = s
						return nil
					}
					return ErrChunkShape
				case foldsTo(key, "content"):
					return ErrChunkShape
				}
				return nil
			})
		case foldsTo(key, "message"):
			return ErrChunkShape
		}
		return nil
	})
	return text, err
}
