package main

import (
	"fmt"
	"notreasso/internal/pwhash"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
)

func userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage accounts"}
	cmd.AddCommand(userAddCmd(), userPasswdCmd(), userListCmd(), userDisableCmd(), userSetCmd(), userLogoutCmd())
	return cmd
}

func userAddCmd() *cobra.Command {
	var admin, guest, stdin bool
	var display, email, lang string
	cmd := &cobra.Command{
		Use:   "add LOGIN",
		Short: "Create an account (a member unless --admin or --guest)",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			role := acl.Member
			switch {
			case admin && guest:
				return fmt.Errorf("--admin and --guest exclude each other")
			case admin:
				role = acl.Admin
			case guest:
				role = acl.Guest
			}
			pw, printed, err := passwordFrom(cmd, stdin)
			if err != nil {
				return err
			}
			if _, err := a.auth.CreateAccount(cmd.Context(), 0, auth.NewUser{Login: args[0], Password: pw, Role: role,
				DisplayName: display, Email: email, Lang: lang}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s (%s)\n", args[0], role)
			if printed {
				fmt.Fprintf(cmd.OutOrStdout(), "password: %s\n", pw)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&admin, "admin", false, "make the account an administrator")
	cmd.Flags().BoolVar(&guest, "guest", false, "make the account a guest (sees only what is granted to it)")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input instead of generating one")
	cmd.Flags().StringVar(&display, "display-name", "", "the name people see (\"Marie Curie\")")
	cmd.Flags().StringVar(&email, "email", "", "e-mail address")
	cmd.Flags().StringVar(&lang, "lang", "", "interface language: fr or en (default: the browser's)")
	return cmd
}

func passwordFrom(cmd *cobra.Command, stdin bool) (pw string, printed bool, err error) {
	if stdin {
		pw, err = readPassword(cmd.InOrStdin())
		return pw, false, err
	}
	return pwhash.Random(), true, nil
}

func userPasswdCmd() *cobra.Command {
	var stdin bool
	cmd := &cobra.Command{
		Use:   "passwd LOGIN",
		Short: "Set an account's password (generated unless --password-stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			pw, printed, err := passwordFrom(cmd, stdin)
			if err != nil {
				return err
			}
			if err := a.auth.SetPassword(cmd.Context(), 0, args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed\n", args[0])
			if printed {
				fmt.Fprintf(cmd.OutOrStdout(), "password: %s\n", pw)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
	return cmd
}

func userListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, _ []string, a *app) error {
			users, err := a.auth.Users(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "LOGIN\tROLE\tSTATUS\tCREATED\tNAME\tE-MAIL")
			for _, u := range users {
				status := "active"
				if u.Disabled {
					status = "disabled"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Login, u.Role, status, u.CreatedAt.Format("2006-01-02"), u.DisplayName, u.Email)
			}
			return w.Flush()
		}),
	}
}

func userDisableCmd() *cobra.Command {
	var enable bool
	cmd := &cobra.Command{
		Use:   "disable LOGIN",
		Short: "Disable an account (--enable to undo); its files stay",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			if err := a.auth.SetDisabled(cmd.Context(), 0, args[0], !enable); err != nil {
				return err
			}
			state := "disabled"
			if enable {
				state = "enabled"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", args[0], state)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&enable, "enable", false, "re-enable the account")
	return cmd
}

func userSetCmd() *cobra.Command {
	var role, display, email, lang string
	var appOnly bool
	cmd := &cobra.Command{
		Use:   "set LOGIN",
		Short: "Change an account's role, name, e-mail, language or app-password requirement",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			var ch auth.UserChanges
			f := cmd.Flags()
			if f.Changed("role") {
				r := acl.UserRole(role)
				ch.Role = &r
			}
			if f.Changed("display-name") {
				ch.DisplayName = &display
			}
			if f.Changed("email") {
				ch.Email = &email
			}
			if f.Changed("lang") {
				ch.Lang = &lang
			}
			if f.Changed("app-passwords-only") {
				ch.AppPasswordsOnly = &appOnly
			}
			u, err := a.auth.UpdateUser(cmd.Context(), 0, args[0], ch)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, %q, %q, lang %q, app passwords only: %v\n", u.Login, u.Role, u.DisplayName, u.Email, u.Lang, u.AppPasswordsOnly)
			return nil
		}),
	}
	cmd.Flags().StringVar(&role, "role", "", "admin, member or guest")
	cmd.Flags().StringVar(&display, "display-name", "", "the name people see")
	cmd.Flags().StringVar(&email, "email", "", "e-mail address (empty to remove)")
	cmd.Flags().StringVar(&lang, "lang", "", "fr, en, or empty to follow the browser")
	cmd.Flags().BoolVar(&appOnly, "app-passwords-only", false, "WebDAV and API clients must use app passwords")
	return cmd
}

func userLogoutCmd() *cobra.Command {
	return groupAction("logout-everywhere LOGIN", "End every browser session of an account (app passwords stay)", 1,
		func(a *app, cmd *cobra.Command, args []string) (string, error) {
			return "ended every session of " + args[0], a.auth.LogoutEverywhere(cmd.Context(), 0, args[0])
		})
}
