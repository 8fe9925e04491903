// Package builtin assembles the detectors that ship with modelspec, so that
// the gateway, the evaluator and the screen command run the same set. It is
// the only place that knows the list.
package builtin

import (
	"fmt"
	"os"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/cbrne"
	"github.com/modelspec/modelspec/internal/detect/classify"
	"github.com/modelspec/modelspec/internal/detect/copyright"
	"github.com/modelspec/modelspec/internal/detect/injection"
	"github.com/modelspec/modelspec/internal/detect/pii"
	"github.com/modelspec/modelspec/internal/detect/refusal"
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

// Options select the screens that need the operator's data.
type Options struct {
	// Protected are the texts whose verbatim reproduction the
	// creators'-rights screen reports; none means no such screen.
	Protected []copyright.Document
}

// Content returns the content screens, run on every message and answer.
func Content(opts Options) ([]detect.Detector, error) {
	var ds []detect.Detector
	ds = append(ds, pii.All()...)
	ds = append(ds, secrets.New(), classify.New(), cbrne.New())
	if len(opts.Protected) > 0 {
		ds = append(ds, copyright.New(copyright.Build(opts.Protected)))
	}
	return ds, nil
}

// LoadProtected reads the protected texts from a folder ("" for none).
func LoadProtected(dir string) ([]copyright.Document, error) {
	if dir == "" {
		return nil, nil
	}
	docs, err := copyright.LoadDir(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("protected texts %s: %w", dir, err)
	}
	return docs, nil
}

// Registry returns a new registry holding every built-in detector: the
// chain-of-command and content screens, and the refusal detector, which
// grades answers rather than guarding them (the evaluator's grader).
func Registry(opts Options) (*detect.Registry, error) {
	chain, err := ChainOfCommand()
	if err != nil {
		return nil, err
	}
	content, err := Content(opts)
	if err != nil {
		return nil, err
	}
	return detect.NewRegistry(append([]detect.Detector{chain.Injection, chain.RoleSpoof, refusal.New()}, content...)...)
}
