// Package deploy_test checks the deployment files: the Dockerfile with
// BuildKit's own parser, the compose file's services, ports and volumes,
// the Caddyfile with `caddy validate`, the systemd unit with
// `systemd-analyze`. .ci/run installs caddy and systemd.
package deploy_test

import (
	"encoding/json"
	"notreasso/internal/testutil/tier"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"go.yaml.in/yaml/v3"

	"notreasso/internal/config"
)

// knownEnv is every NOTREASSO_ variable the binary reads.
func knownEnv() []string {
	names := []string{"NOTREASSO_CONFIG", "NOTREASSO_ADMIN_PASSWORD"}
	for _, k := range config.Keys() {
		names = append(names, config.EnvName(k))
	}
	return names
}

func checkEnv(t *testing.T, where, name string) {
	t.Helper()
	if strings.HasPrefix(name, "NOTREASSO_") && !slices.Contains(knownEnv(), name) {
		t.Errorf("%s sets %s, which Notre Asso does not read (known: %v)", where, name, knownEnv())
	}
}

type instruction struct {
	cmd   string // lower case: from, run, copy…
	flags []string
	args  []string
}

func TestDockerfile(t *testing.T) {
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	var stages [][]instruction
	for _, n := range res.AST.Children {
		in := instruction{cmd: strings.ToLower(n.Value), flags: n.Flags}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		if in.cmd == "from" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			if in.cmd != "arg" {
				t.Fatalf("%s before the first FROM", in.cmd)
			}
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	// The builder's Go is the one go.mod asks for.
	goMod, _ := os.ReadFile("../go.mod")
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if len(build[0].args) < 3 || !strings.HasPrefix(build[0].args[0], "golang:"+string(goVer[1])) || strings.ToLower(build[0].args[1]) != "as" {
		t.Errorf("build stage: FROM %v, want golang:%s… AS name", build[0].args, goVer[1])
	}
	buildName := build[0].args[2]
	static := false
	for _, in := range build {
		line := strings.Join(in.args, " ")
		if in.cmd == "run" && strings.Contains(line, "CGO_ENABLED=0") && strings.Contains(line, "go build") && strings.Contains(line, "./cmd/notreasso") {
			static = true
		}
	}
	if !static {
		t.Error("build stage has no `CGO_ENABLED=0 go build … ./cmd/notreasso`: the binary would not be static")
	}
	base := final[0].args[0]
	if base != "scratch" && !strings.HasPrefix(base, "gcr.io/distroless/static") {
		t.Errorf("runtime stage FROM %s: want scratch or distroless/static (the binary is static)", base)
	}
	seen := map[string][]string{}
	for _, in := range final {
		seen[in.cmd] = append(seen[in.cmd], strings.Join(in.args, " "))
		if in.cmd == "copy" && !slices.Contains(in.flags, "--from="+buildName) {
			t.Errorf("runtime COPY %v without --from=%s: only the build output belongs there", in.args, buildName)
		}
		if in.cmd == "env" {
			for i := 0; i+1 < len(in.args); i += 3 { // name, value, separator
				checkEnv(t, "Dockerfile", in.args[i])
			}
		}
	}
	if u := seen["user"]; len(u) != 1 || strings.HasPrefix(u[0], "root") || strings.HasPrefix(u[0], "0") {
		t.Errorf("USER %v: the server must not run as root", u)
	}
	if e := seen["entrypoint"]; len(e) != 1 || !strings.Contains(e[0], "notreasso") {
		t.Errorf("ENTRYPOINT %v", e)
	}
	if !slices.Contains(seen["expose"], "8080") || len(seen["healthcheck"]) != 1 || len(seen["volume"]) != 1 {
		t.Errorf("want EXPOSE 8080, a HEALTHCHECK and a VOLUME: %v", seen)
	}
	if _, err := os.Stat("../.dockerignore"); err != nil {
		t.Errorf("no .dockerignore: the build context would include .tools and data: %v", err)
	}
}

type composeFile struct {
	Services map[string]struct {
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Expose      []string          `yaml:"expose"`
		Volumes     []string          `yaml:"volumes"`
		Profiles    []string          `yaml:"profiles"`
		DependsOn   []string          `yaml:"depends_on"`
		Restart     string            `yaml:"restart"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func TestCompose(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true) // a misspelt key is an error, as in docker compose
	if err := dec.Decode(&struct {
		Name     string `yaml:"name"`
		Services any    `yaml:"services"`
		Volumes  any    `yaml:"volumes"`
	}{}); err != nil {
		t.Fatalf("compose.yaml top level: %v", err)
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	app, ok := c.Services["notreasso"]
	if !ok || app.Build == nil {
		t.Fatalf("no notreasso service built from the repository: %+v", c.Services)
	}
	if _, err := os.Stat(filepath.Join(app.Build.Context, app.Build.Dockerfile)); err != nil {
		t.Errorf("build: %v", err)
	}
	if !slices.Contains(app.Ports, "127.0.0.1:8080:8080") {
		t.Errorf("notreasso ports %v: publish 8080 on loopback only (HTTPS comes from the proxy)", app.Ports)
	}
	if !slices.Contains(app.Volumes, "notreasso-data:/data") {
		t.Errorf("notreasso volumes %v: the data directory must be a named volume on /data", app.Volumes)
	}
	for name := range app.Environment {
		checkEnv(t, "compose.yaml", name)
	}
	// The S3 endpoint names a service of this file listening on that port.
	host, port, _ := strings.Cut(app.Environment["NOTREASSO_STORAGE_S3_ENDPOINT"], ":")
	s3, ok := c.Services[host]
	if !ok || app.Environment["NOTREASSO_STORAGE_BACKEND"] != "s3" {
		t.Fatalf("storage endpoint %q is not a service of compose.yaml", host)
	}
	if !slices.Contains(s3.Expose, port) || !strings.Contains(strings.Join(s3.Command, " "), ":"+port) || len(s3.Ports) != 0 {
		t.Errorf("s3 service: command %v expose %v ports %v; want it listening on %s, not published", s3.Command, s3.Expose, s3.Ports, port)
	}
	if !slices.Contains(app.DependsOn, host) {
		t.Errorf("notreasso does not depend on %s", host)
	}
	if s3.Environment["ROOT_ACCESS_KEY_ID"] != app.Environment["NOTREASSO_STORAGE_S3_ACCESS_KEY"] ||
		s3.Environment["ROOT_SECRET_ACCESS_KEY"] != app.Environment["NOTREASSO_STORAGE_S3_SECRET_KEY"] {
		t.Error("the S3 server's credentials and Notre Asso's differ")
	}
	for name, svc := range c.Services {
		if svc.Restart == "" {
			t.Errorf("service %s has no restart policy", name)
		}
		for _, v := range svc.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s uses volume %s, not declared under volumes:", name, src)
			}
		}
	}
	// Variables without a default must be explained in env.example.
	example, _ := os.ReadFile("env.example")
	for _, m := range regexpVars.FindAllStringSubmatch(string(b), -1) {
		if !strings.Contains(string(example), m[1]+"=") {
			t.Errorf("compose.yaml uses ${%s}, missing from env.example", m[1])
		}
	}
}

// regexpVars finds the ${VAR}, ${VAR:-default} and ${VAR:?message} of a
// compose file.
var regexpVars = regexp.MustCompile(`\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}`)

func TestCaddyfile(t *testing.T) {
	caddy := tier.Tool(t, "caddy", "caddy")
	out := caddyAdapt(t, caddy, "Caddyfile", "NOTREASSO_DOMAIN=docs.example.org")
	var cfg any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	js := string(out)
	for _, want := range []string{
		`"docs.example.org"`, // the site, from NOTREASSO_DOMAIN
		`"handler":"reverse_proxy"`, `"dial":"127.0.0.1:8080"`,
		`"flush_interval":-1`,    // stream responses
		`"max_size":20000000000`, // bodies up to max_upload
		`"/metrics"`,             // kept off the Internet
	} {
		if !strings.Contains(js, want) {
			t.Errorf("adapted Caddy configuration lacks %s:\n%s", want, js)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	analyze := tier.Tool(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile("notreasso.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart exists: point it at a real executable.
	dir := t.TempDir()
	bin := filepath.Join(dir, "notreasso")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "notreasso.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/notreasso", bin)), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out) // it warns, exit 0, on bad values
	}
	// Exposure 0 (locked) … 10 (unprotected); fail above 2.0.
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v):\n%s", err, out)
	}
	for _, want := range []string{"ExecStart=/usr/local/bin/notreasso serve", "User=notreasso", "StateDirectory=notreasso", "TimeoutStopSec=45s"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %s", want)
		}
	}
}
