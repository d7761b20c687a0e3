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
		{"system is admin", SystemPrincipal(), nil, Manager},
		{"link holder and public", Principal{Share: &ShareScope{LinkID: 1, NodeID: 7}}, []Grant{{Kind: KindPublic, Role: Viewer}}, None},
		{"link holder with a login", Principal{UserID: 1, Role: Admin, Share: &ShareScope{NodeID: 7}}, grants, None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := Effective(tt.p, tt.grants); got != tt.want {
				t.Errorf("Effective = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestShareScope(t *testing.T) {
	tests := []struct {
		name  string
		sc    ShareScope
		chain []int64
		restr []bool
		want  Role
	}{
		{"the linked node", ShareScope{NodeID: 7}, []int64{1, 7}, nil, Viewer},
		{"below the linked node", ShareScope{NodeID: 7}, []int64{1, 7, 9, 12}, nil, Viewer},
		{"above the linked node", ShareScope{NodeID: 7}, []int64{1}, nil, None},
		{"a sibling", ShareScope{NodeID: 7}, []int64{1, 8}, nil, None},
		{"drop box reads nothing", ShareScope{NodeID: 7, DropBox: true}, []int64{1, 7, 9}, nil, None},
		{"empty scope", ShareScope{}, []int64{0}, nil, None},
		{"a restricted folder below the link", ShareScope{NodeID: 7}, []int64{1, 7, 9, 12}, []bool{false, false, true, false}, None},
		{"the linked folder itself restricted", ShareScope{NodeID: 7}, []int64{1, 7, 9}, []bool{false, true, false}, Viewer},
		{"restricted above the link", ShareScope{NodeID: 7}, []int64{1, 3, 7, 9}, []bool{false, true, false, false}, Viewer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sc.RoleOn(tt.chain, tt.restr); got != tt.want {
				t.Errorf("RoleOn = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzEffective(f *testing.F) {
	f.Add(int64(2), "member", int64(10), "group", int64(10), "viewer", false)
	f.Add(int64(1), "admin", int64(10), "public", int64(0), "manager", true)
	f.Fuzz(func(t *testing.T, uid int64, urole string, gid int64, kind string, who int64, role string, share bool) {
		r, err := ParseRole(role)
		if err != nil {
			return
		}
		p := Principal{UserID: uid, Role: UserRole(urole), Groups: []int64{gid}}
		if share {
			p.Share = &ShareScope{LinkID: who, NodeID: gid}
		}
		g := Grant{Kind: PrincipalKind(kind), Who: who, Role: r}
		got, why := Effective(p, []Grant{g})
		if share && (got != None || len(why) != 0 || p.IsAdmin()) {
			t.Fatalf("link holder %+v got %v from %+v", p, got, g)
		}
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

func TestReachFrom(t *testing.T) {
	tests := []struct {
		restricted []bool
		want       int
	}{
		{nil, 0},
		{[]bool{false}, 0},
		{[]bool{true, false}, 0}, // the root's flag means nothing: nothing is above it
		{[]bool{false, true}, 1},
		{[]bool{false, true, false, true, false}, 3},
	}
	for _, tt := range tests {
		if got := ReachFrom(tt.restricted); got != tt.want {
			t.Errorf("ReachFrom(%v) = %d, want %d", tt.restricted, got, tt.want)
		}
	}
}
