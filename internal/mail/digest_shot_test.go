package mail

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/browser"
)

// The weekly digest as a mail program shows it: its HTML part, received
// by the test relay, opened in Chromium at desktop and phone widths
// (docs/screenshots/digest-email-*.png with make screenshots).
func TestDigestEmailScreenshot(t *testing.T) {
	ctx := context.Background()
	d := newDigestEnv(t)
	b := browser.Start(t, browser.Options{AcceptLanguage: "fr-FR,fr"})
	asso := d.mkdir(t, "Association")
	for _, p := range []string{"Association/AG 2026", "Association/Comptes", "Association/Photos"} {
		d.mkdir(t, p)
	}
	if _, err := d.Repo.Access.Grant(ctx, d.Admin, "/Association", repo.Grantee{Kind: acl.KindUser, Name: "paul"}, acl.Editor); err != nil {
		t.Fatal(err)
	}
	if err := d.follows.Follow(ctx, d.Member.UserID, FollowFolder, strconv.FormatInt(asso.ID, 10)); err != nil {
		t.Fatal(err)
	}
	if err := d.follows.Follow(ctx, d.Member.UserID, FollowTag, "compta"); err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(48 * time.Hour)
	put := func(who acl.Principal, p string) {
		if _, _, err := d.Repo.Tree.Put(ctx, who, p, strings.NewReader("contenu "+p+time.Now().String()), repo.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"convocation.pdf", "ordre-du-jour.odt", "pouvoir.pdf"} {
		put(d.Admin, "Association/AG 2026/"+f)
		d.clock.Advance(time.Minute)
	}
	d.clock.Advance(26 * time.Hour)
	put(d.Guest, "Association/Comptes/budget-2026.ods")
	d.clock.Advance(3 * time.Hour)
	put(d.Guest, "Association/Comptes/budget-2026.ods")
	if _, err := d.Repo.Tree.SetTags(ctx, d.Guest, "/Association/Comptes/budget-2026.ods", []string{"compta"}); err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(20 * time.Hour)
	for i := range 14 {
		put(d.Admin, "Association/Photos/fete-du-canal-"+strconv.Itoa(i+1)+".jpg")
	}
	d.clock.Advance(4 * 24 * time.Hour)
	if n, err := d.digests.Queue(ctx); n != 1 || err != nil {
		t.Fatalf("queued %d (%v)", n, err)
	}
	if _, err := d.sender.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := d.relay.To("marie@example.org")
	if len(msgs) != 1 {
		t.Fatalf("%d digests", len(msgs))
	}
	page := filepath.Join(t.TempDir(), "digest.html")
	if err := os.WriteFile(page, []byte(msgs[0].HTML), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("NOTREASSO_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	b.Do("open the digest", chromedp.Navigate("file://"+page), chromedp.WaitVisible(".digest-section"))
	if n := browser.Eval[int](b, `document.querySelectorAll('.digest-section > li').length`); n < 4 {
		t.Errorf("%d lines in the digest", n)
	}
	b.Screenshot(dir, "digest-email-desktop")
	b.Viewport(360, 740)
	if w := browser.Eval[int](b, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the digest is %d px wide on a 360 px phone", w)
	}
	b.Screenshot(dir, "digest-email-phone")
}
