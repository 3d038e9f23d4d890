package discordsim_test

import (
	"testing"

	"caredesk/sim/discordsim"
)

func TestGuildMemberAnswersNicknames(t *testing.T) {
	s := newSim(t, discordsim.Options{})
	o := s.Options()
	dg := session(t, s, o.Token)
	const alice, bob = "400000000000000001", "400000000000000002"

	m, err := dg.GuildMember(o.GuildID, alice)
	if err != nil || m.Nick != "" || m.User == nil || m.User.ID != alice || m.User.Username != "alice" {
		t.Fatalf("a member without a nickname: %+v, %v", m, err)
	}
	s.SetNick(alice, "Ayşe")
	s.AddUser(discordsim.User{ID: bob, Username: "bob", GlobalName: "Łukasz Nowak"})
	if m, err := dg.GuildMember(o.GuildID, alice); err != nil || m.Nick != "Ayşe" {
		t.Errorf("with a nickname: %+v, %v", m, err)
	}
	if m, err := dg.GuildMember(o.GuildID, bob); err != nil || m.Nick != "" || m.User.GlobalName != "Łukasz Nowak" {
		t.Errorf("with a global name: %+v, %v", m, err)
	}
	s.SetNick(alice, "")
	if m, err := dg.GuildMember(o.GuildID, alice); err != nil || m.Nick != "" {
		t.Errorf("a nickname removed: %+v, %v", m, err)
	}

	s.LeaveGuild(bob)
	for _, id := range []string{bob, "900000000000000009"} {
		if _, err := dg.GuildMember(o.GuildID, id); !codeIs(err, 404, 10007) {
			t.Errorf("GET member %s: %v, want 404 Unknown Member (10007)", id, err)
		}
	}
	if _, err := dg.GuildMember("100000000000000999", alice); !codeIs(err, 404, 10004) {
		t.Errorf("a member of another guild: %v, want 404 Unknown Guild (10004)", err)
	}
	if n := s.Calls(discordsim.RouteMember); n != 7 {
		t.Errorf("%d member lookups counted, want 7", n)
	}
}

func codeIs(err error, status, code int) bool {
	st, c := restCode(err)
	return st == status && c == code
}
