package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"notreasso/internal/config"
)

// healthcheckCmd asks the running server on this machine whether it is
// ready, for container health checks (the image has no curl or shell).
func healthcheckCmd() *cobra.Command {
	var live bool
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 if the local server answers /readyz (or /healthz with --live)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Flags(), os.Environ())
			if err != nil {
				return err
			}
			path := "/readyz"
			if live {
				path = "/healthz"
			}
			u := "http://" + localAddr(cfg.Addr) + path
			resp, err := (&http.Client{Timeout: 8 * time.Second}).Get(u)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("healthcheck: %s answered %s", u, resp.Status)
			}
			return nil
		},
	}
	cmd.Flags().String("addr", "127.0.0.1:8080", "the server's listen address; also NOTREASSO_ADDR")
	cmd.Flags().BoolVar(&live, "live", false, "only check that the process answers (/healthz)")
	return cmd
}

// localAddr turns a listen address into one to connect to on this machine.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
