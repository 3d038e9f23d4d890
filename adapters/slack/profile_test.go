package slack_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	slackdesk "caredesk/adapters/slack"
	"caredesk/bot"
	"caredesk/sim/slacksim"
)

// clock is a desk's clock a test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// profileDesk is a desk on a fresh simulator with a clock of its own.
func profileDesk(t *testing.T) (*slackdesk.Desk, *slacksim.Server, *clock) {
	t.Helper()
	sim := newSim(t, slacksim.Options{})
	c := &clock{t: now}
	o := deskOptions(sim)
	o.Now = c.Now
	d, err := slackdesk.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return d, sim, c
}

func TestFirstName(t *testing.T) {
	long := strings.Repeat("Ğ", 60)
	for _, tc := range []struct {
		name     string // the username
		profile  *slacksim.Profile
		want     string
		describe string
	}{
		{"ayse", &slacksim.Profile{FirstName: "Ayşe", DisplayName: "ayse.y", RealName: "Ayşe Yılmaz"}, "Ayşe", "the first name comes first"},
		{"mary", &slacksim.Profile{FirstName: " Mary  Ann ", DisplayName: "mary"}, "Mary Ann", "a first name of two words stays whole"},
		{"lukasz", &slacksim.Profile{DisplayName: "Łukasz W.", RealName: "Łukasz Wiśniewski"}, "Łukasz", "no first name: the display name's first word"},
		{"stefan", &slacksim.Profile{RealName: "Ștefan Popescu"}, "Ștefan", "no display name: the real name's first word"},
		{"stefan2", &slacksim.Profile{RealName: "S\u0326tefan Popescu"}, "S\u0326tefan", "combining marks stay"},
		{"svetla", &slacksim.Profile{FirstName: "Светла", RealName: "Светла Петрова"}, "Светла", "Cyrillic"},
		{"mehmet.k", &slacksim.Profile{}, "mehmet.k", "an empty profile: the username"},
		{"obrien", &slacksim.Profile{FirstName: "Seán O'Brien-Ó Néill"}, "Seán O'Brien-Ó Néill", "apostrophes and hyphens stay"},
		{"zeynep", &slacksim.Profile{DisplayName: "🌸✨", RealName: "Zeynep Kaya"}, "Zeynep", "a display name of emoji is no name"},
		{"boss", &slacksim.Profile{FirstName: "<@U0BOSS|boss> Emre"}, "Emre", "a mention is markup"},
		{"link", &slacksim.Profile{DisplayName: "<https://evil.example|click> Deniz"}, "Deniz", "a link is markup"},
		{"wave", &slacksim.Profile{DisplayName: ":wave: Mert"}, "Mert", "an emoji code is markup"},
		{"ctl", &slacksim.Profile{FirstName: "Ay\u202eşe\x00\u200b\x1b"}, "Ayşe", "control and format characters go"},
		{"nl", &slacksim.Profile{DisplayName: "\n\tNur\nSu"}, "Nur", "line breaks are spaces"},
		{"stars", &slacksim.Profile{FirstName: "*Kerem*_~`"}, "Kerem", "formatting goes"},
		{"long", &slacksim.Profile{FirstName: long}, long[:80], "at most 40 runes"}, // Ğ is 2 bytes
		{"default", nil, "default", "a user without a profile set: the simulator's display name"},
	} {
		t.Run(tc.describe, func(t *testing.T) {
			d, sim, _ := profileDesk(t)
			id := "U0" + strings.ToUpper(strings.NewReplacer(".", "", "2", "B").Replace(tc.name))
			sim.AddUser(id, tc.name)
			if tc.profile != nil {
				sim.SetProfile(id, *tc.profile)
			}
			got, err := d.FirstName(context.Background(), id)
			if err != nil || got != tc.want {
				t.Errorf("FirstName = %q, %v; want %q", got, err, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > 40 {
				t.Errorf("%d runes, want at most 40", n)
			}
		})
	}
}

func TestFirstNameIsRemembered(t *testing.T) {
	d, sim, c := profileDesk(t)
	ctx := context.Background()
	sim.SetProfile("U0AYSE", slacksim.Profile{FirstName: "Ayşe", DisplayName: "ayse"})
	for i := range 3 {
		if got, err := d.FirstName(ctx, "U0AYSE"); err != nil || got != "Ayşe" {
			t.Fatalf("call %d: %q, %v", i, got, err)
		}
	}
	if n := sim.Calls("users.info"); n != 1 {
		t.Fatalf("users.info called %d times for three signatures, want 1", n)
	}
	// The same answer serves Names: no second lookup for a mention.
	if got := d.Names(ctx, "ask <@U0AYSE>"); got != "ask @ayse" || sim.Calls("users.info") != 1 {
		t.Errorf("Names = %q after %d users.info calls; want \"ask @ayse\" without another call", got, sim.Calls("users.info"))
	}

	// A changed name shows once the remembered one is old.
	sim.SetProfile("U0AYSE", slacksim.Profile{FirstName: "Ayşegül"})
	c.Advance(9 * time.Minute)
	if got, _ := d.FirstName(ctx, "U0AYSE"); got != "Ayşe" || sim.Calls("users.info") != 1 {
		t.Errorf("after 9 minutes: %q after %d calls; want the remembered name", got, sim.Calls("users.info"))
	}
	c.Advance(2 * time.Minute)
	if got, _ := d.FirstName(ctx, "U0AYSE"); got != "Ayşegül" || sim.Calls("users.info") != 2 {
		t.Errorf("after 11 minutes: %q after %d calls; want the new name from a second call", got, sim.Calls("users.info"))
	}
}

func TestFirstNameCacheIsBounded(t *testing.T) {
	d, sim, _ := profileDesk(t)
	ctx := context.Background()
	// 1001 people: the first one is forgotten to make room.
	for i := range 1001 {
		id := fmt.Sprintf("U0P%04d", i)
		sim.AddUser(id, fmt.Sprintf("p%d", i))
		if _, err := d.FirstName(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	calls := sim.Calls("users.info")
	if _, err := d.FirstName(ctx, "U0P1000"); err != nil || sim.Calls("users.info") != calls {
		t.Errorf("the newest person was looked up again (%v)", err)
	}
	if _, err := d.FirstName(ctx, "U0P0000"); err != nil || sim.Calls("users.info") != calls+1 {
		t.Errorf("the oldest person of 1001 was still remembered (%v)", err)
	}
}

func TestFirstNameUnknownUser(t *testing.T) {
	d, sim, _ := profileDesk(t)
	ctx := context.Background()
	for range 2 {
		if got, err := d.FirstName(ctx, "U0NOBODY"); err != nil || got != "" {
			t.Errorf("FirstName of nobody = %q, %v; want \"\", nil", got, err)
		}
	}
	if n := sim.Calls("users.info"); n != 1 {
		t.Errorf("users.info called %d times, want 1: not knowing someone is remembered too", n)
	}
	if got, err := d.FirstName(ctx, ""); err != nil || got != "" || sim.Calls("users.info") != 1 {
		t.Errorf("FirstName(\"\") = %q, %v; want \"\", nil without a call", got, err)
	}
}

func TestFirstNameErrors(t *testing.T) {
	for _, tc := range []struct {
		describe string
		fault    slacksim.Fault
		check    func(error) bool
	}{
		{"rate limited", slacksim.RateLimited(3 * time.Second), func(err error) bool { return bot.RetryAfterOf(err) == 3*time.Second }},
		{"Slack's error", slacksim.SlackError("internal_error"), func(err error) bool { return strings.Contains(err.Error(), "internal_error") }},
		{"outage", slacksim.ServerError(503), func(err error) bool { return err != nil }},
	} {
		t.Run(tc.describe, func(t *testing.T) {
			d, sim, _ := profileDesk(t)
			ctx := context.Background()
			sim.SetProfile("U0AYSE", slacksim.Profile{FirstName: "Ayşe"})
			sim.FailNext("users.info", 1, tc.fault)
			got, err := d.FirstName(ctx, "U0AYSE")
			if err == nil || got != "" || !tc.check(err) {
				t.Fatalf("FirstName = %q, %v; want the failure", got, err)
			}
			// A failure is not remembered: the next signature asks again.
			if got, err := d.FirstName(ctx, "U0AYSE"); err != nil || got != "Ayşe" || sim.Calls("users.info") != 2 {
				t.Errorf("after the failure: %q, %v after %d calls; want Ayşe from a second call", got, err, sim.Calls("users.info"))
			}
		})
	}
}
