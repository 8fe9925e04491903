// Package builtin assembles the detectors that ship with modelspec into one
// registry, so that the gateway, the evaluator and the screen command run
// the same set. It is the only place that knows the list.
package builtin

import (
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/injection"
	"github.com/modelspec/modelspec/internal/detect/rolespoof"
)

// Registry returns a new registry holding every built-in detector.
func Registry() (*detect.Registry, error) {
	return detect.NewRegistry(
		injection.New(),
		rolespoof.New(),
	)
}
