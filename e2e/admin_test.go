package e2e

import (
	"context"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"
)

// Accounts and groups through the admin API, and grants through the
// command line against the same data directory.
func TestAdminAPIAndCLI(t *testing.T) {
	wd := newWorld(t, server.Options{})
	// A generated password is answered once and works.
	out := wd.mustCall(201, "POST", "/api/v1/admin/users", map[string]any{"login": "tresorier@asso.fr", "role": "guest",
		"display_name": "Jean Trésorier", "email": "tresorier@asso.fr", "lang": "fr"})
	pw, _ := out["password"].(string)
	if len(pw) < 16 {
		t.Fatalf("no generated password: %v", out)
	}
	var me struct {
		Login       string   `json:"login"`
		DisplayName string   `json:"display_name"`
		Role        string   `json:"role"`
		Groups      []string `json:"groups"`
	}
	if st := newClient(t, wd.srv, "tresorier@asso.fr", pw).call("GET", "/api/v1/me", nil, &me); st != 200 || me.DisplayName != "Jean Trésorier" || me.Role != "guest" {
		t.Fatalf("me: %d %+v", st, me)
	}
	for _, bad := range []map[string]any{
		{"login": "x y", "password": "long-enough"},
		{"login": "ok", "password": "court"},
		{"login": "ok2", "email": "pas une adresse"},
		{"login": "marie", "password": "long-enough"},
	} {
		var e apiErr
		if st := wd.admin.call("POST", "/api/v1/admin/users", bad, &e); st != 400 && st != 409 {
			t.Errorf("create %v: %d %+v", bad, st, e)
		}
	}
	// The last administrator stays one.
	if st := wd.admin.call("PATCH", "/api/v1/admin/users/admin", map[string]any{"role": "member"}, nil); st != 400 {
		t.Errorf("demoting the last admin: %d", st)
	}
	// Groups with spaces and accents in their names.
	wd.mustCall(201, "POST", "/api/v1/admin/groups", map[string]any{"name": "Conseil d'administration"})
	g := wd.mustCall(200, "PUT", "/api/v1/admin/groups/Conseil%20d%27administration/members/tresorier%40asso.fr", nil)
	if members, _ := g["members"].([]any); len(members) != 1 || members[0] != "tresorier@asso.fr" {
		t.Errorf("group: %v", g)
	}
	wd.mustCall(200, "PATCH", "/api/v1/admin/groups/Conseil%20d%27administration", map[string]any{"name": "CA"})
	if st := wd.admin.call("GET", "/api/v1/admin/groups/Conseil%20d%27administration", nil, nil); st != 404 {
		t.Errorf("old group name: %d", st)
	}
	// Not for others.
	for _, login := range []string{"marie", "paul"} {
		if st := wd.users[login].call("GET", "/api/v1/admin/users", nil, nil); st != 403 {
			t.Errorf("%s lists accounts: %d", login, st)
		}
	}
	if st := wd.users[""].call("GET", "/api/v1/admin/users", nil, nil); st != 401 {
		t.Errorf("a visitor lists accounts: %d", st)
	}
	if st := wd.users["paul"].call("GET", "/api/v1/principals", nil, nil); st != 403 {
		t.Errorf("a guest lists principals: %d", st)
	}
	var pr struct {
		Users  []struct{ Login string } `json:"users"`
		Groups []string                 `json:"groups"`
	}
	if st := wd.users["marie"].call("GET", "/api/v1/principals?q=tr", nil, &pr); st != 200 || len(pr.Users) != 1 || pr.Users[0].Login != "tresorier@asso.fr" {
		t.Errorf("principals: %d %+v", st, pr)
	}

	// The command line, on the running server's data.
	ctx := context.Background()
	wd.mustCall(201, "POST", "/api/v1/folders/Comptes", nil)
	wd.put("/Comptes/bilan.txt", "bilan")
	run := func(args ...string) string {
		t.Helper()
		out, err := wd.srv.Run(ctx, nil, args...)
		if err != nil {
			t.Fatalf("notreasso %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("group", "add", "Trésorerie")
	run("group", "member", "add", "Trésorerie", "tresorier@asso.fr")
	run("grant", "add", "/Comptes", "group:Trésorerie", "viewer")
	if out := run("grant", "list", "/Comptes/bilan.txt"); !strings.Contains(out, "group:Trésorerie") || !strings.Contains(out, "(inherited)") {
		t.Errorf("grant list:\n%s", out)
	}
	if out := run("group", "list"); !strings.Contains(out, "tresorier@asso.fr") {
		t.Errorf("group list:\n%s", out)
	}
	if st, body, _ := newClient(t, wd.srv, "tresorier@asso.fr", pw).get("Comptes/bilan.txt", nil); st != 200 || string(body) != "bilan" {
		t.Errorf("the guest reads after the CLI grant: %d %q", st, body)
	}
	run("grant", "remove", "/Comptes", "group:Trésorerie")
	if st, _, _ := newClient(t, wd.srv, "tresorier@asso.fr", pw).get("Comptes/bilan.txt", nil); st != 404 {
		t.Errorf("the guest reads after the grant was removed: %d", st)
	}
	var audit struct {
		Entries []struct {
			Action  string         `json:"action"`
			Actor   string         `json:"actor"`
			Details map[string]any `json:"details"`
		} `json:"entries"`
	}
	wd.admin.call("GET", "/api/v1/admin/audit?category=grants", nil, &audit)
	if len(audit.Entries) != 2 || audit.Entries[0].Action != "grant_remove" || audit.Entries[0].Details["via"] != "cli" {
		t.Errorf("audit: %+v", audit.Entries)
	}
}
