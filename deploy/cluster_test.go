package deploy_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"notreasso/internal/testutil/s3server"
	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/testdb"
	"notreasso/internal/testutil/tier"
)

func TestMain(m *testing.M) { testdb.Main(m, server.RemoveBinaries) }

// The cluster's compose file: two interchangeable servers on PostgreSQL
// and S3, the database URL and its password from files, Caddy the only
// published service, in front of both.
func TestComposeCluster(t *testing.T) {
	b, err := os.ReadFile("compose.cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type service struct {
		Build       map[string]string `yaml:"build"`
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Expose      []string          `yaml:"expose"`
		Volumes     []string          `yaml:"volumes"`
		Secrets     []string          `yaml:"secrets"`
		DependsOn   yaml.Node         `yaml:"depends_on"`
		Restart     string            `yaml:"restart"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
		StopGrace   string            `yaml:"stop_grace_period"`
	}
	var c struct {
		Name     string             `yaml:"name"`
		Node     service            `yaml:"x-node"`
		Services map[string]service `yaml:"services"`
		Secrets  map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
		Volumes map[string]any `yaml:"volumes"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt key is an error, as in docker compose
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.cluster.yaml: %v", err)
	}
	var nodes []string
	for name, s := range c.Services {
		if s.Restart == "" {
			t.Errorf("service %s has no restart policy", name)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s uses volume %s, not declared under volumes:", name, src)
			}
		}
		for _, s := range s.Secrets {
			if _, ok := c.Secrets[s]; !ok {
				t.Errorf("service %s uses secret %s, not declared under secrets:", name, s)
			}
		}
		if strings.HasPrefix(s.Image, "notreasso") {
			nodes = append(nodes, name)
			if len(s.Ports) != 0 {
				t.Errorf("%s publishes %v: only Caddy is reached from outside", name, s.Ports)
			}
			if len(s.Volumes) != 1 || !strings.HasSuffix(s.Volumes[0], ":/data") {
				t.Errorf("%s volumes %v: each server has its own data volume (index, spool)", name, s.Volumes)
			}
			for k := range s.Environment {
				checkEnv(t, "compose.cluster.yaml", k)
			}
			if s.Environment["NOTREASSO_DATABASE_URL_FILE"] != "/run/secrets/database_url" || !slices.Contains(s.Secrets, "database_url") {
				t.Errorf("%s: the database URL must come from the database_url secret file: %v %v", name, s.Environment, s.Secrets)
			}
			if s.Environment["NOTREASSO_STORAGE_BACKEND"] != "s3" {
				t.Errorf("%s stores files on %q: servers share one S3 bucket", name, s.Environment["NOTREASSO_STORAGE_BACKEND"])
			}
			var deps map[string]struct {
				Condition string `yaml:"condition"`
			}
			if err := s.DependsOn.Decode(&deps); err != nil || deps["postgres"].Condition != "service_healthy" {
				t.Errorf("%s must wait for a healthy PostgreSQL: %v", name, err)
			}
		}
	}
	slices.Sort(nodes)
	if len(nodes) != 2 {
		t.Fatalf("Notre Asso servers %v, want two", nodes)
	}
	a, b2 := c.Services[nodes[0]], c.Services[nodes[1]]
	if a.Volumes[0] == b2.Volumes[0] {
		t.Errorf("both servers share the data volume %s", a.Volumes[0])
	}
	pg := c.Services["postgres"]
	if !strings.HasPrefix(pg.Image, "postgres:") || pg.Environment["POSTGRES_PASSWORD_FILE"] == "" || len(pg.Healthcheck) == 0 || len(pg.Ports) != 0 {
		t.Errorf("postgres: %+v; want the official image, its password from a file, a health check, nothing published", pg)
	}
	host, port, _ := strings.Cut(a.Environment["NOTREASSO_STORAGE_S3_ENDPOINT"], ":")
	s3, ok := c.Services[host]
	if !ok || !slices.Contains(s3.Expose, port) || len(s3.Ports) != 0 {
		t.Errorf("storage endpoint %s:%s is not an unpublished service of the file", host, port)
	}
	if s3.Environment["ROOT_SECRET_ACCESS_KEY"] != a.Environment["NOTREASSO_STORAGE_S3_SECRET_KEY"] {
		t.Error("the S3 server's secret and the servers' differ")
	}
	caddy := c.Services["caddy"]
	if !slices.Contains(caddy.Volumes, "./Caddyfile.cluster:/etc/caddy/Caddyfile:ro") || !slices.Contains(caddy.Ports, "443:443") {
		t.Errorf("caddy: %+v", caddy)
	}
	for _, n := range nodes {
		if !slices.Contains(strings.Fields(caddy.Environment["NOTREASSO_UPSTREAMS"]), n+":8080") {
			t.Errorf("Caddy's upstreams %q lack %s:8080", caddy.Environment["NOTREASSO_UPSTREAMS"], n)
		}
	}
	example, _ := os.ReadFile("env.example")
	for _, m := range regexpVars.FindAllStringSubmatch(string(b), -1) {
		if !strings.Contains(string(example), m[1]+"=") {
			t.Errorf("compose.cluster.yaml uses ${%s}, missing from env.example", m[1])
		}
	}
}

func caddyEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	return append(append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+home, "XDG_CONFIG_HOME="+home), extra...)
}

// caddyAdapt validates a Caddyfile with the real caddy and returns its
// JSON configuration.
func caddyAdapt(t *testing.T, caddy, file string, env ...string) []byte {
	t.Helper()
	cmd := exec.Command(caddy, "validate", "--config", file, "--adapter", "caddyfile")
	cmd.Env = caddyEnv(t, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("caddy validate %s: %v\n%s", file, err, out)
	}
	cmd = exec.Command(caddy, "adapt", "--config", file, "--adapter", "caddyfile")
	cmd.Env = caddyEnv(t, env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caddy adapt %s: %v", file, err)
	}
	return out
}

func TestCaddyfileCluster(t *testing.T) {
	caddy := tier.Tool(t, "caddy", "caddy")
	js := string(caddyAdapt(t, caddy, "Caddyfile.cluster", "NOTREASSO_DOMAIN=docs.example.org"))
	for _, want := range []string{
		`"dial":"node-a:8080"`, `"dial":"node-b:8080"`, // both servers
		`"uri":"/readyz"`,        // active health checks on readiness
		`"policy":"cookie"`,      // a client keeps to one server (its caches)
		`"flush_interval":-1`,    // stream responses
		`"max_size":20000000000`, // bodies up to max_upload
		`"/metrics"`,             // kept off the Internet
	} {
		if !strings.Contains(js, want) {
			t.Errorf("adapted Caddy configuration lacks %s:\n%s", want, js)
		}
	}
}

// The topology of compose.cluster.yaml without Docker: two `notreasso
// serve` on one PostgreSQL and one versitygw, behind `caddy run` with
// Caddyfile.cluster (its upstreams on loopback). A file uploaded through
// Caddy is listed through Caddy whichever server answers; with one server
// killed, the health check sends every request to the other.
func TestClusterBehindCaddy(t *testing.T) {
	caddy := tier.Tool(t, "caddy", "caddy")
	db := testdb.NewPostgres(t)
	s3 := s3server.New(t)
	o := server.Options{Backend: "s3", S3: s3, Database: db}
	a, b := server.Start(t, o), server.Start(t, o)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	cmd := exec.Command(caddy, "run", "--config", "Caddyfile.cluster", "--adapter", "caddyfile")
	cmd.Env = caddyEnv(t, "NOTREASSO_DOMAIN="+base, "NOTREASSO_CADDY_ADMIN=off",
		"NOTREASSO_UPSTREAMS="+strings.TrimPrefix(a.URL, "http://")+" "+strings.TrimPrefix(b.URL, "http://"))
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("caddy:\n%s", log.String())
		}
	})

	client := &http.Client{Timeout: 30 * time.Second}
	do := func(method, path string, body string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), method, base+path, strings.NewReader(body))
		req.SetBasicAuth("admin", server.AdminPassword)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(got)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if st, _ := do("GET", "/readyz", "", nil); st == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Caddy never answered /readyz")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st, body := do("MKCOL", "/dav/Bureau/", "", nil); st != 201 {
		t.Fatalf("MKCOL through Caddy: %d %s", st, body)
	}
	if st, body := do("PUT", "/dav/Bureau/pv.txt", "Procès-verbal de l'assemblée", nil); st != 201 {
		t.Fatalf("PUT through Caddy: %d %s", st, body)
	}
	// Caddy spreads requests over both servers: each listing, from either,
	// has the file.
	list := func() (int, string) {
		return do("PROPFIND", "/dav/Bureau/", "", map[string]string{"Depth": "1"})
	}
	for i := range 6 {
		if st, body := list(); st != 207 || !strings.Contains(body, "pv.txt") {
			t.Fatalf("listing %d through Caddy: %d %s", i, st, body)
		}
	}
	if st, body := do("GET", "/dav/Bureau/pv.txt", "", nil); st != 200 || body != "Procès-verbal de l'assemblée" {
		t.Fatalf("download through Caddy: %d %q", st, body)
	}

	// One server dies: once the health check has seen it, every request
	// goes to the other.
	killedAt := len(log.String())
	a.Kill()
	deadline = time.Now().Add(30 * time.Second)
	for {
		after := log.String()[killedAt:]
		if strings.Contains(after, "health_checker") && strings.Contains(after, `"host":"`+strings.TrimPrefix(a.URL, "http://")+`"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Caddy's health check never took the killed server out")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := range 20 {
		if st, body := list(); st != 207 || !strings.Contains(body, "pv.txt") {
			t.Fatalf("listing %d with one server killed: %d %s", i, st, body)
		}
	}
	if st, body := do("PUT", "/dav/Bureau/budget.txt", "Budget", nil); st != 201 {
		t.Fatalf("PUT with one server killed: %d %s", st, body)
	}
	if st, body := list(); st != 207 || !strings.Contains(body, "budget.txt") {
		t.Fatalf("listing after the PUT: %d %s", st, body)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
