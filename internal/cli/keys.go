package cli

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

func newKeysCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "keys",
		Short: "Make API keys for apps and hash them for the config",
	}, &cobra.Command{
		Use:   "new",
		Short: "Print a new random API key and the key_sha256 to put in the config",
		Args:  rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			b := make([]byte, 24)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			key := "msk-" + hex.EncodeToString(b)
			fmt.Fprintf(c.OutOrStdout(), "key:        %s\nkey_sha256: %s\n", key, hashKey(key))
			fmt.Fprintln(c.ErrOrStderr(), "Give the key to the app; put only key_sha256 in the config. The key is not stored anywhere.")
			return nil
		},
	}, &cobra.Command{
		Use:   "hash",
		Short: "Read a key from standard input and print its key_sha256",
		Args:  rangeArgs(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			line, err := bufio.NewReader(c.InOrStdin()).ReadString('\n')
			if err != nil && err != io.EOF {
				return err
			}
			key := strings.TrimSpace(line)
			if key == "" {
				return usageError("keys hash: give the key on standard input")
			}
			fmt.Fprintln(c.OutOrStdout(), hashKey(key))
			return nil
		},
	})
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
