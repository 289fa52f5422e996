// kubectl built from the k8s.io/kubectl staging module at the API server's version
// (test use only, see scripts/apiserver.sh). Upstream cmd/kubectl's main, plus one mode for
// scripts/kube-dry-run.sh, switched on by TASKRENDER_KUBECTL_BATCH=1:
//   - every warning the server returns is written to stdout as "Warning: ..." the moment its
//     response arrives, without kubectl's de-duplication, so that each warning can be
//     attributed to the object whose result line follows it;
//   - no client-side rate limit (kubectl's default is 5 requests/s after a burst of 10), so
//     that one `apply` of thousands of objects is limited by the server only.
package main

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/plugin"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	batch := os.Getenv("TASKRENDER_KUBECTL_BATCH") == "1"
	ioStreams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	// The same flags as upstream's defaultConfigFlags.
	flags := genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().
		WithDiscoveryBurst(300).WithDiscoveryQPS(50.0).WithWarningPrinter(ioStreams)
	if batch {
		flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
			c.QPS = -1
			return c
		}
	}
	command := cmd.NewDefaultKubectlCommandWithArgs(cmd.KubectlOptions{
		PluginHandler: cmd.NewDefaultPluginHandler(plugin.ValidPluginFilenamePrefixes),
		Arguments:     os.Args,
		ConfigFlags:   flags,
		IOStreams:     ioStreams,
	})
	if batch {
		upstream := command.PersistentPreRunE
		command.PersistentPreRunE = func(c *cobra.Command, args []string) error {
			err := upstream(c, args)
			rest.SetDefaultWarningHandler(rest.NewWarningWriter(os.Stdout, rest.WarningWriterOptions{}))
			return err
		}
	}
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
