package train

import (
	"context"
	"math"
	"runtime"
	"testing"

	"github.com/modelspec/modelspec/internal/detect/classify"
	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

// TestReproduce retrains the embedded model from ../shared/data with the
// options recorded in it and checks that it comes out the same: the
// training inputs hash to the recorded checksum, the weights are identical
// on the Go version and architecture that made the model (training is
// deterministic), and elsewhere the held-out figures agree within 0.01.
// It takes a minute of one core:
//
//	MODELSPEC_QUALITY=1 go test ./internal/train -run TestReproduce -v
func TestReproduce(t *testing.T) {
	dt.NeedData(t)
	if testing.Short() {
		t.Skip("retrains the model")
	}
	m := classify.Default()
	prov, err := ReadProvenance(m)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Load(dt.DataDir(), TrainSplit)
	if err != nil {
		t.Fatal(err)
	}
	if got := Checksum(ex); got != prov.Inputs {
		t.Fatalf("training inputs hash to %s, the model records %s: the data or the seed files changed; retrain", got, prov.Inputs)
	}
	o := prov.Options
	o.DataDir = dt.DataDir()
	m2, _, err := Train(context.Background(), o, ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameToolchain := runtime.Version() == prov.GoVersion && runtime.GOARCH == prov.GoArch
	switch {
	case m2.EqualWeights(m):
		t.Logf("retrained model %s has the embedded model's weights exactly", m2.Version())
	case sameToolchain:
		t.Errorf("retrained on %s/%s, the toolchain that made the model, but the weights differ", prov.GoVersion, prov.GoArch)
	default:
		t.Logf("weights differ (model made with %s/%s, this is %s/%s); comparing figures", prov.GoVersion, prov.GoArch, runtime.Version(), runtime.GOARCH)
	}
	held, err := Load(dt.DataDir(), HeldOut)
	if err != nil {
		t.Fatal(err)
	}
	got := Evaluate(m2, held, HeldOut)
	for _, row := range prov.HeldOut.Rows {
		if row.Source != "all" && row.Category != "any" {
			continue
		}
		g, ok := got.Get(row.Source, row.Category)
		if !ok {
			t.Errorf("%s/%s: no figure", row.Source, row.Category)
			continue
		}
		for _, p := range [][3]any{
			{"auprc", row.Metrics.AUPRC, g.AUPRC},
			{"recall", row.Metrics.Recall, g.Recall},
			{"false rate", row.Metrics.FalseRate, g.FalseRate},
		} {
			if d := math.Abs(p[1].(float64) - p[2].(float64)); d > 0.01 {
				t.Errorf("%s/%s %s: retrained %.3f, embedded %.3f", row.Source, row.Category, p[0], p[2], p[1])
			}
		}
	}
}
