package slacksim_test

import (
	"context"
	"testing"

	"caredesk/sim/slacksim"
)

func TestUsersInfoAnswersTheProfile(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	api := client(s, s.Options().BotToken)
	ctx := context.Background()

	s.AddUser("U0BORA", "bora")
	u, err := api.GetUserInfoContext(ctx, "U0BORA")
	if err != nil || u.Name != "bora" || u.Profile.DisplayName != "bora" || u.Profile.RealName != "bora" || u.Profile.FirstName != "" {
		t.Fatalf("users.info without a profile: %+v %v; want the name as display and real name", u, err)
	}

	s.SetProfile("U0BORA", slacksim.Profile{FirstName: "Bora", LastName: "Şahin", RealName: "Bora Şahin"})
	u, err = api.GetUserInfoContext(ctx, "U0BORA")
	if err != nil || u.Name != "bora" || u.RealName != "Bora Şahin" {
		t.Fatalf("users.info: %+v %v", u, err)
	}
	if p := u.Profile; p.FirstName != "Bora" || p.LastName != "Şahin" || p.DisplayName != "" || p.RealName != "Bora Şahin" {
		t.Errorf("profile: %+v; want what SetProfile set, the display name empty", p)
	}

	// A profile makes a person known.
	s.SetProfile("U0NEW", slacksim.Profile{DisplayName: "Светла"})
	if u, err := api.GetUserInfoContext(ctx, "U0NEW"); err != nil || u.Name != "U0NEW" || u.Profile.DisplayName != "Светла" {
		t.Errorf("users.info of a person known by their profile: %+v %v", u, err)
	}
}
