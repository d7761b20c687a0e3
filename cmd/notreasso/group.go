package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func groupCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "group", Short: "Manage groups of accounts (grants can name them)"}
	member := &cobra.Command{Use: "member", Short: "Add accounts to a group or take them out"}
	member.AddCommand(
		groupAction("add GROUP LOGIN", "Put an account in a group", 2, func(a *app, cmd *cobra.Command, args []string) (string, error) {
			return fmt.Sprintf("%s is in %s", args[1], args[0]), a.auth.AddMember(cmd.Context(), 0, args[0], args[1])
		}),
		groupAction("remove GROUP LOGIN", "Take an account out of a group", 2, func(a *app, cmd *cobra.Command, args []string) (string, error) {
			return fmt.Sprintf("%s is no longer in %s", args[1], args[0]), a.auth.RemoveMember(cmd.Context(), 0, args[0], args[1])
		}),
	)
	cmd.AddCommand(
		groupAction("add NAME", "Create a group", 1, func(a *app, cmd *cobra.Command, args []string) (string, error) {
			g, err := a.auth.CreateGroup(cmd.Context(), 0, args[0])
			return "created group " + g.Name, err
		}),
		groupAction("remove NAME", "Delete a group, its memberships and every grant to it", 1, func(a *app, cmd *cobra.Command, args []string) (string, error) {
			return "deleted group " + args[0], a.auth.DeleteGroup(cmd.Context(), 0, args[0])
		}),
		groupListCmd(),
		member,
	)
	return cmd
}

// groupAction is a command that opens the data directory, does one thing
// and prints one line.
func groupAction(use, short string, nargs int, run func(a *app, cmd *cobra.Command, args []string) (string, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			msg, err := run(a, cmd, args)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		}),
	}
}

func groupListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List groups and their members",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, _ []string, a *app) error {
			groups, err := a.auth.Groups(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "GROUP\tMEMBERS")
			for _, g := range groups {
				fmt.Fprintf(w, "%s\t%s\n", g.Name, strings.Join(g.Members, ", "))
			}
			return w.Flush()
		}),
	}
}
