package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/mail"
	"notreasso/internal/repo"
)

const termHelp = `A term of office gives its holder the role's grants from START (that day,
at midnight, in the server's time zone) until END (the day the term ends:
the rights stop that day at midnight), evaluated at each request: nothing
has to be run when a term ends. Grants name a role as role:NAME (or, for the
roles a new installation starts with, role:president, role:treasurer,
role:secretary, role:board_member, role:referent).`

func roleCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "role", Short: "Manage the association's roles (Treasurer…), which grants can name", Long: termHelp}
	var desc string
	add := groupAction("add NAME", "Create a role", 1, func(a *app, cmd *cobra.Command, args []string) (string, error) {
		o, err := a.auth.CreateOffice(cmd.Context(), 0, args[0], desc)
		return "created role " + o.Name, err
	})
	add.Flags().StringVar(&desc, "description", "", "what the role is for")
	rename := groupAction("rename NAME NEW-NAME", "Rename a role (its grants and terms follow)", 2, func(a *app, cmd *cobra.Command, args []string) (string, error) {
		o, err := a.auth.OfficeByName(cmd.Context(), args[0])
		if err != nil {
			return "", err
		}
		o, err = a.auth.UpdateOffice(cmd.Context(), 0, args[0], args[1], o.Description)
		return "renamed to " + o.Name, err
	})
	cmd.AddCommand(add, rename,
		groupAction("remove NAME", "Delete a role: its grants go, its current terms end now; the register keeps them", 1,
			func(a *app, cmd *cobra.Command, args []string) (string, error) {
				return "deleted role " + args[0], a.auth.DeleteOffice(cmd.Context(), 0, args[0])
			}),
		&cobra.Command{Use: "list", Short: "List the roles and who holds them now", Args: cobra.NoArgs,
			RunE: withApp(func(cmd *cobra.Command, _ []string, a *app) error {
				ctx := cmd.Context()
				os, err := a.auth.Offices(ctx)
				if err != nil {
					return err
				}
				ts, err := a.auth.Terms(ctx, auth.TermFilter{})
				if err != nil {
					return err
				}
				now := a.auth.Now()
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ROLE\tPRINCIPAL\tHELD BY")
				for _, o := range os {
					held := ""
					for _, t := range ts {
						if t.OfficeID == o.ID && t.StateAt(now) == auth.TermCurrent {
							if held != "" {
								held += ", "
							}
							held += t.Login
						}
					}
					fmt.Fprintf(w, "%s\t%s\t%s\n", o.Name, o.Principal(), held)
				}
				return w.Flush()
			})},
	)
	return cmd
}

func termCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "term", Short: "Record terms of office, list the register, send reminders", Long: termHelp}
	var start, end, decision, doc string
	add := groupAction("add ROLE LOGIN", "Record that LOGIN holds ROLE from --start (until --end)", 2,
		func(a *app, cmd *cobra.Command, args []string) (string, error) {
			ctx := cmd.Context()
			in := auth.TermInput{Office: args[0], Login: args[1], Decision: decision}
			var err error
			if in.Start, err = cliDay(start, a.auth.Now()); err != nil {
				return "", err
			}
			if end != "" {
				if in.End, err = cliDay(end, a.auth.Now()); err != nil {
					return "", err
				}
			}
			if doc != "" {
				n, err := a.repo.Tree.Stat(ctx, repo.System, doc)
				if err != nil {
					return "", fmt.Errorf("--decision-doc: %w", err)
				}
				in.DecisionNode = n.ID
			}
			t, err := a.auth.AddTerm(ctx, 0, in)
			return fmt.Sprintf("term %d: %s is %s %s", t.ID, t.Login, t.Office, span(t)), err
		})
	add.Flags().StringVar(&start, "start", "", "first day of the term, YYYY-MM-DD (default: today)")
	add.Flags().StringVar(&end, "end", "", "the day the term ends, YYYY-MM-DD (default: no end)")
	add.Flags().StringVar(&decision, "decision", "", "the decision that elected them (« AG du 14 juin 2026 »)")
	add.Flags().StringVar(&doc, "decision-doc", "", "path of the minutes in the repository")

	var endAt string
	endCmd := groupAction("end ID", "Set the day a term ends (--on YYYY-MM-DD; --on '' for no end)", 1,
		func(a *app, cmd *cobra.Command, args []string) (string, error) {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return "", fmt.Errorf("term %q: %w", args[0], auth.ErrNoTerm)
			}
			var at time.Time
			if endAt != "" {
				if at, err = cliDay(endAt, a.auth.Now()); err != nil {
					return "", err
				}
			}
			t, err := a.auth.SetTermEnd(cmd.Context(), 0, id, at)
			return fmt.Sprintf("term %d: %s is %s %s", t.ID, t.Login, t.Office, span(t)), err
		})
	endCmd.Flags().StringVar(&endAt, "on", "today", "the day the term ends")

	var csvOut bool
	list := &cobra.Command{Use: "list [ROLE]", Short: "The register of terms (« historique des mandats »)", Args: cobra.MaximumNArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			ctx := cmd.Context()
			var f auth.TermFilter
			if len(args) == 1 {
				o, err := a.auth.OfficeByName(ctx, args[0])
				if err != nil {
					return err
				}
				f.OfficeID = o.ID
			}
			ts, err := a.auth.Terms(ctx, f)
			if err != nil {
				return err
			}
			doc := func(t auth.Term) string { return docPath(ctx, a, t) }
			if csvOut {
				return auth.WriteRegisterCSV(cmd.OutOrStdout(), ts, a.auth.Now(), time.Local, doc)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tROLE\tHOLDER\tLOGIN\tSTART\tEND\tSTATE\tDECISION")
			for _, t := range ts {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Office, t.Holder(), t.Login, cliDate(t.Start), cliDate(t.End),
					t.StateAt(a.auth.Now()), t.Decision)
			}
			return w.Flush()
		})}
	list.Flags().BoolVar(&csvOut, "csv", false, "write CSV (for a spreadsheet)")

	cmd.AddCommand(add, endCmd, list,
		groupAction("remove ID", "Delete a term recorded by mistake (to stop a term, end it)", 1,
			func(a *app, cmd *cobra.Command, args []string) (string, error) {
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return "", fmt.Errorf("term %q: %w", args[0], auth.ErrNoTerm)
				}
				return fmt.Sprintf("deleted term %d", id), a.auth.DeleteTerm(cmd.Context(), 0, id)
			}),
		groupAction("remind", fmt.Sprintf("Remind now of the terms ending within %d days (the server does it hourly)", auth.ReminderDays), 0,
			func(a *app, cmd *cobra.Command, args []string) (string, error) {
				// Through the mail queue like the server's job: a reminder
				// claimed here is not sent again by the server.
				var notifier auth.TermNotifier = auth.LogTermNotifier{Log: a.log}
				if m, err := openMail(cmd, a); err == nil {
					notifier = mail.TermReminders{Mailer: m.Mailer, Auth: a.auth}
				} else {
					a.log.Warn("outgoing mail unavailable: reminders are only logged", "err", err)
				}
				n, err := a.auth.RemindTermsEnding(cmd.Context(), notifier)
				return fmt.Sprintf("%d reminder(s)", n), err
			}),
	)
	return cmd
}

func docPath(ctx context.Context, a *app, t auth.Term) string {
	if t.DecisionNode == 0 {
		return ""
	}
	n, err := a.repo.Tree.StatID(ctx, acl.SystemPrincipal(), t.DecisionNode)
	if err != nil {
		return ""
	}
	return n.Path
}

// cliDay reads YYYY-MM-DD (that day at midnight, local time); "" or
// "today" is today.
func cliDay(v string, now time.Time) (time.Time, error) {
	if v == "" || v == "today" {
		y, m, d := now.Local().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.Local), nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a date (YYYY-MM-DD)", auth.ErrInvalid, v)
	}
	return t, nil
}

func cliDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02")
}

func span(t auth.Term) string {
	if t.End.IsZero() {
		return "from " + cliDate(t.Start)
	}
	return "from " + cliDate(t.Start) + " until " + cliDate(t.End)
}
