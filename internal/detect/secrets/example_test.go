package secrets_test

import (
	"fmt"

	"github.com/modelspec/modelspec/internal/detect/secrets"
)

func ExampleDetector_Detect() {
	msg := "Deploy failed. My config:\nAWS_ACCESS_KEY_ID=AKIAQ3EGRT7VZPLKX5MN\nAWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX\n"
	for _, f := range secrets.New().Detect(msg) {
		fmt.Printf("%s %.2f %q\n", f.Evidence, f.Score, msg[f.Start:f.End])
	}
	// Output:
	// aws-access-token 0.90 "AKIAQ3EGRT7VZPLKX5MN"
}

func ExampleParse() {
	d, err := secrets.Parse([]byte(`
[[rules]]
id = "acme-token"
regex = '''\b(acme_[a-z0-9]{24})\b'''
entropy = 3
keywords = ["acme_"]

[[rules]]
id = "bad-regex"
regex = '''acme(?=_)'''
keywords = ["acme"]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.RuleIDs(), len(d.Warnings()), "skipped")
	text := "token: acme_k3j9x2m8q7w4e1r6t5y0u2i8"
	for _, f := range d.Detect(text) {
		fmt.Println(f.Evidence, text[f.Start:f.End])
	}
	// Output:
	// [acme-token] 1 skipped
	// acme-token acme_k3j9x2m8q7w4e1r6t5y0u2i8
}
