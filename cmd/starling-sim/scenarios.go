package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"starling/sim"
)

// newScenarios lists the built-in scenarios, or prints one: what a person
// with only the binary starts their own scenario from.
func newScenarios() *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios [NAME]",
		Short: "List the built-in scenarios, or print one's YAML",
		Long: `Without NAME, list the built-in scenarios with what each simulates. With NAME,
print that scenario's YAML file: save it, change it and run it with
starling-sim FILE.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("scenarios takes at most one name (see `%s --help`)", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if len(args) == 1 {
				b, err := sim.BuiltinYAML(args[0])
				if err != nil {
					return usageError{err}
				}
				_, err = out.Write(b)
				return err
			}
			w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			for _, name := range sim.Builtins() {
				sc, err := sim.Builtin(name)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%s\n", name, sc.Description)
			}
			return w.Flush()
		},
	}
}
