package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/repo"
	"notreasso/internal/retention"
)

func retentionCmd() *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Show and set how many versions each folder keeps",
		Long: `A folder's rule applies to everything in it, down to the next folder with a
rule of its own; without any, the configured default applies (retention.*).
See docs/retention.md.`,
	}
	cmd.PersistentFlags().StringVar(&as, "as", "admin", "account acting (setting a rule needs the manager role on the folder)")
	cmd.AddCommand(retentionListCmd(&as), retentionShowCmd(&as), retentionSetCmd(&as), retentionClearCmd(&as))
	return cmd
}

func retentionListCmd(as *string) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the folders with a rule of their own",
		Args:  cobra.NoArgs,
		RunE: withApp(func(cmd *cobra.Command, _ []string, a *app) error {
			p, err := principalFor(cmd.Context(), a, *as)
			if err != nil {
				return err
			}
			rules, err := a.repo.History.RetentionRules(cmd.Context(), p)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "FOLDER\tRULE\tNOTE\tSET BY")
			fmt.Fprintf(w, "(default)\t%s\t\t\n", a.repo.History.DefaultRetention())
			for _, r := range rules {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s %s\n", r.Path, r.Policy, r.Note, r.UpdatedBy, r.UpdatedAt.Format("2006-01-02"))
			}
			return w.Flush()
		}),
	}
}

func retentionShowCmd(as *string) *cobra.Command {
	return &cobra.Command{
		Use:   "show PATH",
		Short: "Show the rule that applies at PATH and where it comes from",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			p, err := principalFor(cmd.Context(), a, *as)
			if err != nil {
				return err
			}
			eff, _, err := a.repo.History.Retention(cmd.Context(), p, args[0])
			if err != nil {
				return err
			}
			printRule(cmd.OutOrStdout(), args[0], eff)
			return nil
		}),
	}
}

func printRule(w io.Writer, path string, r repo.RetentionRule) {
	from := "the default (configuration)"
	if !r.IsDefault() {
		from = fmt.Sprintf("the rule of %s, set by %s on %s", r.Path, r.UpdatedBy, r.UpdatedAt.Format("2006-01-02"))
	}
	fmt.Fprintf(w, "%s keeps: %s\n  (%s)\n", path, r.Policy, from)
	if r.Note != "" && !r.IsDefault() {
		fmt.Fprintf(w, "  note: %s\n", r.Note)
	}
	fmt.Fprintln(w, "  Pinned or labelled versions and the current version are always kept.")
}

func retentionSetCmd(as *string) *cobra.Command {
	var keepAll bool
	var keepLast, max int
	var every, hourly, daily, weekly, note string
	cmd := &cobra.Command{
		Use:   "set PATH",
		Short: "Set the rule of a folder (or a file)",
		Example: `  notreasso retention set /Statuts --keep-all --note "statuts : tout garder"
  notreasso retention set /Brouillons --keep-last 10
  notreasso retention set /Compta --daily 90d --weekly 10y... (ages: 1h, 30d, 2w, forever)`,
		Args: cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			p, err := principalFor(cmd.Context(), a, *as)
			if err != nil {
				return err
			}
			pol := a.repo.History.DefaultRetention()
			switch {
			case keepAll && keepLast > 0:
				return fmt.Errorf("--keep-all and --keep-last exclude each other")
			case keepAll:
				pol = retention.Policy{KeepAll: true}
			case keepLast > 0:
				pol = retention.KeepLast(keepLast)
			default:
				if cmd.Flags().Changed("max") {
					pol.MaxVersions = max
				}
				for _, f := range []struct {
					flag string
					val  string
					dst  *time.Duration
				}{{"every", every, &pol.EveryFor}, {"hourly", hourly, &pol.HourlyFor}, {"daily", daily, &pol.DailyFor}, {"weekly", weekly, &pol.WeeklyFor}} {
					if !cmd.Flags().Changed(f.flag) {
						continue
					}
					if *f.dst, err = retention.ParseAge(f.val); err != nil {
						return fmt.Errorf("--%s: %w", f.flag, err)
					}
				}
			}
			eff, err := a.repo.History.SetRetention(cmd.Context(), p, args[0], pol, note)
			if err != nil {
				return err
			}
			printRule(cmd.OutOrStdout(), args[0], eff)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&keepAll, "keep-all", false, "keep every version forever")
	cmd.Flags().IntVar(&keepLast, "keep-last", 0, "keep the N newest versions, whatever their age")
	cmd.Flags().IntVar(&max, "max", 0, "with a schedule: at most this many versions (0: no cap)")
	cmd.Flags().StringVar(&every, "every", "", "keep every version this long (default: the configured one)")
	cmd.Flags().StringVar(&hourly, "hourly", "", "then one per hour up to this age")
	cmd.Flags().StringVar(&daily, "daily", "", "then one per day up to this age")
	cmd.Flags().StringVar(&weekly, "weekly", "", "then one per week up to this age (forever: no limit)")
	cmd.Flags().StringVar(&note, "note", "", "why, for whoever reads the rule later")
	return cmd
}

func retentionClearCmd(as *string) *cobra.Command {
	return &cobra.Command{
		Use:   "clear PATH",
		Short: "Remove the rule of a folder: it follows its parent's again",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(func(cmd *cobra.Command, args []string, a *app) error {
			p, err := principalFor(cmd.Context(), a, *as)
			if err != nil {
				return err
			}
			if err := a.repo.History.ClearRetention(cmd.Context(), p, args[0]); err != nil {
				return err
			}
			eff, _, err := a.repo.History.Retention(cmd.Context(), p, args[0])
			if err != nil {
				return err
			}
			printRule(cmd.OutOrStdout(), args[0], eff)
			return nil
		}),
	}
}
