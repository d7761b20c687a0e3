package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/mail"
)

// mailCmd: the queue of outgoing mail from the command line (the admin
// page « E-mails » shows the same). The running server delivers; these
// commands only read and write the queue.
func mailCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "mail", Short: "Outgoing e-mail: the queue, a test message"}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Show the queue: waiting, sent, abandoned, and the latest messages",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, _ []string, a *app) error {
			m, err := openMail(cmd, a)
			if err != nil {
				return err
			}
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			st, err := m.Outbox.Stats(ctx)
			if err != nil {
				return err
			}
			relay := a.cfg.Mail.Host
			if relay == "" {
				relay = "none configured (mail.host): messages wait"
			}
			fmt.Fprintf(out, "relay: %s\nwaiting %d, sent %d, abandoned %d\n", relay, st.Waiting, st.Sent, st.Failed)
			if st.LastError != "" {
				fmt.Fprintf(out, "last error: %s\n", st.LastError)
			}
			recent, err := m.Outbox.Recent(ctx, 20)
			if err != nil || len(recent) == 0 {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "\nCREATED\tTO\tKIND\tSTATE")
			for _, e := range recent {
				state := "waiting"
				switch {
				case !e.SentAt.IsZero():
					state = "sent " + e.SentAt.Format(time.DateTime)
				case !e.FailedAt.IsZero():
					state = "abandoned: " + e.LastError
				case e.Attempts > 0:
					state = fmt.Sprintf("%d attempts, next %s: %s", e.Attempts, e.NextAt.Format(time.DateTime), e.LastError)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.CreatedAt.Format(time.DateTime), e.To, e.Kind, state)
			}
			return w.Flush()
		}),
	}, &cobra.Command{
		Use:   "test ADDRESS",
		Short: "Queue a test e-mail to ADDRESS (the running server sends it within a minute)",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			m, err := openMail(cmd, a)
			if err != nil {
				return err
			}
			if err := m.Mailer.Notify(cmd.Context(), mail.Recipient{Email: args[0], Lang: "fr"}, mail.Test{By: "notreasso mail test"}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "queued a test e-mail to %s; `notreasso mail status` shows when it is sent\n", args[0])
			return nil
		}),
	}, &cobra.Command{
		Use:   "retry",
		Short: "Make every waiting or abandoned message due at once",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, _ []string, a *app) error {
			m, err := openMail(cmd, a)
			if err != nil {
				return err
			}
			n, err := m.Outbox.RetryNow(cmd.Context())
			if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "%d messages due again\n", n)
			}
			return err
		}),
	})
	return cmd
}

func openMail(cmd *cobra.Command, a *app) (*mail.Service, error) {
	return mail.New(cmd.Context(), mail.Options{DB: a.db, Repo: a.repo, Auth: a.auth, Config: a.cfg, Logger: a.log})
}
