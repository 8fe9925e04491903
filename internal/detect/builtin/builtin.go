// Package builtin assembles the detectors that ship with modelspec, so that
// the gateway, the evaluator and the screen command run the same set. It is
// the only place that knows the list.
package builtin

import (
	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/injection"
	"github.com/modelspec/modelspec/internal/detect/pii"
	"github.com/modelspec/modelspec/internal/detect/rolespoof"
	"github.com/modelspec/modelspec/internal/detect/secrets"
)

// Chain holds the chain-of-command screens, which the decision core runs
// on particular parts of a conversation (data; user text).
type Chain struct {
	Injection detect.Detector
	RoleSpoof detect.Detector
}

// ChainOfCommand returns the chain-of-command screens.
func ChainOfCommand() (Chain, error) {
	return Chain{Injection: injection.New(), RoleSpoof: rolespoof.New()}, nil
}

// Content returns the content screens, run on every message and answer.
func Content() ([]detect.Detector, error) {
	var ds []detect.Detector
	ds = append(ds, pii.All()...)
	ds = append(ds, secrets.New())
	return ds, nil
}

// Registry returns a new registry holding every built-in detector.
func Registry() (*detect.Registry, error) {
	chain, err := ChainOfCommand()
	if err != nil {
		return nil, err
	}
	content, err := Content()
	if err != nil {
		return nil, err
	}
	return detect.NewRegistry(append([]detect.Detector{chain.Injection, chain.RoleSpoof}, content...)...)
}
