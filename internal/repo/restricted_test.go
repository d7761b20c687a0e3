package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"notreasso/internal/acl"
)

// A restricted folder stops the grants of the folders above it: members
// (editors of / by default) neither list, stat nor read it; a group
// granted on it does; admins still do; managers above it keep managing.
func TestRestrictedFolder(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.s.db.W.Exec(`INSERT INTO groups (id, name, created_at) VALUES (10, 'Bureau', 0)`); err != nil {
		t.Fatal(err)
	}
	jeanne := e.addUser(t, "jeanne", acl.Member)
	jeanne.Groups = []int64{10}
	e.s.Tree.MkdirAll(ctx, e.admin, "/Bureau (privé)/PV")
	e.put(t, e.admin, "/Bureau (privé)/PV/pv.txt", "secret")
	e.put(t, e.admin, "/ouvert.txt", "ouvert")
	// paul (a guest) manages / : his grant must be kept on the folder.
	if _, err := e.s.Access.Grant(ctx, e.admin, "/", mustGrantee(t, "user:paul"), acl.Manager); err != nil {
		t.Fatal(err)
	}
	// A member (editor) may not restrict.
	if _, err := e.s.Tree.SetRestricted(ctx, e.member, "/Bureau (privé)", true); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member restricted: %v", err)
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Bureau (privé)", mustGrantee(t, "group:Bureau"), acl.Editor); err != nil {
		t.Fatal(err)
	}
	n, err := e.s.Tree.SetRestricted(ctx, e.admin, "/Bureau (privé)", true)
	if err != nil || !n.Restricted {
		t.Fatalf("restrict: %+v %v", n, err)
	}
	if _, err := e.s.Tree.SetRestricted(ctx, e.admin, "/ouvert.txt", true); !errors.Is(err, ErrNotDir) {
		t.Errorf("restrict a file: %v", err)
	}

	names := func(p acl.Principal, path string) []string {
		_, kids, err := e.s.Tree.List(ctx, p, path)
		if err != nil {
			t.Fatalf("list %s as %s: %v", path, p.Login, err)
		}
		var out []string
		for _, k := range kids {
			out = append(out, k.Name)
		}
		return out
	}
	if got := names(e.member, "/"); slices.Contains(got, "Bureau (privé)") || !slices.Contains(got, "ouvert.txt") {
		t.Errorf("member lists / as %v", got)
	}
	if _, err := e.s.Tree.Stat(ctx, e.member, "/Bureau (privé)/PV/pv.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("member stats a file under the restricted folder: %v", err)
	}
	if _, err := e.s.History.Open(ctx, e.member, "/Bureau (privé)/PV/pv.txt", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("member opens a file under the restricted folder: %v", err)
	}
	for _, p := range []acl.Principal{jeanne, e.admin, e.guest} {
		if got := names(p, "/"); !slices.Contains(got, "Bureau (privé)") {
			t.Errorf("%s lists / as %v", p.Login, got)
		}
		if got := e.read(t, p, "/Bureau (privé)/PV/pv.txt", 0); got != "secret" {
			t.Errorf("%s reads %q", p.Login, got)
		}
	}
	// Jeanne edits (group:Bureau editor); the member cannot write into it.
	e.put(t, jeanne, "/Bureau (privé)/PV/pv2.txt", "deux")
	if _, err := e.s.Tree.Mkdir(ctx, e.member, "/Bureau (privé)/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("member mkdir inside: %v", err)
	}

	// Why: the member's "members editor on /" is shown blocked, not counted.
	ex, err := e.s.Access.Explain(ctx, e.admin, e.member, "/Bureau (privé)/PV")
	if err != nil || ex.Role != acl.None || len(ex.Because) != 0 || ex.RestrictedAt != "/Bureau (privé)" {
		t.Errorf("explain member: %+v %v", ex, err)
	}
	ex, err = e.s.Access.Explain(ctx, e.admin, jeanne, "/Bureau (privé)/PV")
	if err != nil || ex.Role != acl.Editor || len(ex.Because) != 1 || ex.Because[0].Path != "/Bureau (privé)" {
		t.Errorf("explain jeanne: %+v %v", ex, err)
	}
	_, gs, err := e.s.Access.Grants(ctx, e.admin, "/Bureau (privé)")
	if err != nil {
		t.Fatal(err)
	}
	var blocked, kept int
	for _, g := range gs {
		if g.Blocked {
			blocked++
		}
		if !g.Inherited && g.Grantee.String() == "user:paul" && g.Role == acl.Manager {
			kept++
		}
	}
	if blocked != 2 || kept != 1 { // members + paul on /; paul copied onto the folder
		t.Errorf("grants: %d blocked, %d kept; %+v", blocked, kept, gs)
	}

	// Search's filter: the grants on / do not reach the restricted subtree.
	_, roots, cuts, err := e.s.Index.ReadableRoots(ctx, e.member)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(roots, RootID) || len(cuts[RootID]) != 1 {
		t.Errorf("member roots %v cuts %v", roots, cuts)
	}
	_, roots, cuts, _ = e.s.Index.ReadableRoots(ctx, jeanne)
	if len(roots) != 2 || len(cuts[RootID]) != 1 {
		t.Errorf("jeanne roots %v cuts %v", roots, cuts)
	}

	// A share link on / does not reach into the restricted folder; one on
	// the folder itself does.
	_, tok, err := e.s.Shares.CreateShare(ctx, e.admin, "/", ShareOptions{Kind: ShareViewer})
	if err != nil {
		t.Fatal(err)
	}
	lp, _, err := e.s.Shares.ShareAccess(ctx, tok, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, kids, err := e.s.Shares.ShareList(ctx, lp, "/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		if k.Name == "Bureau (privé)" {
			t.Errorf("a link on / lists the restricted folder")
		}
	}
	if _, err := e.s.Shares.ShareOpen(ctx, lp, "/Bureau (privé)/PV/pv.txt", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("a link on / opens inside the restricted folder: %v", err)
	}
	_, tok, _ = e.s.Shares.CreateShare(ctx, e.admin, "/Bureau (privé)", ShareOptions{Kind: ShareViewer})
	lp, _, _ = e.s.Shares.ShareAccess(ctx, tok, "", nil)
	if _, err := e.s.Shares.ShareOpen(ctx, lp, "/PV/pv.txt", false); err != nil {
		t.Errorf("a link on the restricted folder: %v", err)
	}

	// Tag counts: the member does not count what is inside.
	if _, err := e.s.Tree.SetTags(ctx, e.admin, "/Bureau (privé)/PV/pv.txt", []string{"ag"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Tree.SetTags(ctx, e.admin, "/ouvert.txt", []string{"ag"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    acl.Principal
		want int
	}{{e.member, 1}, {jeanne, 2}, {e.admin, 2}} {
		tags, err := e.s.Tags.Tags(ctx, tc.p, "")
		if err != nil || len(tags) != 1 || tags[0].Count != tc.want {
			t.Errorf("%s: tags %+v %v, want ag×%d", tc.p.Login, tags, err, tc.want)
		}
	}

	// Space used: the member's totals leave the restricted folder out.
	for _, tc := range []struct {
		p     acl.Principal
		files int64
	}{{e.member, 1}, {jeanne, 3}, {e.admin, 3}} {
		u, err := e.s.Tree.Space(ctx, tc.p, "/")
		if err != nil || int64(u.Files) != tc.files {
			t.Errorf("%s: space %+v %v, want %d files", tc.p.Login, u, err, tc.files)
		}
	}

	// Activity: the member sees nothing of what happened inside.
	evs, err := e.s.Activity.Activity(ctx, e.member, FeedScope{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.NodeID != 0 && ev.Path != "/ouvert.txt" && ev.Path != "/" {
			t.Errorf("member sees activity %+v", ev)
		}
	}

	// A document moved out of the restricted folder: the member sees the
	// move, not where it came from, and not its old name there.
	e.put(t, jeanne, "/Bureau (privé)/PV/compte rendu secret.txt", "à publier")
	if _, err := e.s.Tree.Move(ctx, jeanne, "/Bureau (privé)/PV/compte rendu secret.txt", "/publié.txt", false); err != nil {
		t.Fatal(err)
	}
	evs, err = e.s.Activity.Activity(ctx, e.member, FeedScope{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	moved := false
	for _, ev := range evs {
		if strings.Contains(ev.Path+ev.From, "Bureau") || strings.Contains(ev.Path+ev.From, "secret") {
			t.Errorf("member's activity names the restricted folder: %+v", ev)
		}
		moved = moved || (ev.Action == "move" && ev.Path == "/publié.txt")
	}
	if !moved {
		t.Errorf("the member does not see the move: %+v", evs)
	}

	// Turning it off gives the folder back to members.
	if _, err := e.s.Tree.SetRestricted(ctx, e.admin, "/Bureau (privé)", false); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, e.member, "/Bureau (privé)/PV/pv.txt", 0); got != "secret" {
		t.Errorf("member after unrestrict reads %q", got)
	}
}

// A drop-box visitor's name is kept as the author of the file and of the
// folder's last change, and in the journal.
func TestDropBoxSender(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.MkdirAll(ctx, e.admin, "/Reçus")
	_, tok, err := e.s.Shares.CreateShare(ctx, e.admin, "/Reçus", ShareOptions{Kind: ShareDropBox})
	if err != nil {
		t.Fatal(err)
	}
	lp, _, err := e.s.Shares.ShareAccess(ctx, tok, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	lp.Share.Sender = "Jeanne"
	if err := e.s.Shares.ShareDrop(ctx, lp, "reçu.txt", stringsReader("12 €"), -1); err != nil {
		t.Fatal(err)
	}
	dir, kids, err := e.s.Tree.List(ctx, e.admin, "/Reçus")
	if err != nil || len(kids) != 1 {
		t.Fatalf("list: %v %v", kids, err)
	}
	if !dir.Dropped || dir.DroppedBy != "Jeanne" || !kids[0].Dropped || kids[0].DroppedBy != "Jeanne" {
		t.Errorf("folder by %q/%v, file by %q/%v", dir.DroppedBy, dir.Dropped, kids[0].DroppedBy, kids[0].Dropped)
	}
	_, vs, err := e.s.History.Versions(ctx, e.admin, "/Reçus/reçu.txt")
	if err != nil || len(vs) != 1 || vs[0].DroppedBy != "Jeanne" {
		t.Errorf("versions %+v %v", vs, err)
	}
	evs, _ := e.s.Activity.Activity(ctx, e.admin, FeedScope{}, 10)
	found := false
	for _, ev := range evs {
		found = found || (ev.Action == "create" && ev.Dropped && ev.Sender == "Jeanne")
	}
	if !found {
		t.Errorf("no create event by Jeanne in %+v", evs)
	}
	// The next change by an account takes the name back.
	e.put(t, e.admin, "/Reçus/autre.txt", "x")
	if dir, _, _ := e.s.Tree.List(ctx, e.admin, "/Reçus"); dir.Dropped || dir.UpdatedBy != "admin" {
		t.Errorf("folder after an account's change: %q %v", dir.UpdatedBy, dir.Dropped)
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// Only administrators may give the public more than the viewer role.
func TestPublicEditorAdminsOnly(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.MkdirAll(ctx, e.admin, "/Public")
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Public", mustGrantee(t, "user:marie"), acl.Manager); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Access.Grant(ctx, e.member, "/Public", mustGrantee(t, "public"), acl.Editor); !errors.Is(err, ErrForbidden) {
		t.Errorf("a manager gave the public editor: %v", err)
	}
	if _, err := e.s.Access.Grant(ctx, e.member, "/Public", mustGrantee(t, "public"), acl.Viewer); err != nil {
		t.Errorf("a manager made a folder public: %v", err)
	}
	if _, err := e.s.Access.Grant(ctx, e.admin, "/Public", mustGrantee(t, "public"), acl.Editor); err != nil {
		t.Errorf("an admin gave the public editor: %v", err)
	}
}

// BenchmarkReadableRoots: the search filter's work for a member on a tree
// of 2 000 folders, without restricted folders and with 20 (walking up
// from each to find the roots they cut).
func BenchmarkReadableRoots(b *testing.B) {
	for _, restricted := range []int{0, 20} {
		b.Run(fmt.Sprintf("restricted=%d", restricted), func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b)
			for i := range 100 {
				for j := range 20 {
					p := fmt.Sprintf("/A%03d/B%02d", i, j)
					if _, err := e.s.Tree.MkdirAll(ctx, e.admin, p); err != nil {
						b.Fatal(err)
					}
					if j == 0 && i%5 == 0 && restricted > 0 {
						if _, err := e.s.Tree.SetRestricted(ctx, e.admin, p, true); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			for b.Loop() {
				if _, _, cuts, err := e.s.Index.ReadableRoots(ctx, e.member); err != nil || len(cuts[RootID]) != restricted {
					b.Fatalf("cuts %v %v", cuts, err)
				}
			}
		})
	}
}
