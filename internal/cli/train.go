package cli

import (
	"github.com/spf13/cobra"

	"github.com/modelspec/modelspec/internal/train"
)

func newTrainCmd() *cobra.Command {
	o := train.DefaultOptions()
	c := &cobra.Command{
		Use:   "train [--data DIR] [--out FILE]",
		Short: "Train the content classifiers from the labelled data sets",
		Long: `Train builds the content classifiers' model (hazard, sexual, sexual_minors,
hate, harassment, violence, self_harm) from the training parts of the data sets
in --data, with the options recorded in the model's header, and writes it
atomically to --out. The embedded model in the binary was made this way; the
same data and options give the same weights. Progress goes to standard error.`,
		Args: rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			return train.Run(c.Context(), o, c.ErrOrStderr())
		},
	}
	c.Flags().StringVar(&o.DataDir, "data", o.DataDir, "folder of the shared data sets")
	c.Flags().StringVar(&o.Out, "out", o.Out, "model file to write")
	c.Flags().Uint64Var(&o.Seed, "seed", o.Seed, "shuffling seed (the only randomness)")
	c.Flags().IntVar(&o.Epochs, "epochs", o.Epochs, "passes over the training data")
	return c
}
