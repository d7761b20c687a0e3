package acl

import "testing"

func TestEffective(t *testing.T) {
	admin := Principal{UserID: 1, Login: "admin", Role: Admin}
	member := Principal{UserID: 2, Login: "marie", Role: Member, Groups: []int64{10}}
	guest := Principal{UserID: 3, Login: "paul", Role: Guest, Groups: []int64{20}}
	anon := Principal{}
	grants := []Grant{
		{Kind: KindMembers, Role: Editor},
		{Kind: KindGroup, Who: 20, Role: Viewer},
		{Kind: KindUser, Who: 3, Role: Manager, NodeID: 7},
	}
	tests := []struct {
		name   string
		p      Principal
		grants []Grant
		want   Role
	}{
		{"admin without grants", admin, nil, Manager},
		{"member via members", member, grants[:1], Editor},
		{"guest not covered by members", guest, grants[:1], None},
		{"guest via group", guest, grants[:2], Viewer},
		{"strongest grant wins", guest, grants, Manager},
		{"anonymous and members", anon, grants, None},
		{"anonymous and public", anon, []Grant{{Kind: KindPublic, Role: Viewer}}, Viewer},
		{"user grant to someone else", member, grants[2:], None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := Effective(tt.p, tt.grants); got != tt.want {
				t.Errorf("Effective = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzEffective(f *testing.F) {
	f.Add(int64(2), "member", int64(10), "group", int64(10), "viewer")
	f.Fuzz(func(t *testing.T, uid int64, urole string, gid int64, kind string, who int64, role string) {
		r, err := ParseRole(role)
		if err != nil {
			return
		}
		p := Principal{UserID: uid, Role: UserRole(urole), Groups: []int64{gid}}
		g := Grant{Kind: PrincipalKind(kind), Who: who, Role: r}
		got, why := Effective(p, []Grant{g})
		if p.IsAdmin() {
			if got != Manager {
				t.Fatalf("admin got %v", got)
			}
			return
		}
		// Never more than granted; and a role only with a matching grant.
		if got > r || (got != None) != g.Matches(p) || (got != None) != (len(why) == 1) {
			t.Fatalf("p=%+v g=%+v → %v %v", p, g, got, why)
		}
		if p.Anonymous() && got != None && g.Kind != KindPublic {
			t.Fatalf("anonymous got %v from %+v", got, g)
		}
	})
}
