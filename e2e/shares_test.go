package e2e

import (
	"fmt"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

// A drop box: partners send receipts without seeing anything; a taken
// name gets a free variant, never overwritten nor revealed.
func TestDropBox(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Trésorerie/Reçus?parents=1", nil)
	wd.put("/Trésorerie/Reçus/reçu.pdf", "le reçu de janvier")
	token, _ := wd.share(map[string]any{"path": "/Trésorerie/Reçus", "kind": "dropbox"})

	b := newBrowser(t, wd.srv)
	st, page, _ := b.do("GET", "/s/"+token+"/", nil, nil)
	if st != 200 || !strings.Contains(page, `enctype="multipart/form-data"`) || strings.Contains(page, "reçu.pdf") {
		t.Fatalf("drop box page: %d\n%s", st, page)
	}
	// Without the CSRF token the form is refused and nothing is stored.
	if st, _, _ := b.do("POST", "/s/"+token+"/upload", strings.NewReader(""), map[string]string{"Content-Type": "multipart/form-data; boundary=x"}); st != 403 {
		t.Errorf("upload without CSRF token: %d", st)
	}
	st, page = b.upload("/s/"+token+"/upload", map[string]string{"reçu.pdf": "le reçu de février", "page.html": "<script>alert(document.cookie)</script>"})
	if st != 303 {
		t.Fatalf("upload: %d\n%s", st, page)
	}
	// The thanks page (after a redirect, so a reload sends nothing again)
	// names what was sent, not the names the files got.
	if st, page, _ := b.do("GET", "/s/"+token+"/thanks", nil, nil); st != 200 || !strings.Contains(page, "reçu.pdf") || strings.Contains(page, "reçu (2)") {
		t.Fatalf("thanks page: %d\n%s", st, page)
	}
	// The sender can read nothing back.
	for _, p := range []string{"/browse/", "/file/reçu.pdf", "/file/reçu%20%282%29.pdf"} {
		if st, body, _ := b.do("GET", "/s/"+token+p, nil, nil); st != 404 || strings.Contains(body, "janvier") || strings.Contains(body, "février") {
			t.Errorf("drop box %s: %d", p, st)
		}
	}
	var list struct{ Children []node }
	wd.admin.call("GET", "/api/v1/list/Tr%C3%A9sorerie/Re%C3%A7us", nil, &list)
	var names []string
	for _, n := range list.Children {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, ", "); got != "page.html, reçu (2).pdf, reçu.pdf" {
		t.Errorf("folder holds %s", got)
	}
	if _, got, _ := wd.admin.get(escapePath("/Trésorerie/Reçus/reçu.pdf"), nil); string(got) != "le reçu de janvier" {
		t.Errorf("the existing receipt was overwritten: %q", got)
	}
	// Uploaded HTML never runs in our origin.
	_, _, h := wd.admin.get(escapePath("/Trésorerie/Reçus/page.html"), nil)
	if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("uploaded HTML served as %v", h)
	}
}

// A viewer link with a password and a download limit; revocation; the
// uses in the link's history; tokens kept out of the logs.
func TestViewerLink(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/AG 2026/Annexes?parents=1", nil)
	wd.put("/AG 2026/rapport moral.txt", "rapport")
	wd.put("/AG 2026/Annexes/piège.html", "<script>alert(1)</script>")
	wd.put("/Bureau secret.txt", "secret")
	// Only managers create links: marie is an editor.
	if st := wd.users["marie"].call("POST", "/api/v1/shares", map[string]any{"path": "/AG 2026"}, nil); st != 403 {
		t.Errorf("an editor created a link: %d", st)
	}
	token, id := wd.share(map[string]any{"path": "/AG 2026", "password": "assemblée", "max_downloads": 2, "label": "adhérents"})

	b := newBrowser(t, wd.srv)
	if st, page, _ := b.do("GET", "/s/"+token+"/", nil, nil); st != 401 || !strings.Contains(page, `type="password"`) || strings.Contains(page, "rapport") {
		t.Fatalf("locked link: %d\n%s", st, page)
	}
	unlock := func(pw string) int {
		st, _, _ := b.do("POST", "/s/"+token+"/unlock", strings.NewReader("password="+pw+"&_csrf="+b.cookie("notreasso_csrf")),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		return st
	}
	if st := unlock("faux"); st != 401 {
		t.Errorf("wrong password: %d", st)
	}
	if st := unlock("assembl%C3%A9e"); st != 303 {
		t.Fatalf("right password: %d", st)
	}
	st, page, _ := b.do("GET", "/s/"+token+"/", nil, nil)
	if st != 200 || !strings.Contains(page, "rapport moral.txt") || !strings.Contains(page, "/browse/Annexes") || strings.Contains(page, "Bureau") {
		t.Fatalf("listing: %d\n%s", st, page)
	}
	if st, page, _ := b.do("GET", "/s/"+token+"/browse/Annexes", nil, nil); st != 200 || !strings.Contains(page, "piège.html") {
		t.Errorf("subfolder: %d\n%s", st, page)
	}
	// Nothing outside the link, however the path is spelled.
	for _, p := range []string{"/file/..%2FBureau%20secret.txt", "/file/../Bureau%20secret.txt", "/browse/..", "/file/%2E%2E/Bureau%20secret.txt"} {
		if st, body, _ := b.do("GET", "/s/"+token+p, nil, nil); st == 200 || strings.Contains(body, "secret") {
			t.Errorf("%s: %d %s", p, st, body)
		}
	}
	// HTML through a link is an attachment in a sandbox too.
	st, _, h := b.do("GET", "/s/"+token+"/file/Annexes/pi%C3%A8ge.html", nil, nil)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("HTML through a link: %d %v", st, h)
	}
	if st, body, _ := b.do("GET", "/s/"+token+"/file/rapport%20moral.txt", nil, nil); st != 200 || body != "rapport" {
		t.Errorf("download: %d %q", st, body)
	}
	if st, _, _ := b.do("GET", "/s/"+token+"/file/rapport%20moral.txt", nil, nil); st != 410 {
		t.Errorf("download over the limit: %d, want 410", st)
	}
	// Scripts may send the password in a header. Used up, the link still
	// lists its folder (a listing is not a download), but downloads nothing.
	other := newBrowser(t, wd.srv)
	if st, _, _ := other.do("GET", "/s/"+token+"/", nil, map[string]string{"X-Share-Password": "assemblée"}); st != 200 {
		t.Errorf("used-up link's listing: %d", st)
	}
	if st, _, _ := other.do("GET", "/s/"+token+"/file/rapport%20moral.txt", nil, map[string]string{"X-Share-Password": "assemblée"}); st != 410 {
		t.Errorf("used-up link's download: %d", st)
	}

	var got struct {
		Share struct {
			Downloads int  `json:"downloads"`
			Active    bool `json:"active"`
		} `json:"share"`
		History []struct{ Action string } `json:"history"`
	}
	wd.admin.call("GET", fmt.Sprintf("/api/v1/shares/%d", id), nil, &got)
	var actions []string
	for _, e := range got.History {
		actions = append(actions, e.Action)
	}
	if got.Share.Downloads != 2 || got.Share.Active || !strings.Contains(strings.Join(actions, " "), "share_download share_download") ||
		!strings.Contains(strings.Join(actions, " "), "share_denied") {
		t.Errorf("link state %+v, history %v", got.Share, actions)
	}
	if strings.Contains(wd.srv.Out.String(), token) {
		t.Error("the token appears in the server log")
	}

	// Revocation is immediate.
	token2, id2 := wd.share(map[string]any{"path": "/AG 2026/rapport moral.txt"})
	if st, page, _ := newBrowser(t, wd.srv).do("GET", "/s/"+token2+"/", nil, nil); st != 200 || !strings.Contains(page, "rapport moral.txt") {
		t.Fatalf("file link: %d", st)
	}
	if st := wd.users["marie"].call("DELETE", fmt.Sprintf("/api/v1/shares/%d", id2), nil, nil); st != 404 {
		t.Errorf("an editor revoked a link: %d", st)
	}
	wd.mustCall(204, "DELETE", fmt.Sprintf("/api/v1/shares/%d", id2), nil)
	if st, _, _ := newBrowser(t, wd.srv).do("GET", "/s/"+token2+"/file/", nil, nil); st != 410 {
		t.Errorf("revoked link: %d", st)
	}
	if st, _, _ := newBrowser(t, wd.srv).do("GET", "/s/not-a-token/", nil, nil); st != 404 {
		t.Errorf("junk token: %d", st)
	}
}

// Public folders: readable without logging in, through the API and
// downloads; nothing else is.
func TestPublicFolder(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Public", nil)
	wd.put("/Public/statuts.txt", "statuts")
	wd.put("/Interne.txt", "interne")
	wd.mustCall(200, "POST", "/api/v1/grants/Public", map[string]any{"principal": "public", "role": "viewer"})
	anon := wd.users[""]
	var list struct{ Children []node }
	if st := anon.call("GET", "/api/v1/list/", nil, &list); st != 200 || len(list.Children) != 1 || list.Children[0].Name != "Public" {
		t.Errorf("visitor's root: %d %+v", st, list.Children)
	}
	if st, body, h := anon.get("Public/statuts.txt", nil); st != 200 || string(body) != "statuts" || h.Get("Set-Cookie") != "" {
		t.Errorf("public download: %d %q (a visitor's download must not open a session: %q)", st, body, h.Get("Set-Cookie"))
	}
	if st, _ := anon.put("/Public/tag.txt", []byte("x")); st != 403 {
		t.Errorf("visitor upload: %d", st)
	}
	if st, _, _ := anon.get("Interne.txt", nil); st != 401 {
		t.Errorf("visitor reads a private file: %d", st)
	}
	var ex struct {
		Role    string `json:"role"`
		Summary string `json:"summary"`
	}
	if st := wd.admin.call("GET", "/api/v1/explain/Public/statuts.txt?anonymous=1", nil, &ex); st != 200 || ex.Role != "viewer" ||
		!strings.Contains(ex.Summary, "public is viewer on /Public") {
		t.Errorf("explain: %d %+v", st, ex)
	}
	var audit struct {
		Entries []struct {
			Action  string         `json:"action"`
			Details map[string]any `json:"details"`
		} `json:"entries"`
	}
	wd.admin.call("GET", "/api/v1/admin/audit?category=grants", nil, &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Action != "grant_add" || audit.Entries[0].Details["principal"] != "public" {
		t.Errorf("audit: %+v", audit.Entries)
	}
}
