package web

import (
	"testing"
	"time"

	"golang.org/x/text/language"

	"notreasso/internal/repo"
)

// Journal entries read as sentences, with the details no sentence used,
// roles in words and empty values left out.
func TestDescribeEntry(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fr, en := cat.locale(language.French), cat.locale(language.English)
	tests := []struct {
		l           *Locale
		e           repo.Entry
		text, extra string
	}{
		{fr, repo.Entry{Action: "grant_add", Details: map[string]any{"path": "/Bureau", "principal": "group:Bureau", "role": "editor", "previous": "viewer"}},
			"a donné le rôle modification sur /Bureau pour le groupe Bureau", "avant: lecture"},
		{en, repo.Entry{Action: "group_member_add", Details: map[string]any{"group": "Bureau", "login": "marie"}},
			"added marie to the group Bureau", ""},
		{fr, repo.Entry{Action: "user_add", Details: map[string]any{"login": "jeanne", "role": "member", "email": "", "display_name": "Jeanne"}},
			"a créé le compte jeanne", "nom affiché: Jeanne · rôle: membre"},
		{fr, repo.Entry{Action: "user_update", Details: map[string]any{"login": "paul", "disabled": true}},
			"a modifié le compte paul", "désactivé: oui"},
		{fr, repo.Entry{Action: "mkdir", Details: map[string]any{"path": "/A"}}, "a créé le dossier /A", ""},
		{fr, repo.Entry{Action: "share_create", Details: map[string]any{"path": "/Bureau", "kind": "dropbox", "max_downloads": 0.0, "password": false}},
			"a créé un lien de partage vers /Bureau", "type de lien: Dépôt de fichiers · protégé par mot de passe: non"},
		{en, repo.Entry{Action: "collection_items", Details: map[string]any{"collection": 3.0, "nodes": []any{4.0, 5.0}}},
			"changed the items of a collection", "items: 2"},
		{en, repo.Entry{Action: "something_new", Details: map[string]any{"x": 3.0}}, "something_new", "x: 3"},
	}
	for _, tt := range tests {
		tt.e.At = time.Now()
		got := describeEntry(tt.l, tt.e)
		if got.Text != tt.text || got.Extra != tt.extra {
			t.Errorf("%s:\n got  %q | %q\n want %q | %q", tt.e.Action, got.Text, got.Extra, tt.text, tt.extra)
		}
	}
}
