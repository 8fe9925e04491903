package copyright_test

import (
	"fmt"
	"testing/fstest"

	"github.com/modelspec/modelspec/internal/detect/copyright"
)

func Example() {
	// At start-up: the operator's folder of protected texts, e.g.
	// os.DirFS("/etc/modelspec/protected").
	folder := fstest.MapFS{
		"lyrics/harbour-lights.md": {Data: []byte("# Harbour Lights\n\n" +
			"Down on the quay where the ropes hang low\nI waited for the boats in the falling snow\n" +
			"You said you'd come when the tide turned round\nBut the tide turned twice and you never came down\n")},
	}
	docs, err := copyright.LoadDir(folder)
	if err != nil {
		panic(err)
	}
	d := copyright.New(copyright.Build(docs))
	d.MinWords, d.MinChars = 20, 0 // lyrics: report a verse and more

	answer := "Sure! It goes: “DOWN on the quay where the ropes hang low / I waited for the boats in the falling snow / " +
		"you said you’d come when the tide turned round...”"
	for _, f := range d.Detect(answer) {
		fmt.Printf("%s %.2f %s\n%q\n", f.Detector, f.Score, f.Evidence, answer[f.Start:f.End])
	}
	// Output:
	// detect.copyright 0.63 lyrics/harbour-lights.md "Harbour Lights" (27 words, 135 chars)
	// "DOWN on the quay where the ropes hang low / I waited for the boats in the falling snow / you said you’d come when the tide turned round"
}

func ExampleDetector_Longest() {
	ix := copyright.Build([]copyright.Document{{ID: "essay.txt", Text: "At the end of the day there is no right way to prune an apple tree that has been left alone."}})
	m := copyright.New(ix).Longest("Honestly, at the end of the day there is no right way to do this.")
	fmt.Println(m.DocID, m.Words, "words, reported:", copyright.New(ix).Score(m) >= 0.5)
	// Output: essay.txt 12 words, reported: false
}
