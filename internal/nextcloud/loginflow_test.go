package nextcloud

import (
	"context"
	"errors"
	"testing"

	"notreasso/internal/acl"
)

// Only a logged-in account confirms a flow: not a link holder, not a
// visitor (the flows themselves: auth.TestLoginFlowsAcrossServers).
func TestApproveNeedsAnAccount(t *testing.T) {
	f := &Flows{} // no store: refused before it is asked
	for _, p := range []acl.Principal{{Share: &acl.ShareScope{}}, {}} {
		if err := f.Approve(context.Background(), "token", p); !errors.Is(err, acl.ErrForbidden) {
			t.Errorf("approved by %+v: %v", p, err)
		}
	}
}

const desktop = "Mozilla/5.0 (Linux) mirall/3.7.3 (Nextcloud, debian-6.1.0 ClientArchitecture: x86_64 OsArchitecture: x86_64)"

func TestDescribe(t *testing.T) {
	for ua, want := range map[string]FlowInfo{
		desktop: {App: "Nextcloud (ordinateur)", Device: "Linux"},
		"Mozilla/5.0 (Android) Nextcloud-android/3.25.0":                     {App: "Nextcloud Android", Device: "Android"},
		"Mozilla/5.0 (iOS) Nextcloud-iOS/4.9.0":                              {App: "Nextcloud iOS", Device: "iOS"},
		"Mozilla/5.0 (Windows) mirall/2.11.1 (ownCloud, windows-10.0.19045)": {App: "ownCloud", Device: "Windows"},
		"": {App: "?", Device: "?"},
	} {
		if got := describe(ua); got != want {
			t.Errorf("describe(%q) = %+v, want %+v", ua, got, want)
		}
	}
	if l := label(FlowInfo{App: "a\x00b", Device: string(make([]rune, 200))}); len([]rune(l)) > 100 {
		t.Errorf("label too long: %d", len([]rune(l)))
	}
}
