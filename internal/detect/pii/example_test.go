package pii_test

import (
	"fmt"

	"github.com/modelspec/modelspec/internal/detect"
	"github.com/modelspec/modelspec/internal/detect/pii"
)

func ExampleAll() {
	r, _ := detect.NewRegistry(pii.All()...)
	text := "Dear Emily Johnson, we will call +44 20 7946 0958 and refund card 4111 1111 1111 1111."
	for _, f := range r.Run(text) {
		fmt.Printf("%s %s %q\n", f.Category, f.Evidence, text[f.Start:f.End])
	}
	// Output:
	// person name_cue "Emily Johnson"
	// phone phone_intl "+44 20 7946 0958"
	// card card_visa "4111 1111 1111 1111"
}
