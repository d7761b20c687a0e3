package backup

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// The SMTP relay's password saved from the admin page stays out of
// snapshots; the rest of the relay's settings are kept.
func TestSnapshotLeavesOutTheRelayPassword(t *testing.T) {
	ctx := context.Background()
	in := open(t, t.TempDir())
	defer in.db.Close()
	if _, err := in.db.W.Exec(`INSERT INTO mail_relay (id, host, port, security, username, password, sender, version, updated_at)
		VALUES (1, 'smtp.example.org', 587, 'starttls', 'asso', 'mot-de-passe-smtp', 'asso@example.org', 1, 0)`); err != nil {
		t.Fatal(err)
	}
	dir, err := OpenDir(filepath.Join(t.TempDir(), "sauvegarde"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Backup(ctx, in.r, dir, Options{TempDir: in.data})
	if err != nil {
		t.Fatal(err)
	}
	dbFile := filepath.Join(t.TempDir(), "snap.db")
	if err := fetchSnapshot(ctx, dir, rep.Manifest, dbFile); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+dbFile+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var host, pw string
	if err := db.QueryRow(`SELECT host, password FROM mail_relay WHERE id = 1`).Scan(&host, &pw); err != nil || host != "smtp.example.org" || pw != "" {
		t.Errorf("relay in the snapshot: host %q, password %q, %v", host, pw, err)
	}
}
