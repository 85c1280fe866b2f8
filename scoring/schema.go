package scoring

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of the scorecard format.
//
//go:embed scorecard.schema.json
var Schema []byte
