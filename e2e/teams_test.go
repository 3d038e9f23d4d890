package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
)

// The teams of TestTeams: tr-care is the default team (the last one no
// route names), ro-care takes Romanian, billing takes double charges.
const (
	trChannel      = "C0TRCARE"
	roChannel      = "C0ROCARE"
	billingChannel = "C0BILLING"
	trDuty         = "U0TRDUTY"
	roDuty         = "U0RODUTY"
)

// teamsFile writes the YAML file of three teams. Each team with a rota is
// in business hours now and closes in half an hour for the rest of the
// week, so that its weekend notice (an hour ahead) is due at start,
// whatever the day and the time the test runs; each rota has a single
// member, so whose shift it is does not depend on the date either.
func teamsFile(t *testing.T, now time.Time) string {
	t.Helper()
	istanbul, bucharest := zone(t, "Europe/Istanbul"), zone(t, "Europe/Bucharest")
	yaml := fmt.Sprintf(`timezone: Europe/Istanbul
business_hours: %s
escalation:
  weekend_notice: 1h
customers:
  acknowledge: off
  signature: false
teams:
  - name: tr-care
    channel: %s
    rota:
      rotations:
        - {name: tr, members: [%s], length: weekly, handover: "mon 09:00", start: %s}
  - name: ro-care
    channel: %s
    timezone: Europe/Bucharest
    business_hours: %s
    rota:
      rotations:
        - {name: ro, members: [%s], length: weekly, handover: "mon 09:00", start: %s}
  - name: billing
    channel: %s
routes:
  - {team: ro-care, language: ro}
  - {team: billing, keywords: [fatura, refund, "çift çekim", rambursare]}
`, closingSoon(now, istanbul),
		trChannel, trDuty, mondayBefore(now, istanbul),
		roChannel, closingSoon(now, bucharest), roDuty, mondayBefore(now, bucharest),
		billingChannel)
	path := filepath.Join(t.TempDir(), "teams.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no time zone %s on this machine: %v", name, err)
	}
	return loc
}

// closingSoon is business hours, as YAML, that are open now on loc's
// clock and close about 30 minutes from now, with every other day closed:
// a closed stretch of almost a week begins within the hour.
func closingSoon(now time.Time, loc *time.Location) string {
	local := now.In(loc)
	day := func(t time.Time) string { return strings.ToLower(t.Weekday().String()[:3]) }
	clock := func(t time.Time) string { return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute()) }
	start := local.Add(-time.Hour)
	if start.YearDay() != local.YearDay() {
		start = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	}
	end := local.Add(30 * time.Minute)
	switch {
	case end.YearDay() == local.YearDay():
		return fmt.Sprintf("{%s: %s-%s}", day(local), clock(start), clock(end))
	case end.Hour() == 0 && end.Minute() == 0:
		return fmt.Sprintf("{%s: %s-24:00}", day(local), clock(start))
	}
	return fmt.Sprintf("{%s: %s-24:00, %s: 00:00-%s}", day(local), clock(start), day(end), clock(end))
}

// mondayBefore is a Monday some weeks before now on loc's clock, as
// YYYY-MM-DD, for a rota that has long started.
func mondayBefore(now time.Time, loc *time.Location) string {
	d := now.In(loc).AddDate(0, 0, -21)
	d = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	return d.Format(time.DateOnly)
}

// rootsIn are the ticket roots caredesk posted in channel, oldest first.
func (r *rig) rootsIn(channel string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range r.slack.Messages() {
		if m.Channel == channel && m.IsRoot() && isTicket(&m) {
			out = append(out, m)
		}
	}
	return out
}

// rootOf returns ticket n's root in channel, if it is there.
func (r *rig) rootOf(channel string, n int) (slacksim.Message, bool) {
	for _, m := range r.rootsIn(channel) {
		if strings.Contains(m.Rendered(), fmt.Sprintf("#%d · ", n)) {
			return m, true
		}
	}
	return slacksim.Message{}, false
}

// announcementsIn are the messages of channel that are neither a ticket's
// root nor in a thread: what caredesk announced there.
func (r *rig) announcementsIn(channel string) []string {
	var out []string
	for _, m := range r.slack.Messages() {
		if m.Channel == channel && m.IsRoot() && !isTicket(&m) {
			out = append(out, m.Text+"\n"+m.Rendered())
		}
	}
	return out
}

// threadHas reports whether a message of the thread of root holds every
// one of texts.
func (r *rig) threadHas(root string, texts ...string) bool {
	for _, m := range r.slack.Thread(root) {
		shown := m.Text + "\n" + m.Rendered()
		all := true
		for _, s := range texts {
			all = all && strings.Contains(shown, s)
		}
		if all {
			return true
		}
	}
	return false
}

// eventually is rig.wait that reports a condition still false after 15 s
// as an error, not the end of the test, so that what follows is checked
// too; it returns whether cond became true.
func (r *rig) eventually(what string, cond func() bool) bool {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := r.slack.Wait(ctx, cond); err != nil {
		r.t.Errorf("waited 15 s for %s: %v", what, err)
		return false
	}
	return true
}

// whereIs says where the messages holding text are: channel, thread
// and what they read.
func (r *rig) whereIs(text string) string {
	var b strings.Builder
	for _, m := range r.slack.Messages() {
		if shown := m.Rendered(); strings.Contains(m.Text+"\n"+shown, text) {
			where := "a root"
			if !m.IsRoot() {
				where = "the thread of " + m.ThreadTS
			}
			fmt.Fprintf(&b, "  in %s, %s: %q\n", m.Channel, where, shown)
		}
	}
	if b.Len() == 0 {
		return "  nowhere"
	}
	return b.String()
}

// commandIn is /desk text typed by user in channel; it returns the answer.
func (r *rig) commandIn(channel, user, name, text string) string {
	r.t.Helper()
	resp, err := r.slack.SlashCommandIn(channel, user, name, "/desk", text)
	if err != nil {
		r.t.Fatalf("/desk %s in %s: %v", text, channel, err)
	}
	return resp.Text
}

// complaintLandsIn has a Telegram customer write and waits for ticket n's
// root in channel, which it returns once caredesk recorded it.
func (r *rig) complaintLandsIn(channel string, n int, from telegramsim.User, text string) slacksim.Message {
	r.t.Helper()
	r.tg.CustomerWrites(from.ID, from, text)
	r.wait(fmt.Sprintf("#%d's root in %s", n, channel), func() bool {
		_, ok := r.rootOf(channel, n)
		return ok
	})
	r.recorded(n)
	root, _ := r.rootOf(channel, n)
	return root
}

// TestTeams: one caredesk serving three teams, each in its own channel:
// complaints go where the routes send them and say why, commands typed in
// a team's channel answer for that team, an agent answers from any team's
// channel, a ticket moves to another team with its history and goes on in
// the new thread, and each team hears its own hand-overs and weekend
// notice, naming its own people.
func TestTeams(t *testing.T) {
	now := time.Now()
	r := newRig(t, rigOptions{env: map[string]string{
		"CAREDESK_CONFIG": teamsFile(t, now),
		"CAREDESK_TICK":   "100ms",
	}})
	r.slack.AddChannel(trChannel, "tr-care", true)
	r.slack.AddChannel(roChannel, "ro-care", true)
	r.slack.AddChannel(billingChannel, "billing", true)
	r.slack.AddUser(trDuty, "tolga")
	r.slack.AddUser(roDuty, "radu")
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range r.slack.Messages() {
				t.Logf("Slack %s ts=%s thread=%s: %q", m.Channel, m.TS, m.ThreadTS, m.Rendered())
			}
		}
	})
	r.start()

	// 1–3: each complaint in its team's channel, its root saying why.
	andrei := telegramsim.User{ID: 7101, FirstName: "Andrei", Username: "andrei_ro", LanguageCode: "ro"}
	ayse := telegramsim.User{ID: 7102, FirstName: "Ayşe", Username: "ayse_tr", LanguageCode: "tr"}
	john := telegramsim.User{ID: 7103, FirstName: "John", Username: "john_uk", LanguageCode: "en"}
	tickets := []struct {
		name, channel, team, why string
		from                     telegramsim.User
		text                     string
	}{
		{"Romanian", roChannel, "ro-care", "by language ro, rule 1", andrei, "Comanda mea nu a ajuns de o săptămână"},
		{"Turkish double charge", billingChannel, "billing", `by keyword "fatura", rule 2`, ayse, "faturamı iki kez çektiniz"},
		{"no route", trChannel, "tr-care", "the default team", john, "My parcel never arrived"},
	}
	roots := map[string]slacksim.Message{}
	for i, tc := range tickets {
		root := r.complaintLandsIn(tc.channel, i+1, tc.from, tc.text)
		roots[tc.channel] = root
		shown := root.Rendered()
		for _, want := range []string{"Team " + tc.team, tc.why} {
			if !strings.Contains(shown, want) {
				t.Errorf("%s: the root in %s lacks %q:\n%s", tc.name, tc.channel, want, shown)
			}
		}
	}
	for _, ch := range []string{trChannel, roChannel, billingChannel} {
		if got := len(r.rootsIn(ch)); got != 1 {
			t.Errorf("%s has %d ticket roots, want 1", ch, got)
		}
	}
	if got := len(r.roots()); got != 0 {
		t.Errorf("the desk channel (SLACK_CHANNEL_ID) has %d ticket roots; every complaint belongs to a team", got)
	}

	// 4: commands answer for the channel's team, or the one --team names.
	lists := []struct {
		where, text string
		want        string
		not         []string
	}{
		{roChannel, "list", "#1 ", []string{"#2 ", "#3 "}},
		{trChannel, "list", "#3 ", []string{"#1 ", "#2 "}},
		{r.env["SLACK_CHANNEL_ID"], "list --team billing", "#2 ", []string{"#1 ", "#3 "}},
		{roChannel, "list --team billing", "#2 ", []string{"#1 ", "#3 "}},
		{roChannel, "sla", "#1 ", []string{"#2 ", "#3 "}},
		{billingChannel, "sla", "#2 ", []string{"#1 ", "#3 "}},
	}
	for _, l := range lists {
		got := r.commandIn(l.where, "UCAROL", "carol", l.text)
		if !strings.Contains(got, l.want) {
			t.Errorf("/desk %s in %s lacks %q:\n%s", l.text, l.where, l.want, got)
		}
		for _, n := range l.not {
			if strings.Contains(got, n) {
				t.Errorf("/desk %s in %s shows another team's %q:\n%s", l.text, l.where, n, got)
			}
		}
	}
	if got := r.commandIn(roChannel, "UCAROL", "carol", "rota"); !strings.Contains(got, "Team ro-care") || !strings.Contains(got, "<@"+roDuty+">") || strings.Contains(got, trDuty) {
		t.Errorf("/desk rota in ro-care's channel answered:\n%s", got)
	}
	if got := r.commandIn(roChannel, "UCAROL", "carol", "rota --team tr-care"); !strings.Contains(got, "Team tr-care") || !strings.Contains(got, "<@"+trDuty+">") || strings.Contains(got, roDuty) {
		t.Errorf("/desk rota --team tr-care answered:\n%s", got)
	}
	if got := r.commandIn(roChannel, "UCAROL", "carol", "list --team nosuch"); !strings.Contains(got, `There is no team "nosuch"`) {
		t.Errorf("/desk list --team nosuch answered %q", got)
	}

	// 5: an agent claims in ro-care's channel and answers in its thread.
	ro := roots[roChannel]
	claim := slacksim.Button{}
	for _, b := range ro.Buttons() {
		if b.Text == "Claim" {
			claim = b
		}
	}
	if claim.ActionID == "" {
		t.Fatalf("the root in ro-care's channel has no Claim button: %+v", ro.Buttons())
	}
	if err := r.slack.ClickButton("UALICE", "alice", ro.TS, claim.ActionID, claim.Value); err != nil {
		t.Fatal(err)
	}
	r.wait("#1 claimed", func() bool {
		m, _ := r.slack.Message(ro.TS)
		return strings.Contains(m.Rendered(), "Claimed by <@UALICE>.")
	})
	r.post("UALICE", ro.TS, "Ne pare rău, coletul pleacă azi.")
	r.wait("alice's answer in Telegram", func() bool {
		got := r.sentTo(andrei.ID)
		return len(got) == 1 && got[0] == "Ne pare rău, coletul pleacă azi."
	})

	// 7 (the notices are due from the start): each team's hand-over and weekend notice, in its own channel,
	// naming its own people; billing has no rota, so neither.
	for _, tc := range []struct{ team, channel, duty, other string }{
		{"tr-care", trChannel, trDuty, roDuty},
		{"ro-care", roChannel, roDuty, trDuty},
	} {
		r.wait(tc.team+"'s hand-over and weekend notice", func() bool {
			handover, weekend := false, false
			for _, a := range r.announcementsIn(tc.channel) {
				handover = handover || strings.Contains(a, "🔁 Hand-over: <@"+tc.duty+"> takes the out-of-hours duty (primary) for "+tc.team)
				weekend = weekend || (strings.Contains(a, "📅 This weekend for "+tc.team+" (") && strings.Contains(a, "<@"+tc.duty+">"))
			}
			return handover && weekend
		})
		for _, a := range r.announcementsIn(tc.channel) {
			if strings.Contains(a, tc.other) {
				t.Errorf("%s's channel names the other team's person %s:\n%s", tc.team, tc.other, a)
			}
		}
	}
	for _, a := range r.announcementsIn(billingChannel) {
		if strings.Contains(a, "Hand-over") || strings.Contains(a, "This weekend") {
			t.Errorf("billing has no rota, yet its channel reads:\n%s", a)
		}
	}
	for _, a := range r.notices() {
		if strings.Contains(a, "Hand-over") || strings.Contains(a, "This weekend") {
			t.Errorf("a team's announcement went to the desk channel instead of the team's:\n%s", a)
		}
	}
	// 6: the default team's ticket moves to billing with its history.
	old := roots[trChannel]
	switch got := r.commandIn(trChannel, "UBOB", "bob", "move 3 billing"); {
	case !strings.Contains(got, "Moved #3 to billing"):
		t.Errorf("/desk move 3 billing answered %q", got)
	case !strings.Contains(got, "Moved #3 to billing (<#"+billingChannel+">)"):
		t.Errorf("/desk move 3 billing does not link billing's channel as <#%s>: %q", billingChannel, got)
	}
	r.wait("#3's new root in billing's channel", func() bool {
		_, ok := r.rootOf(billingChannel, 3)
		return ok
	})
	r.recorded(4)
	moved, _ := r.rootOf(billingChannel, 3)
	if shown := moved.Rendered(); !strings.Contains(shown, "Team billing") || !strings.Contains(shown, "moved from tr-care by <@UBOB>") {
		t.Errorf("the moved ticket's root lacks its team and why:\n%s", shown)
	}
	const leaving = "➡️ <@UBOB> moved #3 to billing"
	if r.eventually("the notice in the old thread", func() bool { return r.threadHas(old.TS, leaving, "it goes on in a new thread there") }) {
		if !r.threadHas(old.TS, leaving+" (<#"+billingChannel+">)") {
			t.Errorf("the notice in the old thread does not link billing's channel as <#%s>:\n%s", billingChannel, r.whereIs(leaving))
		}
	} else {
		t.Errorf("the notice was posted here instead:\n%s", r.whereIs(leaving))
	}
	const arriving = "↪️ <@UBOB> moved #3 here from tr-care"
	if r.eventually("the history in the new thread", func() bool {
		return r.threadHas(moved.TS, arriving, "claim it to answer.", "So far:", "My parcel never arrived")
	}) {
		link := arriving + " (<#" + trChannel + ">: <https://caredesk-sim.slack.com/archives/" + trChannel + "/p" + strings.ReplaceAll(old.TS, ".", "") + "|the earlier thread>)"
		if !r.threadHas(moved.TS, link) {
			t.Errorf("the notice in the new thread does not link tr-care's channel and the old thread as %q:\n%s", link, r.whereIs(arriving))
		}
	} else {
		t.Errorf("the notice was posted here instead:\n%s", r.whereIs(arriving))
	}
	if got := len(r.rootsIn(trChannel)); got != 1 {
		t.Errorf("tr-care's channel has %d ticket roots after the move, want the old one only", got)
	}
	if _, ok := r.rootOf(billingChannel, 2); !ok {
		t.Errorf("billing's own ticket #2 lost its root after the move")
	}
	const again = "Any news about my parcel?"
	r.tg.CustomerWrites(john.ID, john, again)
	if !r.eventually("the customer's new message in the new thread", func() bool { return r.threadHas(moved.TS, again) }) {
		t.Errorf("the customer's message was posted here instead:\n%s", r.whereIs(again))
	}
	if r.threadHas(old.TS, again) {
		t.Errorf("the customer's message after the move was posted in the old thread")
	}
	if !r.eventually("the old root to say where the ticket went", func() bool {
		m, _ := r.slack.Message(old.TS)
		return strings.Contains(m.Rendered(), "Moved to team billing: it goes on in its thread there.") && !strings.Contains(m.Rendered(), "Claim")
	}) {
		m, _ := r.slack.Message(old.TS)
		t.Errorf("the old root reads %q, want where the ticket went and no buttons", m.Rendered())
	}
	if got := r.commandIn(billingChannel, "UCAROL", "carol", "list"); !strings.Contains(got, "#2 ") || !strings.Contains(got, "#3 ") {
		t.Errorf("/desk list in billing's channel after the move:\n%s", got)
	}
	if got := r.commandIn(trChannel, "UCAROL", "carol", "list"); strings.Contains(got, "#3 ") {
		t.Errorf("/desk list in tr-care's channel still shows the moved #3:\n%s", got)
	}

	if err := r.stop(); err != nil {
		t.Errorf("SIGTERM: caredesk exited with %v, want 0", err)
	}
}

// TestTeamChannelTheBotIsNotIn: caredesk refuses to start when the bot is
// not in a team's channel, and names every such channel at once, with how
// to mend it.
func TestTeamChannelTheBotIsNotIn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		absent []string // the team channels the bot is not in
	}{
		{"one channel", []string{roChannel}},
		{"two channels", []string{roChannel, billingChannel}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{env: map[string]string{"CAREDESK_CONFIG": teamsFile(t, time.Now())}})
			names := map[string]string{trChannel: "tr-care", roChannel: "ro-care", billingChannel: "billing"}
			for id, name := range names {
				member := true
				for _, a := range tc.absent {
					member = member && a != id
				}
				r.slack.AddChannel(id, name, member)
			}
			out, err := r.failsToStart()
			if err == nil {
				t.Fatalf("caredesk exited 0; output:\n%s", out)
			}
			for _, id := range tc.absent {
				want := fmt.Sprintf("%s (#%s): invite it with /invite", id, names[id])
				if !strings.Contains(out, want) {
					t.Errorf("the output does not name %s with /invite (%q):\n%s", id, want, out)
				}
			}
			if strings.Contains(out, trChannel+" (#tr-care): invite") {
				t.Errorf("the output asks to invite the bot to %s, which it is in:\n%s", trChannel, out)
			}
		})
	}
}

// failsToStart runs caredesk with the rig's settings and expects it to
// exit at start; it returns its output and its exit error, and fails the
// test if it is still running after 30 s.
func (r *rig) failsToStart() (string, error) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		r.t.Fatalf("caredesk was still running after 30 s; it should have refused to start:\n%s", out)
	}
	return string(out), err
}
