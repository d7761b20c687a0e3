package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"notreasso/internal/testutil/tier"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

// A gzip bomb as a snapshot: 256 MiB of zeros in a few hundred KB. The
// restore runs with a 64 MiB limit on the size of the files it writes
// (RLIMIT_FSIZE): one that decompressed first and checked after would hit
// it. A snapshot whose hash does not match is refused before any
// decompression; one whose hash matches (a crafted, self-consistent
// manifest) is cut at the size the manifest records, and refused at once
// when that size is more than the disk has free.
func TestRestoreRefusesGzipBomb(t *testing.T) {
	prlimit := tier.Tool(t, "prlimit", "util-linux")
	srv := server.Start(t, server.Options{})
	srv.Stop()
	if err := os.RemoveAll(srv.Data); err != nil {
		t.Fatal(err)
	}
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 256 {
		zw.Write(zeros)
	}
	zw.Close()
	h := sha256.Sum256(bomb.Bytes())
	t.Logf("bomb: %d bytes, 256 MiB decompressed", bomb.Len())

	for _, tc := range []struct {
		name, sha string
		dbSize    int64
		want      string
	}{
		{"hash mismatch", strings.Repeat("ab", 32), 256 << 20, "is damaged"},
		{"self-consistent", hex.EncodeToString(h[:]), 1 << 20, "decompresses to more than the 1048576 bytes the manifest records"},
		{"claims more than the disk holds", hex.EncodeToString(h[:]), 1 << 50, "are free"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := t.TempDir()
			os.MkdirAll(filepath.Join(target, "meta"), 0o755)
			base := "notreasso-20260101T000000.000Z"
			if err := os.WriteFile(filepath.Join(target, "meta", base+".db.gz"), bomb.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			m, _ := json.Marshal(map[string]any{"format": "notreasso-backup/1", "created": "2026-01-01T00:00:00Z", "snapshot": base + ".db.gz",
				"snapshot_sha256": tc.sha, "snapshot_size": bomb.Len(), "database_size": tc.dbSize, "schema": 1})
			if err := os.WriteFile(filepath.Join(target, "meta", base+".json"), m, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := srv.Command(context.Background(), "restore", target)
			cmd.Args = append([]string{prlimit, fmt.Sprintf("--fsize=%d", 64<<20), "--"}, cmd.Args...)
			cmd.Path = prlimit
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("restore of a gzip bomb: %v\n%s", err, out)
			}
			if _, err := os.Stat(filepath.Join(srv.Data, "meta.db")); err == nil {
				t.Error("a database was put in place")
			}
			t.Logf("%s", bytes.TrimSpace(out))
		})
	}
}

// A snapshot that brings an administrator the running instance does not
// have (a crafted snapshot, or one from another instance): restore says so
// and refuses without --force; with --force it lists the change.
func TestRestoreListsAccountChanges(t *testing.T) {
	ctx := context.Background()
	srv := server.Start(t, server.Options{})
	if out, err := srv.Run(ctx, io.Reader(strings.NewReader("mot de passe de mallory\n")), "user", "add", "mallory", "--admin", "--password-stdin"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := srv.Run(ctx, strings.NewReader("mot de passe de marie\n"), "user", "add", "marie", "--password-stdin"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	target := filepath.Join(t.TempDir(), "sauvegarde")
	if out, err := srv.Run(ctx, nil, "backup", target); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	srv.Stop()
	// The running instance as its administrator knows it: no mallory, and
	// marie a guest.
	execDB(t, srv.Data, `DELETE FROM users WHERE login = 'mallory'`, `UPDATE users SET role = 'guest' WHERE login = 'marie'`)
	before := dumpDB(t, srv.Data)

	out, err := srv.Run(ctx, nil, "restore", target)
	for _, want := range []string{"would change 2 accounts", "+ mallory (admin): an administrator account the running instance does not have",
		"~ marie: role guest → member", "--force"} {
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("restore without --force: %v, output lacks %q:\n%s", err, want, out)
		}
	}
	if strings.Contains(out, "Restored") || dumpDB(t, srv.Data) != before {
		t.Errorf("restore without --force changed the instance:\n%s", out)
	}

	out, err = srv.Run(ctx, nil, "restore", target, "--force")
	if err != nil {
		t.Fatalf("restore --force: %v\n%s", err, out)
	}
	for _, want := range []string{"administrators (2): admin, mallory", "Accounts changed by the restore (2)", "+ mallory (admin)"} {
		if !strings.Contains(out, want) {
			t.Errorf("restore --force output lacks %q:\n%s", want, out)
		}
	}
}
