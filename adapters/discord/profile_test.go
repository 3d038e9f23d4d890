package discord_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/sim/discordsim"
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

// profileDiscord is a desk on a fresh simulator with a clock of its own.
func profileDiscord(t *testing.T, edit ...func(*discord.Options)) (*discord.Discord, *discordsim.Server, *clock) {
	t.Helper()
	sim := newSim(t, discordsim.Options{})
	c := &clock{t: now}
	d := newDiscord(t, sim, append([]func(*discord.Options){func(o *discord.Options) { o.Now = c.Now }}, edit...)...)
	return d, sim, c
}

func TestFirstName(t *testing.T) {
	long := strings.Repeat("Ğ", 60)
	for i, tc := range []struct {
		describe string
		user     discordsim.User
		nick     string
		want     string
	}{
		{"the nickname's first word comes first", discordsim.User{Username: "ayse", GlobalName: "A. Y."}, "Ayşe Yılmaz", "Ayşe"},
		{"no nickname: the global name's first word", discordsim.User{Username: "lukasz", GlobalName: "Łukasz Nowak"}, "", "Łukasz"},
		{"no names: the username", discordsim.User{Username: "stefan.p"}, "", "stefan.p"},
		{"Romanian with a combining comma", discordsim.User{Username: "stefan", GlobalName: "S\u0326tefan"}, "", "S\u0326tefan"},
		{"Romanian", discordsim.User{Username: "stefan"}, "Ștefan | support", "Ștefan"},
		{"Cyrillic after an emoji", discordsim.User{Username: "svetla"}, "🌸 Светла", "Светла"},
		{"a nickname of emoji is no name", discordsim.User{Username: "zeynep", GlobalName: "Zeynep K"}, "🌸✨", "Zeynep"},
		{"a mention is markup", discordsim.User{Username: "emre"}, "<@400000000000000002> Emre", "Emre"},
		{"a custom emoji is markup", discordsim.User{Username: "deniz"}, "<:cat:123456789012345678> Deniz", "Deniz"},
		{"formatting goes", discordsim.User{Username: "kerem"}, "**Kerem**", "Kerem"},
		{"control and format characters go", discordsim.User{Username: "ayse"}, "Ay\u202eşe\u200b\x07", "Ayşe"},
		{"apostrophes and hyphens stay", discordsim.User{Username: "sean"}, "O'Brien-Ó Néill", "O'Brien-Ó"},
		{"at most 40 runes", discordsim.User{Username: "long"}, long, long[:80]}, // Ğ is 2 bytes
	} {
		t.Run(tc.describe, func(t *testing.T) {
			d, sim, _ := profileDiscord(t)
			tc.user.ID = fmt.Sprintf("7000000000000000%02d", i)
			sim.AddUser(tc.user)
			if tc.nick != "" {
				sim.SetNick(tc.user.ID, tc.nick)
			}
			got, err := d.FirstName(context.Background(), tc.user.ID)
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
	d, sim, c := profileDiscord(t)
	ctx := context.Background()
	sim.SetNick(alice, "Ayşe")
	for i := range 3 {
		if got, err := d.FirstName(ctx, alice); err != nil || got != "Ayşe" {
			t.Fatalf("call %d: %q, %v", i, got, err)
		}
	}
	if n := sim.Calls(discordsim.RouteMember); n != 1 {
		t.Fatalf("the member looked up %d times for three signatures, want 1", n)
	}
	// The same answer serves Names: no lookup for a mention.
	if got := d.Names(ctx, "ask <@"+alice+">"); got != "ask @Alice Agent" || sim.Calls(discordsim.RouteUser) != 0 {
		t.Errorf("Names = %q after %d user lookups; want \"ask @Alice Agent\" without one", got, sim.Calls(discordsim.RouteUser))
	}

	// A changed nickname shows once the remembered one is old.
	sim.SetNick(alice, "Ayşegül")
	c.Advance(9 * time.Minute)
	if got, _ := d.FirstName(ctx, alice); got != "Ayşe" || sim.Calls(discordsim.RouteMember) != 1 {
		t.Errorf("after 9 minutes: %q after %d calls; want the remembered name", got, sim.Calls(discordsim.RouteMember))
	}
	c.Advance(2 * time.Minute)
	if got, _ := d.FirstName(ctx, alice); got != "Ayşegül" || sim.Calls(discordsim.RouteMember) != 2 {
		t.Errorf("after 11 minutes: %q after %d calls; want the new name from a second call", got, sim.Calls(discordsim.RouteMember))
	}
}

func TestFirstNameCacheIsBounded(t *testing.T) {
	d, sim, _ := profileDiscord(t)
	ctx := context.Background()
	// 1001 people: the first one is forgotten to make room.
	for i := range 1001 {
		id := fmt.Sprintf("80000000000000%04d", i)
		sim.AddUser(discordsim.User{ID: id, Username: fmt.Sprintf("p%d", i)})
		if _, err := d.FirstName(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	calls := sim.Calls(discordsim.RouteMember)
	if _, err := d.FirstName(ctx, "800000000000001000"); err != nil || sim.Calls(discordsim.RouteMember) != calls {
		t.Errorf("the newest person was looked up again (%v)", err)
	}
	if _, err := d.FirstName(ctx, "800000000000000000"); err != nil || sim.Calls(discordsim.RouteMember) != calls+1 {
		t.Errorf("the oldest person of 1001 was still remembered (%v)", err)
	}
}

func TestFirstNameOfNonMembers(t *testing.T) {
	d, sim, _ := profileDiscord(t)
	ctx := context.Background()
	sim.LeaveGuild(bob)
	for _, id := range []string{"900000000000000009", bob} {
		for range 2 {
			if got, err := d.FirstName(ctx, id); err != nil || got != "" {
				t.Errorf("FirstName(%s) = %q, %v; want \"\", nil", id, got, err)
			}
		}
	}
	if n := sim.Calls(discordsim.RouteMember); n != 2 {
		t.Errorf("%d member lookups, want 2: not being a member is remembered too", n)
	}
	if got, err := d.FirstName(ctx, ""); err != nil || got != "" || sim.Calls(discordsim.RouteMember) != 2 {
		t.Errorf("FirstName(\"\") = %q, %v; want \"\", nil without a call", got, err)
	}
}

func TestFirstNameErrors(t *testing.T) {
	for _, tc := range []struct {
		describe string
		status   int
		check    func(error) bool
	}{
		{"rate limited", http.StatusTooManyRequests, func(err error) bool { return bot.RetryAfterOf(err) > 0 }},
		{"Discord's error", http.StatusInternalServerError, func(err error) bool { return strings.Contains(err.Error(), "500") }},
	} {
		t.Run(tc.describe, func(t *testing.T) {
			d, sim, _ := profileDiscord(t)
			ctx := context.Background()
			sim.SetNick(alice, "Ayşe")
			sim.FailNext(discordsim.RouteMember, 1, tc.status, 10*time.Millisecond)
			got, err := d.FirstName(ctx, alice)
			if err == nil || got != "" || !tc.check(err) {
				t.Fatalf("FirstName = %q, %v; want the failure", got, err)
			}
			// A failure is not remembered: the next signature asks again.
			if got, err := d.FirstName(ctx, alice); err != nil || got != "Ayşe" || sim.Calls(discordsim.RouteMember) != 2 {
				t.Errorf("after the failure: %q, %v after %d calls; want Ayşe from a second call", got, err, sim.Calls(discordsim.RouteMember))
			}
		})
	}
}

// A Discord that is only a source has no server of its own to hold
// nicknames: the global name it is.
func TestFirstNameWithoutAGuild(t *testing.T) {
	d, sim, _ := profileDiscord(t, func(o *discord.Options) { o.GuildID, o.DeskChannelID, o.ApplicationID = "", "", "" })
	sim.SetNick(alice, "Nickname")
	if got, err := d.FirstName(context.Background(), alice); err != nil || got != "Alice" {
		t.Errorf("FirstName = %q, %v; want Alice from the global name", got, err)
	}
	if sim.Calls(discordsim.RouteMember) != 0 || sim.Calls(discordsim.RouteUser) != 1 {
		t.Errorf("%d member and %d user lookups, want 0 and 1", sim.Calls(discordsim.RouteMember), sim.Calls(discordsim.RouteUser))
	}
}
