package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	adminPassword = "bench-admin-password"
	s3Access      = "notreasso-bench"
	s3Secret      = "notreasso-bench-secret-key"
)

// httpClient streams bodies; no timeouts on transfers, contexts bound them.
var httpClient = &http.Client{Transport: &http.Transport{
	MaxIdleConnsPerHost: 32,
	DisableCompression:  true,
	WriteBufferSize:     256 << 10,
	ReadBufferSize:      256 << 10,
}}

// notreasso is a running `notreasso serve`.
type notreasso struct {
	*proc
	URL, Data string
	env       []string
	args      []string
	bin       string
	startup   time.Duration // process start → /readyz 200
}

// startNotreasso starts the server on data with extra NOTREASSO_ settings
// and waits for /readyz.
func startNotreasso(ctx context.Context, b *bench, name, data string, env ...string) (*notreasso, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	n := &notreasso{URL: "http://" + addr, Data: data, bin: b.bin,
		env:  append([]string{"NOTREASSO_ADMIN_PASSWORD=" + adminPassword, "NOTREASSO_LOG_LEVEL=warn"}, env...),
		args: []string{"serve", "--data", data, "--addr", addr}}
	return n, n.start(ctx, filepath.Join(b.dir, name+".log"))
}

func (n *notreasso) start(ctx context.Context, logPath string) error {
	return n.startLog(ctx, logPath, 5*time.Minute)
}

// startWithin starts the stopped server again, waiting up to timeout for
// /readyz (which waits for the indexer to catch up).
func (n *notreasso) startWithin(ctx context.Context, timeout time.Duration) error {
	return n.startLog(ctx, n.logPath, timeout)
}

func (n *notreasso) startLog(ctx context.Context, logPath string, timeout time.Duration) error {
	p, err := startProc("notreasso", logPath, n.env, n.bin, n.args...)
	if err != nil {
		return err
	}
	n.proc = p
	n.startup, err = p.waitHTTP(ctx, n.URL+"/readyz", 200, timeout)
	if err != nil {
		p.stop()
	}
	return err
}

// restart stops the process and starts it again on the same data.
func (n *notreasso) restart(ctx context.Context) error {
	n.stop()
	return n.start(ctx, n.logPath)
}

func apiURL(base, path string) string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return base + "/api/v1/files/" + strings.Join(segs, "/")
}

// request sends one request with Basic credentials (if user is set) and
// fails unless the status is one of ok.
func request(ctx context.Context, method, u, user, pass string, body io.Reader, size int64, hdr map[string]string, ok ...int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
	resp.Body.Close()
	return nil, fmt.Errorf("%s %s: %s %s", method, u, resp.Status, strings.TrimSpace(string(msg)))
}

// putFile uploads the file at path with a known length (as curl -T does).
func putFile(ctx context.Context, u, user, pass, path string, hdr map[string]string) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := request(ctx, http.MethodPut, u, user, pass, f, st.Size(), hdr, 200, 201, 204)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(start), nil
}

// getHash downloads u, hashing the body as it arrives.
func getHash(ctx context.Context, u, user, pass string) (sum string, n int64, took time.Duration, err error) {
	start := time.Now()
	resp, err := request(ctx, http.MethodGet, u, user, pass, nil, 0, nil, 200)
	if err != nil {
		return "", 0, 0, err
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err = io.Copy(h, resp.Body)
	if err != nil {
		return "", n, 0, fmt.Errorf("GET %s after %d bytes: %w", u, n, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, time.Since(start), nil
}

// indexed waits until the server's search indexer has caught up with the
// journal: notreasso_index_lag reads 0 twice in a row in /metrics.
func (n *notreasso) indexed(ctx context.Context) error {
	deadline := time.Now().Add(5 * time.Minute)
	zeros := 0
	for zeros < 2 {
		if time.Now().After(deadline) {
			return fmt.Errorf("the indexer did not catch up within 5 minutes")
		}
		resp, err := request(ctx, "GET", n.URL+"/metrics", "admin", adminPassword, nil, 0, nil, 200)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		lag := -1.0
		for line := range strings.Lines(string(body)) {
			if v, ok := strings.CutPrefix(line, "notreasso_index_lag "); ok {
				lag, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return fmt.Errorf("notreasso_index_lag: %w", err)
				}
			}
		}
		if lag < 0 {
			return fmt.Errorf("/metrics has no notreasso_index_lag")
		}
		if lag == 0 {
			zeros++
		} else {
			zeros = 0
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}
