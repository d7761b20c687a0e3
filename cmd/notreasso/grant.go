package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

const principalHelp = `PRINCIPAL is user:LOGIN (or just LOGIN), group:NAME, role:NAME (whoever
holds the role now, see notreasso role), members (every
member and administrator, not guests) or public (anyone, without logging in).
ROLE is viewer (read), editor (read, write, delete to the trash) or manager
(editor, plus grants and share links). A grant covers the whole subtree.`

func grantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "grant", Short: "Give roles on folders and files", Long: principalHelp}
	add := groupAction("add PATH PRINCIPAL ROLE", "Give PRINCIPAL the role ROLE on PATH and below (replacing the one it had there)", 3,
		func(a *app, cmd *cobra.Command, args []string) (string, error) {
			to, err := repo.ParseGrantee(args[1])
			if err != nil {
				return "", err
			}
			role, err := acl.ParseRole(args[2])
			if err != nil {
				return "", err
			}
			g, err := a.repo.Access.Grant(cmd.Context(), repo.System, args[0], to, role)
			return fmt.Sprintf("%s is %s on %s", g.Grantee, g.Role, g.Path), err
		})
	remove := groupAction("remove PATH PRINCIPAL [ROLE]", "Remove the grant to PRINCIPAL on PATH (grants on folders above stay)", 0,
		func(a *app, cmd *cobra.Command, args []string) (string, error) {
			to, err := repo.ParseGrantee(args[1])
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("removed the grant to %s on %s", to, args[0]), a.repo.Access.Revoke(cmd.Context(), repo.System, args[0], to)
		})
	remove.Args = cobra.RangeArgs(2, 3) // ROLE is accepted, for symmetry with add, and ignored
	add.Long, remove.Long = principalHelp, principalHelp
	cmd.AddCommand(add, remove, grantListCmd())
	return cmd
}

func grantListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list PATH",
		Short: "List the grants that apply on PATH, inherited ones included",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			_, gs, err := a.repo.Access.Grants(cmd.Context(), repo.System, args[0])
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ON\tPRINCIPAL\tROLE\t")
			for _, g := range gs {
				inherited := ""
				if g.Inherited {
					inherited = "(inherited)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", g.Path, g.Grantee, g.Role, inherited)
			}
			return w.Flush()
		}),
	}
}
