package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"notreasso/internal/testutil/server"
)

// scrape reads /metrics like Prometheus does.
func scrape(t *testing.T, srv *server.Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include want, and whether it exists.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsScrape(t *testing.T) {
	t.Parallel()
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	body := bytes.Repeat([]byte("compte rendu de l'assemblée générale\n"), 3000)
	if st, _ := c.put("/AG/compte-rendu.txt", body); st != 404 && st != 201 {
		t.Fatalf("put: %d", st)
	}
	c.call("POST", "/api/v1/folders/AG", nil, nil)
	if st, _ := c.put("/AG/compte-rendu.txt", body); st != 201 {
		t.Fatalf("put: %d", st)
	}
	if st, got, _ := c.get("AG/compte-rendu.txt", nil); st != 200 || len(got) != len(body) {
		t.Fatalf("get: %d", st)
	}
	for _, p := range []string{"/", "/dav/", "/s/inconnu"} {
		resp := c.do("GET", p, nil, nil)
		resp.Body.Close()
	}

	// An upload whose body is still arriving counts as in flight.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /api/v1/files/AG/lent.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: 2000000\r\n\r\n",
		basic("admin", server.AdminPassword))
	conn.Write(bytes.Repeat([]byte("y"), 1_000_000))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, _ := value(scrape(t, srv), "notreasso_uploads_in_flight", nil); v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("notreasso_uploads_in_flight never reached 1 during a slow upload")
		}
		time.Sleep(50 * time.Millisecond)
	}
	conn.Write(bytes.Repeat([]byte("y"), 1_000_000))
	buf := make([]byte, 512)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, _ := conn.Read(buf); !bytes.Contains(buf[:n], []byte(" 201 ")) {
		t.Fatalf("slow upload answer: %q", buf[:n])
	}

	fams := scrape(t, srv)
	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"notreasso_http_requests_total", map[string]string{"door": "api", "method": "PUT", "code": "201"}, 2},
		{"notreasso_http_requests_total", map[string]string{"door": "api", "method": "GET", "code": "200"}, 1},
		{"notreasso_http_requests_total", map[string]string{"door": "ui", "method": "GET", "code": "200"}, 1},
		{"notreasso_http_requests_total", map[string]string{"door": "dav", "method": "GET"}, 1},
		{"notreasso_http_requests_total", map[string]string{"door": "share", "method": "GET"}, 1},
		{"notreasso_http_request_duration_seconds", map[string]string{"door": "api"}, 4},
		{"notreasso_http_request_bytes_total", map[string]string{"door": "api"}, float64(2*len(body) + 2_000_000)},
		{"notreasso_http_response_bytes_total", map[string]string{"door": "api"}, float64(len(body))},
		{"notreasso_uploads_in_flight", nil, 0},
		{"notreasso_index_lag", nil, 0},
		{"notreasso_storage_errors_total", map[string]string{"backend": "fs", "op": "put"}, 0},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1 << 20},
	}
	for _, ck := range checks {
		v, ok := value(fams, ck.name, ck.labels)
		if !ok || v < ck.min {
			t.Errorf("%s%v = %v (present %v), want >= %v", ck.name, ck.labels, v, ok, ck.min)
		}
	}
	if v, _ := value(fams, "notreasso_uploads_in_flight", nil); v != 0 {
		t.Errorf("uploads in flight after all finished: %v", v)
	}
	if v, _ := value(fams, "notreasso_storage_errors_total", map[string]string{"backend": "fs", "op": "put"}); v != 0 {
		t.Errorf("storage errors on a healthy disk: %v", v)
	}
}

func readyz(t *testing.T, srv *server.Server) (int, map[string]any) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// waitReady polls /readyz until it answers want.
func waitReady(t *testing.T, srv *server.Server, want int, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, body := readyz(t, srv)
		if st == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after %v, want %d: %v", st, within, want, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The server stays alive but reports not-ready while its S3 server is
// down, and ready again once it is back, without a restart.
func TestReadyzFollowsStorage(t *testing.T) {
	t.Parallel()
	srv := server.Start(t, server.Options{Backend: "s3"})
	waitReady(t, srv, 200, 10*time.Second)

	addr := strings.TrimPrefix(srv.URL, "http://")
	if out, err := srv.Run(t.Context(), nil, "healthcheck", "--addr", addr); err != nil {
		t.Errorf("notreasso healthcheck on a ready server: %v %s", err, out)
	}

	srv.S3.Kill()
	body := waitReady(t, srv, 503, 20*time.Second)
	if out, err := srv.Run(t.Context(), nil, "healthcheck", "--addr", addr); err == nil || !strings.Contains(out, "503") {
		t.Errorf("notreasso healthcheck with S3 down: %v %s", err, out)
	}
	if out, err := srv.Run(t.Context(), nil, "healthcheck", "--live", "--addr", addr); err != nil {
		t.Errorf("notreasso healthcheck --live with S3 down: %v %s", err, out)
	}
	checks, _ := body["checks"].(map[string]any)
	if checks["storage"] == "ok" || checks["database"] != "ok" {
		t.Errorf("checks while S3 is down: %v", checks)
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz while S3 is down: %v %v", resp, err)
	}
	if v, _ := value(scrape(t, srv), "notreasso_storage_errors_total", map[string]string{"backend": "s3", "op": "ping"}); v < 1 {
		t.Errorf("failed pings not counted: %v", v)
	}

	srv.S3.Start()
	waitReady(t, srv, 200, 20*time.Second)
}

// A large upload must stream: the server's resident memory stays far below
// the file's size (it once read the whole body into memory: 2× its size).
func TestLargeUploadMemoryIsFlat(t *testing.T) {
	t.Parallel()
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	const size = 256 << 20
	body := io.LimitReader(rand.NewChaCha8([32]byte{9}), size)
	req, err := http.NewRequest("PUT", srv.URL+"/api/v1/files/gros.bin", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.SetBasicAuth(c.user, c.pass)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	if peak := srv.PeakRSS(); peak > 100<<20 {
		t.Errorf("server peak RSS %d MiB during a %d MiB upload; want < 100 MiB", peak>>20, size>>20)
	}
}
