package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// Terms of office against the real server, whose clock the test moves (a
// testclock build, see internal/clock): the treasurer reads « Comptes »
// through every door from the first day of her term, not before, until
// the day it ends, not after; her successor, elected that day, from that
// day; the register keeps her term.

const comptesDoc = "bilancomptable de l'exercice 2029"

// comptesDoors says, for each door, whether c sees /Comptes/bilan-2029.txt
// (its name, its content). A door that neither shows it nor answers as
// for a missing path fails the test.
func comptesDoors(t *testing.T, wd *world, c *client, viaSession *cookieClient) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	named := func(door string, st int, body string) {
		t.Helper()
		switch {
		case st >= 200 && st < 300:
			out[door] = strings.Contains(body, "bilan-2029")
		case st == 404: // it answers as for a path that does not exist (naming only the path asked for)
			out[door] = false
		default:
			t.Errorf("%s: unexpected status %d: %.300s", door, st, body)
		}
	}
	st, body := raw(c, "GET", "/api/v1/list/Comptes")
	named("api list", st, body)
	st, b, _ := c.get("Comptes/bilan-2029.txt?download=1", nil)
	if st == 200 && string(b) != comptesDoc {
		t.Errorf("download: wrong content %q", b)
	}
	named("api download", st, strings.ReplaceAll(string(b), comptesDoc, "bilan-2029"))
	resp := c.do("PROPFIND", "/dav/Comptes/", strings.NewReader(""), map[string]string{"Depth": "1"})
	pb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	named("webdav propfind", resp.StatusCode, string(pb))
	resp = c.do("GET", "/dav/Comptes/bilan-2029.txt", nil, nil)
	gb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	named("webdav get", resp.StatusCode, strings.ReplaceAll(string(gb), comptesDoc, "bilan-2029"))
	sst, r := c.search("bilancomptable")
	found := false
	for _, h := range r.Hits {
		found = found || h.Path == "/Comptes/bilan-2029.txt"
	}
	if sst != 200 || (!found && r.Total != 0) {
		t.Errorf("search: status %d, %d hits counted but not shown", sst, r.Total)
	}
	out["search"] = found
	st, body = raw(c, "GET", "/api/v1/feeds/folder/Comptes")
	named("folder feed", st, body)
	st, body = raw(c, "GET", "/api/v1/feeds/all.atom")
	named("feed of everything", st, body)
	st, body = raw(c, "GET", "/api/v1/activity")
	named("activity", st, body)
	if viaSession != nil {
		st, body, _ := viaSession.do("GET", "/api/v1/list/Comptes", nil, nil)
		named("browser session", st, body)
	}
	return out
}

func expectDoors(t *testing.T, who, when string, got map[string]bool, want bool) {
	t.Helper()
	for door, sees := range got {
		if sees != want {
			t.Errorf("%s, %s: %s shows « Comptes »: %v, want %v", when, who, door, sees, want)
		}
	}
}

func TestTreasurerTermEndsAtItsDate(t *testing.T) {
	wd := newWorld(t, server.Options{Clock: true})
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	wd.srv.SetClock(at("2030-01-10 09:00:00"))
	wd.mustCall(201, "POST", "/api/v1/folders/Comptes", nil)
	wd.put("/Comptes/bilan-2029.txt", comptesDoc)
	wd.mustCall(200, "PUT", "/api/v1/restricted/Comptes", map[string]any{"restricted": true})
	g := wd.mustCall(200, "POST", "/api/v1/grants/Comptes", map[string]any{"principal": "role:treasurer", "role": "viewer"})
	if g["principal"] != "role:Trésorier·e" {
		t.Fatalf("grant: %v", g)
	}
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/marie", map[string]any{"display_name": "Marie Curie"})
	wd.mustCall(201, "POST", "/api/v1/admin/terms", map[string]any{"role": "Trésorier·e", "login": "marie",
		"start": "2030-01-01", "end": "2030-06-14", "decision": "AG du 1er janvier 2030"})
	// The successor is elected at the general assembly of 14 June.
	wd.mustCall(201, "POST", "/api/v1/admin/terms", map[string]any{"role": "treasurer", "login": "paul", "start": "2030-06-14"})
	waitFound(t, wd.admin, "bilancomptable", "/Comptes/bilan-2029.txt")
	marie, paul := wd.users["marie"], wd.users["paul"]
	session := newBrowser(t, wd.srv)
	if st := session.login("marie", userPassword); st != 200 {
		t.Fatalf("marie's login: %d", st)
	}

	// Before her term: nothing.
	wd.srv.SetClock(at("2029-12-31 23:59:00"))
	expectDoors(t, "marie", "before her term", comptesDoors(t, wd, marie, session), false)
	// The last minute of her term: every door, same session, same password.
	wd.srv.SetClock(at("2030-06-13 23:59:00"))
	expectDoors(t, "marie", "the evening before the assembly", comptesDoors(t, wd, marie, session), true)
	expectDoors(t, "paul", "the evening before the assembly", comptesDoors(t, wd, paul, nil), false)
	// The day of the assembly: hers end by themselves, his begin.
	wd.srv.SetClock(at("2030-06-14 00:00:01"))
	expectDoors(t, "marie", "the day of the assembly", comptesDoors(t, wd, marie, session), false)
	expectDoors(t, "paul", "the day of the assembly", comptesDoors(t, wd, paul, nil), true)

	// The register keeps her term, with her name, after she leaves.
	wd.mustCall(200, "PATCH", "/api/v1/admin/users/marie", map[string]any{"disabled": true})
	var reg struct {
		Terms []struct {
			Role, Login, Holder, State, Decision string
			End                                  time.Time
		} `json:"terms"`
	}
	if st := wd.admin.call("GET", "/api/v1/admin/terms", nil, &reg); st != 200 {
		t.Fatalf("register: %d", st)
	}
	var kept bool
	for _, r := range reg.Terms {
		if r.Login == "marie" {
			kept = r.Holder == "Marie Curie" && r.State == "ended" && r.Role == "Trésorier·e" && r.Decision == "AG du 1er janvier 2030" &&
				r.End.Equal(at("2030-06-14 00:00:00"))
		}
	}
	if !kept || len(reg.Terms) != 2 {
		t.Errorf("register: %+v", reg.Terms)
	}
	resp := wd.admin.do("GET", "/api/v1/admin/terms.csv", nil, nil)
	csvBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(csvBody), "Trésorier·e,Marie Curie,marie,2030-01-01,2030-06-14,ended,AG du 1er janvier 2030") {
		t.Errorf("register CSV: %d\n%s", resp.StatusCode, csvBody)
	}
	// The command line reads the same register, at the same clock.
	out, err := wd.srv.Run(context.Background(), nil, "term", "list", "--csv")
	if err != nil || !strings.Contains(out, "Trésorier·e,paul,paul,2030-06-14,,current") {
		t.Errorf("notreasso term list --csv: %v\n%s", err, out)
	}
}

// A reminder goes out 30 days before the end (journalled once), and the
// holder's account page says so.
func TestTermReminderNotice(t *testing.T) {
	wd := newWorld(t, server.Options{Clock: true})
	wd.srv.SetClock(time.Date(2031, 5, 1, 10, 0, 0, 0, time.Local))
	wd.mustCall(201, "POST", "/api/v1/admin/terms", map[string]any{"role": "president", "login": "marie", "start": "2030-06-14", "end": "2031-06-13"})
	b := newBrowser(t, wd.srv)
	if st := b.login("marie", userPassword); st != 200 {
		t.Fatalf("login: %d", st)
	}
	notice := func() bool {
		st, body, _ := b.do("GET", "/account", nil, map[string]string{"Accept-Language": "fr"})
		if st != 200 || !strings.Contains(body, "Mes rôles") {
			t.Fatalf("account page: %d", st)
		}
		return strings.Contains(body, "Votre mandat de Président·e se termine le 13 juin 2031")
	}
	if notice() {
		t.Error("the notice shows 43 days before the end")
	}
	if out, err := wd.srv.Run(context.Background(), nil, "term", "remind"); err != nil || !strings.Contains(out, "0 reminder") {
		t.Errorf("remind 43 days before: %v %s", err, out)
	}
	wd.srv.SetClock(time.Date(2031, 5, 20, 10, 0, 0, 0, time.Local))
	if !notice() {
		t.Error("no notice 24 days before the end")
	}
	for i, want := range []string{"1 reminder", "0 reminder"} {
		if out, err := wd.srv.Run(context.Background(), nil, "term", "remind"); err != nil || !strings.Contains(out, want) {
			t.Errorf("remind, pass %d: %v %s", i, err, out)
		}
	}
	var j struct {
		Entries []struct{ Action string } `json:"entries"`
	}
	wd.admin.call("GET", "/api/v1/admin/audit?category=accounts", nil, &j)
	n := 0
	for _, e := range j.Entries {
		if e.Action == "term_reminder" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d term_reminder journal entries, want 1: %+v", n, j.Entries)
	}
}

// The command line: roles, terms and grants to a role, beside the server.
func TestRoleCommands(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Sécurité", nil)
	ctx := context.Background()
	run := func(want string, args ...string) {
		t.Helper()
		out, err := wd.srv.Run(ctx, nil, args...)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("notreasso %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("created role Référent·e sécurité", "role", "add", "Référent·e sécurité", "--description", "Suit les consignes")
	run("Référent·e sécurité is viewer on /Sécurité", "grant", "add", "/Sécurité", "role:Référent·e sécurité", "viewer")
	run("lea is Référent·e sécurité from 2020-01-01", "term", "add", "Référent·e sécurité", "lea", "--start", "2020-01-01", "--decision", "CA du 1er janvier 2020")
	run("lea", "role", "list")
	if st := wd.users["lea"].call("GET", "/api/v1/list/S%C3%A9curit%C3%A9", nil, nil); st != 200 {
		t.Errorf("lea, safety officer, lists the folder: %d", st)
	}
	var reg struct {
		Terms []struct {
			ID int64 `json:"id"`
		} `json:"terms"`
	}
	wd.admin.call("GET", "/api/v1/admin/terms?login=lea", nil, &reg)
	if len(reg.Terms) != 1 {
		t.Fatalf("lea's terms: %+v", reg)
	}
	run("until", "term", "end", fmt.Sprint(reg.Terms[0].ID)) // ends today
	if st := wd.users["lea"].call("GET", "/api/v1/list/S%C3%A9curit%C3%A9", nil, nil); st != 404 {
		t.Errorf("lea, whose term ended today, lists the folder: %d", st)
	}
	run("CA du 1er janvier 2020", "term", "list", "Référent·e sécurité")

	// The same through the API: rename (grants and terms follow), delete
	// (grants go, the register keeps the terms).
	wd.mustCall(200, "PATCH", "/api/v1/admin/roles/R%C3%A9f%C3%A9rent%C2%B7e%20s%C3%A9curit%C3%A9", map[string]any{"name": "Sécurité"})
	role := wd.mustCall(200, "GET", "/api/v1/admin/roles/S%C3%A9curit%C3%A9", nil)
	if gs := role["grants"].([]any); len(gs) != 1 || gs[0].(map[string]any)["principal"] != "role:Sécurité" || len(role["terms"].([]any)) != 1 {
		t.Errorf("the renamed role: %v", role)
	}
	wd.mustCall(201, "POST", "/api/v1/admin/roles", map[string]any{"name": "Trésorier·e adjoint·e", "description": "Seconde la trésorière"})
	if st := wd.admin.call("POST", "/api/v1/admin/roles", map[string]any{"name": "Trésorier·e adjoint·e"}, nil); st != 409 {
		t.Errorf("a second role of that name: %d", st)
	}
	wd.mustCall(204, "DELETE", "/api/v1/admin/roles/S%C3%A9curit%C3%A9", nil)
	var grants struct {
		Grants []struct{ Principal string } `json:"grants"`
	}
	wd.admin.call("GET", "/api/v1/grants/S%C3%A9curit%C3%A9", nil, &grants)
	for _, g := range grants.Grants {
		if strings.HasPrefix(g.Principal, "role:") {
			t.Errorf("a grant to the deleted role stayed: %+v", grants)
		}
	}
	wd.admin.call("GET", "/api/v1/admin/terms?login=lea", nil, &reg)
	if len(reg.Terms) != 1 {
		t.Errorf("the register lost the deleted role's term: %+v", reg)
	}
	if st := wd.users["marie"].call("GET", "/api/v1/admin/roles", nil, nil); st != 403 {
		t.Errorf("a member lists the roles API: %d", st)
	}
	if out, err := wd.srv.Run(ctx, nil, "term", "add", "Inconnu", "lea"); err == nil {
		t.Errorf("a term for an unknown role: %s", out)
	}
}
