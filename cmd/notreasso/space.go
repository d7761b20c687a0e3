package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func spaceCmd() *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "space [PATH]",
		Short: "Show how much room a folder or file takes, older versions included",
		Args:  cobra.MaximumNArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			p, err := principalFor(cmd.Context(), a, as)
			if err != nil {
				return err
			}
			path := "/"
			if len(args) == 1 {
				path = args[0]
			}
			u, err := a.repo.Tree.Space(cmd.Context(), p, path)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s: %d files, %d versions\n  current versions  %s\n  older versions    %s (of which pinned or labelled: %d, %s)\n  stored            %s (identical content counted once)\n",
				u.Path, u.Files, u.Versions, formatBytes(u.CurrentBytes), formatBytes(u.HistoryBytes), u.PinnedVersions,
				formatBytes(u.PinnedBytes), formatBytes(u.StoredBytes))
			if u.Path == "/" {
				fmt.Fprintf(out, "  in the trash      %s\n", formatBytes(u.TrashBytes))
			}
			if len(u.Children) == 0 {
				return nil
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(w, "\tCURRENT\tOLDER VERSIONS\tVERSIONS\t")
			for _, k := range u.Children {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t\n", k.Path, formatBytes(k.CurrentBytes), formatBytes(k.HistoryBytes), k.Versions)
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&as, "as", "admin", "account whose view is shown")
	return cmd
}
