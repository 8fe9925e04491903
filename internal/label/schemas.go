package label

import "embed"

// Schemas holds the JSON Schemas (draft 2020-12) of the export formats:
// openai_preference.schema.json and preference_pairs.schema.json. The
// tests validate every exported line against them.
//
//go:embed schemas/*.schema.json
var Schemas embed.FS

// SchemaFile names the schema of each export format in Schemas.
var SchemaFile = map[string]string{
	FormatOpenAI: "schemas/openai_preference.schema.json",
	FormatPairs:  "schemas/preference_pairs.schema.json",
}
