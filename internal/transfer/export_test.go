package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notreasso/internal/repo"
	"notreasso/internal/retention"
)

func readMetadata(t *testing.T, file string) map[string][]map[string]any {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]map[string]any{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("metadata line %q: %v", sc.Text(), err)
		}
		out[m["type"].(string)] = append(out[m["type"].(string)], m)
	}
	return out
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mt := time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	e.r.Tree.MkdirAll(ctx, e.admin, "/Bureau/PV")
	for i, body := range []string{"pv v1", "pv v2", "pv v3"} {
		if _, _, err := e.r.Tree.Put(ctx, e.member, "/Bureau/PV/pv.odt", strings.NewReader(body), repo.PutOptions{Size: int64(len(body)), ModTime: mt.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	e.r.History.LabelVersion(ctx, e.member, "/Bureau/PV/pv.odt", 2, "voté par l'AG du 2026-06-12", true)
	e.r.Tree.SetTags(ctx, e.member, "/Bureau/PV/pv.odt", []string{"AG", "2026"})
	e.r.History.SetRetention(ctx, e.admin, "/Bureau/PV", retention.Policy{KeepAll: true}, "PV : tout garder")
	e.r.Tree.Put(ctx, e.member, "/racine.txt", strings.NewReader("à la racine"), repo.PutOptions{Size: int64(len("à la racine"))})
	e.db.W.Exec(`INSERT INTO groups (id, name, created_at) VALUES (7, 'bureau', 0)`)
	e.db.W.Exec(`INSERT INTO group_members (group_id, user_id) VALUES (7, 2)`)
	e.db.W.Exec(`INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at) SELECT id, 'group', 7, 'manager', 0 FROM nodes WHERE name = 'Bureau'`)
	if _, err := e.db.W.Exec(`INSERT INTO terms (role_id, user_id, holder_login, start_at, created_at) SELECT id, 2, 'marie', ?, 0 FROM roles WHERE seed_key = 'treasurer'`,
		time.Date(2025, 6, 14, 0, 0, 0, 0, time.UTC).UnixNano()); err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "export")
	rep, err := Export(ctx, e.r, dst, ExportOptions{As: e.admin, AllVersions: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 2 || rep.Folders != 2 || rep.Versions != 2 {
		t.Errorf("report %+v", rep)
	}
	for file, want := range map[string]string{"files/Bureau/PV/pv.odt": "pv v3", "files/racine.txt": "à la racine",
		"versions/Bureau/PV/pv.odt/v1.odt": "pv v1", "versions/Bureau/PV/pv.odt/v2.odt": "pv v2"} {
		b, err := os.ReadFile(filepath.Join(dst, file))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", file, b, err, want)
		}
	}
	if st, _ := os.Stat(filepath.Join(dst, "files/Bureau/PV/pv.odt")); !st.ModTime().Equal(mt.Add(2 * time.Hour)) {
		t.Errorf("modification time %v, want %v", st.ModTime(), mt.Add(2*time.Hour))
	}
	md := readMetadata(t, rep.Metadata)
	if h := md["export"]; len(h) != 1 || h[0]["format"] != ExportFormat || h[0]["all_versions"] != true {
		t.Errorf("header %v", h)
	}
	if len(md["user"]) != 3 || len(md["group"]) != 1 || md["group"][0]["members"].([]any)[0] != "marie" {
		t.Errorf("users %v groups %v", md["user"], md["group"])
	}
	if len(md["role"]) != 5 || len(md["term"]) != 1 || md["term"][0]["role"] != "Trésorier·e" || md["term"][0]["login"] != "marie" ||
		md["term"][0]["start"] != "2025-06-14T00:00:00Z" || md["term"][0]["end"] != nil {
		t.Errorf("roles %v terms %v", md["role"], md["term"])
	}
	var pv, bureau map[string]any
	for _, n := range append(md["file"], md["folder"]...) {
		switch n["path"] {
		case "/Bureau/PV/pv.odt":
			pv = n
		case "/Bureau":
			bureau = n
		}
	}
	if pv == nil || bureau == nil {
		t.Fatalf("metadata lacks nodes: %v", md)
	}
	vs := pv["versions"].([]any)
	v2 := vs[1].(map[string]any)
	if len(vs) != 3 || v2["label"] != "voté par l'AG du 2026-06-12" || v2["pinned"] != true || v2["author"] != "marie" ||
		v2["file"] != "versions/Bureau/PV/pv.odt/v2.odt" || pv["file"] != "files/Bureau/PV/pv.odt" {
		t.Errorf("versions %v", pv)
	}
	if tags := pv["tags"].([]any); len(tags) != 2 || tags[0] != "2026" {
		t.Errorf("tags %v", tags)
	}
	if g := bureau["grants"].([]any); len(g) != 1 || g[0].(map[string]any)["to"] != "group:bureau" || g[0].(map[string]any)["role"] != "manager" {
		t.Errorf("grants %v", bureau["grants"])
	}
	for _, n := range md["folder"] {
		if n["path"] == "/Bureau/PV" && (n["retention"] == nil || n["retention"].(map[string]any)["keep_all"] != true) {
			t.Errorf("retention rule %v", n)
		}
	}

	// A member exports what they read; accounts and grants stay out.
	dst2 := filepath.Join(t.TempDir(), "export")
	rep, err = Export(ctx, e.r, dst2, ExportOptions{As: e.member, From: "/Bureau"})
	if err != nil || rep.Files != 1 {
		t.Fatalf("member export: %+v %v", rep, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst2, "files/PV/pv.odt")); string(b) != "pv v3" {
		t.Errorf("member export content %q", b)
	}
	if md := readMetadata(t, rep.Metadata); len(md["user"])+len(md["group"]) != 0 || md["folder"][0]["grants"] != nil {
		t.Errorf("member export shows accounts or grants: %v", md)
	}
	if _, err := Export(ctx, e.r, dst2, ExportOptions{As: e.admin}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("export into a non-empty folder: %v", err)
	}
}

// Content that no longer matches its hash is not exported as if it were
// fine.
func TestExportRefusesCorruptContent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	n, _, err := e.r.Tree.Put(ctx, e.admin, "/reçu.pdf", strings.NewReader("reçu original"), repo.PutOptions{Size: int64(len("reçu original"))})
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(e.dir, "blobs", n.Hash[:2], n.Hash)
	os.Chmod(blob, 0o640)
	if err := os.WriteFile(blob, []byte("reçu abîmé!!!"), 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = Export(ctx, e.r, filepath.Join(t.TempDir(), "x"), ExportOptions{As: e.admin})
	if !errors.Is(err, errCorrupt) {
		t.Errorf("export of corrupt content: %v", err)
	}
}
