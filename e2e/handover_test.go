package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// The handover (« passation »): when the treasurer's term ends, her
// successor finds the links, drop boxes and collections she made, keeps
// or revokes them; nobody else may open the page; her files stay.
func TestHandoverToSuccessor(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Comptes", nil)
	wd.mustCall(200, "PUT", "/api/v1/restricted/Comptes", map[string]any{"restricted": true})
	wd.mustCall(200, "POST", "/api/v1/grants/Comptes", map[string]any{"principal": "role:treasurer", "role": "manager"})
	start := time.Now().AddDate(-2, 0, 0).Format("2006-01-02")
	term := wd.mustCall(201, "POST", "/api/v1/admin/terms", map[string]any{"role": "treasurer", "login": "marie", "start": start})
	termID := int64(term["id"].(float64))
	marie := wd.users["marie"]
	if st, _ := marie.put("/Comptes/bilan-marie.txt", []byte("bilan")); st != 201 {
		t.Fatalf("marie, treasurer, uploads: %d", st)
	}
	var link, drop struct {
		ID int64 `json:"id"`
	}
	if st := marie.call("POST", "/api/v1/shares", map[string]any{"path": "/Comptes/bilan-marie.txt", "label": "pour le commissaire aux comptes"}, &link); st != 201 {
		t.Fatalf("marie's link: %d", st)
	}
	if st := marie.call("POST", "/api/v1/shares", map[string]any{"path": "/Comptes", "kind": "dropbox", "label": "factures"}, &drop); st != 201 {
		t.Fatalf("marie's drop box: %d", st)
	}
	var col struct {
		ID int64 `json:"id"`
	}
	if st := marie.call("POST", "/api/v1/collections", map[string]any{"title": "Clôture annuelle"}, &col); st != 201 {
		t.Fatalf("marie's collection: %d", st)
	}
	// The assembly: her term ends today, paul's begins.
	today := time.Now().Format("2006-01-02")
	wd.mustCall(200, "PATCH", fmt.Sprintf("/api/v1/admin/terms/%d", termID), map[string]any{"end": today})
	wd.mustCall(201, "POST", "/api/v1/admin/terms", map[string]any{"role": "treasurer", "login": "paul", "start": today})
	page := fmt.Sprintf("/handover/%d", termID)
	html := map[string]string{"Accept": "text/html", "Accept-Language": "fr"}

	for _, login := range []string{"lea", "marie"} { // not a successor; the predecessor herself
		b := newBrowser(t, wd.srv)
		if st := b.login(login, userPassword); st != 200 {
			t.Fatalf("%s logs in: %d", login, st)
		}
		if st, body, _ := b.do("GET", page, nil, html); st != 404 || strings.Contains(body, "factures") {
			t.Errorf("%s opens the handover page: %d", login, st)
		}
		if st, _ := b.form("/do/handover/link", url.Values{"id": {fmt.Sprint(link.ID)}, "keep": {"1"}, "back": {page}}); st != 303 {
			t.Errorf("%s keeps the link: %d", login, st)
		}
	}
	paul := newBrowser(t, wd.srv)
	if st := paul.login("paul", userPassword); st != 200 {
		t.Fatal("paul's login")
	}
	st, body, _ := paul.do("GET", "/account", nil, html)
	if st != 200 || !strings.Contains(body, `href="`+page+`"`) {
		t.Errorf("paul's account page does not lead to the handover: %d", st)
	}
	st, body, _ = paul.do("GET", page, nil, html)
	for _, want := range []string{"pour le commissaire aux comptes", "factures", "Clôture annuelle", "/Comptes/bilan-marie.txt"} {
		if st != 200 || !strings.Contains(body, want) {
			t.Errorf("handover page: %d, %q missing", st, want)
		}
	}
	if st, loc := paul.form("/do/handover/link", url.Values{"id": {fmt.Sprint(link.ID)}, "keep": {"1"}, "back": {page}}); st != 303 || !strings.Contains(loc, "ok=handover_kept") {
		t.Errorf("keep the link: %d %s", st, loc)
	}
	if st, loc := paul.form("/do/handover/link", url.Values{"id": {fmt.Sprint(drop.ID)}, "back": {page}}); st != 303 || !strings.Contains(loc, "ok=handover_revoked") {
		t.Errorf("revoke the drop box: %d %s", st, loc)
	}
	if st, loc := paul.form("/do/handover/collection", url.Values{"id": {fmt.Sprint(col.ID)}, "keep": {"1"}, "back": {page}}); st != 303 || !strings.Contains(loc, "ok=handover_kept") {
		t.Errorf("keep the collection: %d %s", st, loc)
	}
	var shares struct {
		Shares []struct {
			ID        int64  `json:"id"`
			CreatedBy string `json:"created_by"`
			Revoked   any    `json:"revoked"`
		} `json:"shares"`
	}
	wd.admin.call("GET", "/api/v1/shares", nil, &shares)
	for _, s := range shares.Shares {
		if s.ID == link.ID && s.CreatedBy != "paul" {
			t.Errorf("the kept link is still marie's: %+v", s)
		}
	}
	var c struct {
		CreatedBy string `json:"created_by"`
	}
	if wd.admin.call("GET", fmt.Sprintf("/api/v1/collections/%d", col.ID), nil, &c); c.CreatedBy != "paul" {
		t.Errorf("the kept collection: %+v", c)
	}
	st, body, _ = paul.do("GET", page, nil, html)
	if strings.Contains(body, "factures") {
		t.Errorf("the revoked drop box is still offered: %d", st)
	}
	// Her files stay the association's, after her account is disabled.
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/marie", map[string]any{"disabled": true})
	if st, b, _ := wd.users["paul"].get("Comptes/bilan-marie.txt", nil); st != 200 || string(b) != "bilan" {
		t.Errorf("marie's file, read by her successor: %d %q", st, b)
	}
}
