package policy

// Clause ids of the built-in spec that the software cites by itself.
const (
	// ClauseChainOfCommand orders who may instruct.
	ClauseChainOfCommand = "follow_chain_of_command"
	// ClauseUntrustedData says that text in tool output, files and
	// quotations is data. The built-in spec states it in the chain of
	// command; the OpenAI spec gives it a section of its own.
	ClauseUntrustedData = "ignore_untrusted_data"
)

// aliases lists, for each clause the software cites, the ids other
// published specs use for the same idea, most specific first.
var aliases = map[string][]string{
	ClauseChainOfCommand:     {"chain_of_command", "follow_all_applicable_instructions"},
	ClauseUntrustedData:      {ClauseChainOfCommand, "chain_of_command"},
	"comply_with_law":        {"comply_with_laws"},
	"no_information_hazards": {"avoid_info_hazards"},
	"no_nsfw":                {"no_erotica_or_gore", "sexual_content_involving_minors"},
}

// Cite returns the id that the policy's spec uses for clause: the clause
// itself if the spec has it, else the first alias it has, else the clause
// unchanged (so that a citation is never lost, only left unresolved).
func (p *Policy) Cite(clause string) string {
	if p.Spec.Section(clause) != nil {
		return clause
	}
	for _, a := range aliases[clause] {
		if p.Spec.Section(a) != nil {
			return a
		}
	}
	return clause
}
