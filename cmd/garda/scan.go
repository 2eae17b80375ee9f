package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// scanCommands are garda scan's sub-commands by name; each file registers
// its own in an init() (scan_validate.go: validate), so that the files of
// the scan engines stay independent.
var scanCommands = map[string]func(args []string) error{}

func scanCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scan validate DIR",
		Short: "Work with scan checks: validate nuclei templates",
		Long: `garda scan validate DIR loads every nuclei template under DIR and prints one
JSON line per file; it exits 1 when any template does not load.
Run "garda scan validate --help" for details.`,
		// the sub-commands parse their own flags
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				if sub, ok := scanCommands[args[0]]; ok {
					return sub(args[1:])
				}
			}
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			names := make([]string, 0, len(scanCommands))
			for n := range scanCommands {
				names = append(names, n)
			}
			sort.Strings(names)
			fmt.Fprintln(os.Stderr, cmd.Long)
			return errors.New("garda scan: name a sub-command: " + strings.Join(names, ", "))
		},
	}
}
