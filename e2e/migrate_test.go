package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notreasso/internal/testutil/s3server"
	"notreasso/internal/testutil/server"
)

// TestStorageMigrateCLI moves a local-disk instance to S3 with
// `notreasso storage migrate --to s3`: refused while the server runs,
// then copies, switches the configuration file, and the server restarted
// on that file serves every document from the bucket.
func TestStorageMigrateCLI(t *testing.T) {
	ctx := context.Background()
	srv := server.Start(t, server.Options{})
	c := admin(t, srv)
	files := map[string][]byte{
		"/a.txt":       []byte("premier document"),
		"/dossier.bin": bytes.Repeat([]byte("0123456789abcdef"), 3<<16), // 3 MiB
	}
	c.call("POST", "/api/v1/folders/sous", nil, nil)
	files["/sous/b.txt"] = []byte("deuxième document")
	for p, b := range files {
		if st, _ := c.put(p, b); st != 201 {
			t.Fatalf("put %s: %d", p, st)
		}
	}
	s3srv := s3server.New(t)
	cfgPath := filepath.Join(t.TempDir(), "notreasso.yaml")
	cfg := fmt.Sprintf(`# Notre Asso, production
addr: %s   # where it listens
storage:
  backend: fs
  s3:
    endpoint: %s
    region: %s
    bucket: notreasso
    access_key: %s
    secret_key: %s
    tls: false
    path_style: true
    create_bucket: true
`, strings.TrimPrefix(srv.URL, "http://"), s3srv.Endpoint, s3server.Region, s3srv.AccessKey, s3srv.SecretKey)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := srv.Run(ctx, nil, "storage", "migrate", "--to", "s3", "--config", cfgPath)
	if err == nil || !strings.Contains(out, "server is running") {
		t.Fatalf("migrate with the server running: %v\n%s", err, out)
	}
	srv.Stop()
	out, err = srv.Run(ctx, nil, "storage", "migrate", "--to", "s3", "--config", cfgPath)
	t.Logf("migrate:\n%s", out)
	if err != nil || !strings.Contains(out, "3 copied and verified") || !strings.Contains(out, "Configuration switched") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	edited, _ := os.ReadFile(cfgPath)
	if want := strings.Replace(cfg, "backend: fs", "backend: s3", 1); string(edited) != want {
		t.Fatalf("config file after migrate:\n%s\nwant\n%s", edited, want)
	}
	// Again: nothing to copy.
	out, err = srv.Run(ctx, nil, "storage", "migrate", "--to", "s3", "--config", cfgPath, "--no-switch")
	if err != nil || !strings.Contains(out, "0 copied and verified") || !strings.Contains(out, "3 already there") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}

	// The server, restarted on the edited file, reads from the bucket.
	os.RemoveAll(filepath.Join(srv.Data, "blobs")) // prove nothing comes from disk
	srv2 := server.Start(t, server.Options{Data: srv.Data, Env: []string{"NOTREASSO_CONFIG=" + cfgPath}})
	if !strings.Contains(srv2.Out.String(), "storage=s3") {
		t.Errorf("restarted server does not say it uses S3:\n%s", srv2.Out.String())
	}
	c2 := admin(t, srv2)
	for p, b := range files {
		st, got, _ := c2.get(escapePath(p), nil)
		if st != 200 || !bytes.Equal(got, b) {
			t.Errorf("%s from S3: %d, %d bytes, want %d", p, st, len(got), len(b))
		}
	}
}
