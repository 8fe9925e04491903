package train

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelspec/modelspec/internal/detect/classify"
	dt "github.com/modelspec/modelspec/internal/detect/detecttest"
)

// TestWriteModel retrains the embedded model and writes it over
// internal/detect/classify/model.bin.gz, the same as `modelspec train`:
//
//	MODELSPEC_TRAIN=1 go test ./internal/train -run TestWriteModel -v -timeout 30m
//
// It is skipped unless MODELSPEC_TRAIN is set (MODELSPEC_TRAIN=v reports
// every epoch).
func TestWriteModel(t *testing.T) {
	if os.Getenv("MODELSPEC_TRAIN") == "" {
		t.Skip("set MODELSPEC_TRAIN=1 to retrain and overwrite the embedded model")
	}
	o := DefaultOptions()
	o.DataDir = dt.DataDir()
	o.Out = filepath.Join("..", "detect", "classify", "model.bin.gz")
	o.Verbose = os.Getenv("MODELSPEC_TRAIN") == "v"
	if err := Run(context.Background(), o, testWriter{t}); err != nil {
		t.Fatal(err)
	}
}

// testWriter sends progress to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// TestCrossValidate prints the cross-validated figures on the training
// half for the default options (or MODELSPEC_TRAIN_OPTS, JSON merged over
// them) and, with MODELSPEC_TRAIN=v, the out-of-fold errors on the benign
// sets and the seed examples: the tool for tuning options and seed examples
// without looking at the held-out half.
//
//	MODELSPEC_TRAIN=1 go test ./internal/train -run TestCrossValidate -v
func TestCrossValidate(t *testing.T) {
	if os.Getenv("MODELSPEC_TRAIN") == "" {
		t.Skip("set MODELSPEC_TRAIN=1 to cross-validate on the training half")
	}
	o := DefaultOptions()
	if s := os.Getenv("MODELSPEC_TRAIN_OPTS"); s != "" {
		if err := json.Unmarshal([]byte(s), &o); err != nil {
			t.Fatal(err)
		}
	}
	ex, err := Load(dt.DataDir(), TrainSplit)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := CrossValidate(context.Background(), o, ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("options %+v\nthresholds %.3f\n%s", o, cv.Thresholds, cv.Report)
	if os.Getenv("MODELSPEC_TRAIN") != "v" {
		return
	}
	for i, e := range ex {
		var flagged, missed []string
		for c, name := range classify.Categories {
			if !e.IsKnown(c) {
				continue
			}
			on := cv.Margins[i][c] >= cv.Thresholds[c]
			if r, ok := classify.Requires[name]; ok {
				// a refining category is found only with the one it refines
				j := slices.Index(classify.Categories, r)
				on = on && cv.Margins[i][j] >= cv.Thresholds[j]
			}
			switch {
			case on && !e.Has(c):
				flagged = append(flagged, name)
			case !on && e.Has(c):
				missed = append(missed, name)
			}
		}
		if len(flagged) > 0 && (e.Benign || e.Source == "seed") {
			t.Logf("false alarm %-12s %-28s %v %.120q", e.Source, e.Group, flagged, e.Text)
		}
		if len(missed) > 0 && e.Source == "seed" {
			t.Logf("missed      %-12s %-28s %v %.120q", e.Source, e.Group, missed, e.Text)
		}
	}
}
