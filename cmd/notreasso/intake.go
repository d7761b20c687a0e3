package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"notreasso/internal/acl"
	"notreasso/internal/intake"
	"notreasso/internal/repo"
)

// newIntake builds the mail intake over the app's repository; its job
// runs under the server's runner.
func newIntake(a *app) *intake.Intake {
	return intake.New(intake.Options{Repo: a.repo, Logger: a.log, Poll: a.cfg.Intake.Poll, Retry: a.cfg.Intake.Retry,
		TempDir: a.repo.Maintenance.SpoolDir()})
}

// intakeCmd manages the mailboxes the server reads (as the web page
// « Courriels entrants » and the API do).
func intakeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "intake", Short: "Mail intake: the IMAP mailboxes whose documents come into folders"}
	cmd.AddCommand(intakeListCmd(), intakeSetCmd(), intakeRuleCmd(), intakeRemoveCmd(), intakeRunCmd())
	return cmd
}

func intakeListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "list", Short: "List the mailboxes, their rules and status", Args: cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, _ []string, a *app) error {
			list, err := a.repo.Intake.Accounts(cmd.Context(), acl.SystemPrincipal())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tSERVER\tMAILBOX\tIMPORTED\tQUARANTINED\tREFUSED\tLAST POLL\tLAST ERROR")
			for _, x := range list {
				poll := "never"
				if !x.Status.LastPoll.IsZero() {
					poll = x.Status.LastPoll.Local().Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(w, "%d\t%s\t%s:%d\t%s\t%d\t%d\t%d\t%s\t%s\n", x.ID, x.Name, x.Host, x.Port, x.Mailbox,
					x.Status.Imported, x.Status.Quarantined, x.Status.Refused, poll, intake.ParseProblem(x.Status.LastError).Detail)
				for i, r := range x.Rules {
					fmt.Fprintf(w, "\t  rule %d: %s %q → %s tags=%s mail=%v attachments=%v\n", i+1, r.Match, r.Value, r.Folder,
						strings.Join(r.Tags, ","), r.KeepMail, r.KeepAttachments)
				}
			}
			return w.Flush()
		})}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// findIntake resolves an account by id or name.
func findIntake(cmd *cobra.Command, a *app, ref string) (repo.IntakeAccount, error) {
	list, err := a.repo.Intake.Accounts(cmd.Context(), acl.SystemPrincipal())
	if err != nil {
		return repo.IntakeAccount{}, err
	}
	for _, x := range list {
		if x.Name == ref || strconv.FormatInt(x.ID, 10) == ref {
			return x, nil
		}
	}
	return repo.IntakeAccount{}, fmt.Errorf("no mailbox %q (see notreasso intake list): %w", ref, repo.ErrNotFound)
}

func intakeSetCmd() *cobra.Command {
	var x repo.IntakeAccount
	var allow string
	var disabled, passwordStdin bool
	cmd := &cobra.Command{Use: "set NAME", Short: "Add a mailbox, or change the settings of the one named NAME",
		Long: "Add a mailbox, or change the settings of the one named NAME (flags not given keep their value).\n" +
			"The password comes from --password-stdin, --password-file or --password-env.",
		Args: cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			cur, err := findIntake(cmd, a, args[0])
			if err != nil {
				cur = repo.IntakeAccount{Name: args[0], Port: 993, Security: "tls", Mailbox: "INBOX", Processed: "flag", Enabled: true}
			}
			f := cmd.Flags()
			set := func(name string, dst *string, v string) {
				if f.Changed(name) {
					*dst = v
				}
			}
			set("host", &cur.Host, x.Host)
			set("security", &cur.Security, x.Security)
			set("login", &cur.Login, x.Login)
			set("password-file", &cur.PasswordFile, x.PasswordFile)
			set("password-env", &cur.PasswordEnv, x.PasswordEnv)
			set("mailbox", &cur.Mailbox, x.Mailbox)
			set("processed", &cur.Processed, x.Processed)
			set("move-to", &cur.ProcessedMailbox, x.ProcessedMailbox)
			set("quarantine", &cur.Quarantine, x.Quarantine)
			if f.Changed("port") {
				cur.Port = x.Port
			}
			if f.Changed("allow") {
				cur.Allow = []string{allow}
			}
			if f.Changed("disabled") {
				cur.Enabled = !disabled
			}
			cur.Password = ""
			if passwordStdin {
				if cur.Password, err = readPassword(cmd.InOrStdin()); err != nil {
					return err
				}
			}
			saved, err := a.repo.Intake.SaveAccount(repo.WithSystemVia(cmd.Context(), "cli"), acl.SystemPrincipal(), cur)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "mailbox %d %q saved; a running server reads it within a minute\n", saved.ID, saved.Name)
			return nil
		})}
	f := cmd.Flags()
	f.StringVar(&x.Host, "host", "", "IMAP server")
	f.IntVar(&x.Port, "port", 993, "port")
	f.StringVar(&x.Security, "security", "tls", "tls, starttls or none")
	f.StringVar(&x.Login, "login", "", "login")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	f.StringVar(&x.PasswordFile, "password-file", "", "read the password from this file at each connection")
	f.StringVar(&x.PasswordEnv, "password-env", "", "read the password from this environment variable of the server")
	f.StringVar(&x.Mailbox, "mailbox", "INBOX", "IMAP folder to read")
	f.StringVar(&x.Processed, "processed", "flag", "after import: flag (keyword $NotreAsso) or move")
	f.StringVar(&x.ProcessedMailbox, "move-to", "", "IMAP folder imported mail is moved to (with --processed move)")
	f.StringVar(&allow, "allow", "", "allowed senders: addresses or domains, comma-separated; * for everyone")
	f.StringVar(&x.Quarantine, "quarantine", repo.DefaultQuarantine, "folder for mail from other senders (administrators only)")
	f.BoolVar(&disabled, "disabled", false, "do not read this mailbox for now")
	return cmd
}

func intakeRuleCmd() *cobra.Command {
	var r repo.IntakeRule
	var tags string
	var remove int
	cmd := &cobra.Command{Use: "rule NAME", Short: "Add a rule to a mailbox (or remove one with --remove N)",
		Example: "  notreasso intake rule asso --match recipient --value compta --folder '/Comptes 2025/Factures' --tags facture,compta",
		Args:    cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			cur, err := findIntake(cmd, a, args[0])
			if err != nil {
				return err
			}
			if remove > 0 {
				if remove > len(cur.Rules) {
					return fmt.Errorf("%s has %d rules: %w", cur.Name, len(cur.Rules), repo.ErrNotFound)
				}
				cur.Rules = append(cur.Rules[:remove-1], cur.Rules[remove:]...)
			} else {
				for t := range strings.SplitSeq(tags, ",") {
					if t = strings.TrimSpace(t); t != "" {
						r.Tags = append(r.Tags, t)
					}
				}
				cur.Rules = append(cur.Rules, r)
			}
			cur.Password = ""
			if _, err := a.repo.Intake.SaveAccount(repo.WithSystemVia(cmd.Context(), "cli"), acl.SystemPrincipal(), cur); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rules of %q saved\n", cur.Name)
			return nil
		})}
	f := cmd.Flags()
	f.StringVar(&r.Match, "match", "default", "recipient, sender, subject or default")
	f.StringVar(&r.Value, "value", "", "address, +tag, domain or subject words")
	f.StringVar(&r.Folder, "folder", "", "target folder (created if missing)")
	f.StringVar(&tags, "tags", "", "tags to add, comma-separated")
	f.BoolVar(&r.KeepMail, "keep-mail", false, "keep the mail itself as .eml")
	f.BoolVar(&r.KeepAttachments, "keep-attachments", true, "keep the attachments")
	f.IntVar(&remove, "remove", 0, "remove rule N (as numbered by intake list) instead")
	return cmd
}

func intakeRemoveCmd() *cobra.Command {
	return &cobra.Command{Use: "remove NAME", Short: "Stop reading a mailbox (what it brought stays)", Args: cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			cur, err := findIntake(cmd, a, args[0])
			if err != nil {
				return err
			}
			return a.repo.Intake.DeleteAccount(repo.WithSystemVia(cmd.Context(), "cli"), acl.SystemPrincipal(), cur.ID)
		})}
}

func intakeRunCmd() *cobra.Command {
	return &cobra.Command{Use: "run NAME", Short: "Read a mailbox once now and import what waits (the server must be stopped)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := openAppExclusive(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			cur, err := findIntake(cmd, a, args[0])
			if err != nil {
				return err
			}
			in := newIntake(a)
			if err := in.RunOnce(cmd.Context(), acl.SystemPrincipal(), cur.ID); err != nil {
				return err
			}
			after, err := a.repo.Intake.Account(cmd.Context(), acl.SystemPrincipal(), cur.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d imported, %d in quarantine, %d refused in all\n", after.Name,
				after.Status.Imported, after.Status.Quarantined, after.Status.Refused)
			return nil
		}}
}
