// Command modelspec turns a written Model Spec into software. See
// internal/cli for the commands.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/modelspec/modelspec/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
