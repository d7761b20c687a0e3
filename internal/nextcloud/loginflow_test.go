package nextcloud

import (
	"context"
	"errors"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
)

type fakePasswords struct{ made []string }

func (f *fakePasswords) CreateAppPassword(_ context.Context, _, _ int64, name string) (auth.AppPassword, string, error) {
	f.made = append(f.made, name)
	return auth.AppPassword{Name: name}, "secret-" + name, nil
}

// A flow hands its password once, only after approval, and expires.
func TestFlows(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	pw := &fakePasswords{}
	f := newFlows(pw, func() time.Time { return now })
	info := describe(desktop)
	login, poll, err := f.start(info)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := f.poll(poll); ok {
		t.Fatal("poll before approval gave credentials")
	}
	if got, err := f.Pending(login); err != nil || got != info {
		t.Fatalf("pending: %+v %v", got, err)
	}
	if err := f.Approve(context.Background(), login, acl.Principal{Share: &acl.ShareScope{}}); !errors.Is(err, acl.ErrForbidden) {
		t.Errorf("a link holder approved a flow: %v", err)
	}
	marie := acl.Principal{UserID: 2, Login: "marie", Role: acl.Member}
	if err := f.Approve(context.Background(), login, marie); err != nil {
		t.Fatal(err)
	}
	l, s, ok := f.poll(poll)
	if !ok || l != "marie" || s != "secret-Nextcloud (ordinateur) — Linux" {
		t.Fatalf("poll after approval: %q %q %v", l, s, ok)
	}
	if _, _, ok := f.poll(poll); ok {
		t.Error("credentials handed out twice")
	}

	login2, poll2, _ := f.start(info)
	now = now.Add(flowTTL + time.Second)
	if _, err := f.Pending(login2); !errors.Is(err, ErrNoFlow) {
		t.Errorf("expired flow still pending: %v", err)
	}
	if err := f.Approve(context.Background(), login2, marie); !errors.Is(err, ErrNoFlow) {
		t.Errorf("expired flow approved: %v", err)
	}
	if _, _, ok := f.poll(poll2); ok {
		t.Error("expired flow polled")
	}
	if len(pw.made) != 1 {
		t.Errorf("app passwords made: %v", pw.made)
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
