package bot_test

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/route"
)

var bucharest = mustZone("Europe/Bucharest")

// The two teams' people: each team's on-call person and lead.
var (
	trDuty = bot.Agent{ID: "UTRDUTY"}
	trLead = bot.Agent{ID: "UTRLEAD"}
	roDuty = bot.Agent{ID: "URODUTY"}
	roLead = bot.Agent{ID: "UROLEAD"}
	ioana  = bot.Customer{ID: "3001", Name: "Ioana Pop"}
	mehmet = bot.Customer{ID: "3002", Name: "Mehmet Kaya"}
)

// team is a team open Mon–Fri 09:00–18:00 in its zone, with one person on
// a weekly rota, a lead, and the default escalation.
func team(name, channel string, loc *time.Location, duty, lead bot.Agent) bot.Team {
	esc := bot.DefaultEscalation()
	esc.Lead = lead.ID
	return bot.Team{
		Name: name, Channel: channel,
		SLA:      func(string) bot.SLA { return bot.SLA{FirstResponse: time.Hour} },
		Calendar: bot.DefaultCalendar(loc),
		Rota: bot.Rota{Location: loc, Rotations: []bot.Rotation{{Name: name, Layer: bot.Primary, Length: "weekly",
			HandoverDay: time.Monday, HandoverTime: 9 * 60, Members: []string{duty.ID}, Start: time.Date(2026, 11, 2, 9, 0, 0, 0, loc)}}},
		Escalation: esc,
	}
}

// teamsPolicy is a desk of a Turkish and a Romanian team: Romanian
// customers go to ro-care, the rest to tr-care, the default.
func teamsPolicy(t *testing.T) bot.Policy {
	t.Helper()
	p := bot.DefaultPolicy()
	p.Teams = []bot.Team{
		team("ro-care", "CRO", bucharest, roDuty, roLead),
		team("tr-care", "CTR", istanbul, trDuty, trLead),
	}
	p.DefaultTeam = "tr-care"
	r, err := route.New([]route.Rule{{Team: "ro-care", Language: "ro"}}, p.DefaultTeam)
	if err != nil {
		t.Fatal(err)
	}
	p.Route = func(source, language, text string) (string, string) {
		d := r.Route(route.Complaint{Source: source, Language: language, Text: text})
		return d.Team, d.Why
	}
	return p
}

// deskFails makes every call of the desk fail with err, or work again
// with nil.
func (w *world) deskFails(err error) {
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	w.desk.fail = err
}

// dmsTo is what agent was told privately.
func (w *world) dmsTo(agent bot.Agent) []string {
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	var out []string
	for _, dm := range w.desk.dms {
		if text, ok := strings.CutPrefix(dm, agent.ID+": "); ok {
			out = append(out, text)
		}
	}
	return out
}

// rootsOf is the roots posted for ticket n, by desk channel, in order.
func (w *world) rootsOf(n int64) (refs []string, channels []string) {
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	for i := 1; i <= w.desk.n; i++ {
		ref := fmt.Sprintf("root-%d", i)
		if root, ok := w.desk.roots[ref]; ok && root.ID == n {
			refs, channels = append(refs, ref), append(channels, root.Channel)
		}
	}
	return refs, channels
}

// threadText is what ticket thread ref shows, one message a line.
func (w *world) threadText(ref string) string {
	w.desk.mu.Lock()
	defer w.desk.mu.Unlock()
	var lines []string
	for _, m := range w.desk.thread[ref] {
		lines = append(lines, m.Text)
	}
	return strings.Join(lines, "\n")
}

// TestTeamsRouteAndPageTheirOwnPeople: at 18:30 in Istanbul it is 17:30
// in Bucharest, so the Turkish team is closed while the Romanian one
// works. Each complaint goes to its team's channel, and each team's
// timers page its own people.
func TestTeamsRouteAndPageTheirOwnPeople(t *testing.T) {
	w := newWorldWith(t, teamsPolicy(t), time.Date(2026, 11, 19, 18, 30, 0, 0, istanbul))
	w.writesIn(ioana, "ro-RO", false, 1, "Unde este coletul meu?")
	w.writesIn(mehmet, "tr", false, 11, "Kargom nerede?")

	for _, tt := range []struct {
		n                     int64
		team, channel, routed string
	}{
		{1, "ro-care", "CRO", "by language ro, rule 1"},
		{2, "tr-care", "CTR", "the default team: no rule matched"},
	} {
		tk := w.ticket(tt.n)
		if tk.Team != tt.team || tk.Channel != tt.channel || tk.Routed != tt.routed {
			t.Errorf("#%d filed with team %q in %q (%q), want %q in %q (%q)", tt.n, tk.Team, tk.Channel, tk.Routed, tt.team, tt.channel, tt.routed)
		}
		if _, channels := w.rootsOf(tt.n); !slices.Equal(channels, []string{tt.channel}) {
			t.Errorf("#%d's root was posted in %q, want once in %s", tt.n, channels, tt.channel)
		}
	}
	// Out of hours in Istanbul only: the Turkish on-call person is paged
	// at once, the Romanian one is not (their team is at work).
	if dms := w.dmsTo(trDuty); len(dms) != 1 || !strings.Contains(dms[0], "New complaint #2") || !strings.Contains(dms[0], "<#CTR>") {
		t.Errorf("tr-care's on-call person was told %q, want the new complaint #2 in <#CTR>", dms)
	}
	if dms := w.dmsTo(roDuty); len(dms) != 0 {
		t.Errorf("ro-care's on-call person was told %q in their team's hours", dms)
	}

	// 16 minutes on, both unclaimed: ro-care's channel is pinged, tr-care's
	// on-call person is paged.
	w.run(time.Date(2026, 11, 19, 18, 46, 0, 0, istanbul), time.Minute)
	roRefs, _ := w.rootsOf(1)
	trRefs, _ := w.rootsOf(2)
	if got := w.threadText(roRefs[0]); !strings.Contains(got, bot.Here+" #1 has waited") {
		t.Errorf("ro-care's thread of #1 says %q, want the channel pinged in hours", got)
	}
	pages := func(dms []string) (n int) {
		for _, dm := range dms {
			if strings.HasPrefix(dm, "📟") || strings.HasPrefix(dm, "🌙") {
				n++
			}
		}
		return n
	}
	if dms := w.dmsTo(trDuty); pages(dms) != 2 || !slices.ContainsFunc(dms, func(s string) bool { return strings.HasPrefix(s, "📟 #2 has waited") }) {
		t.Errorf("tr-care's on-call person was told %q, want the new complaint and a page about #2", dms)
	}
	if dms := w.dmsTo(roDuty); pages(dms) != 0 {
		t.Errorf("ro-care's on-call person was paged: %q, though their team is at work", dms)
	}

	// Past the hour: each breach pings its own team's lead.
	w.run(time.Date(2026, 11, 19, 19, 35, 0, 0, istanbul), 5*time.Minute)
	for _, tt := range []struct {
		lead, other bot.Agent
		ticket      string
		ref         string
	}{
		{roLead, trLead, "#1", roRefs[0]},
		{trLead, roLead, "#2", trRefs[0]},
	} {
		if got := w.threadText(tt.ref); !strings.Contains(got, bot.Mention(tt.lead)+" (lead)") || strings.Contains(got, bot.Mention(tt.other)) {
			t.Errorf("the breach of %s reads %q, want its own team's lead %s and not %s", tt.ticket, got, tt.lead.ID, tt.other.ID)
		}
		if dms := w.dmsTo(tt.lead); len(dms) != 1 || !strings.Contains(dms[0], tt.ticket+" ") {
			t.Errorf("lead %s was told %q, want the breach of %s alone", tt.lead.ID, dms, tt.ticket)
		}
	}
}

// TestTeamNoticesGoToTheirOwnChannel: each team's hand-over and weekend
// notice is posted in its own channel and names its own people, at its
// own local time.
func TestTeamNoticesGoToTheirOwnChannel(t *testing.T) {
	// Friday 13:30 UTC: 16:30 in Istanbul, 15:30 in Bucharest.
	w := newWorldWith(t, teamsPolicy(t), time.Date(2026, 11, 20, 13, 30, 0, 0, time.UTC))
	w.run(time.Date(2026, 11, 20, 13, 31, 0, 0, time.UTC), time.Minute)
	w.desk.mu.Lock()
	started := slices.Clone(w.desk.announced)
	w.desk.mu.Unlock()
	for _, want := range []string{"<#CRO> 🔁 Hand-over: <@URODUTY> takes the out-of-hours duty (primary) for ro-care", "<#CTR> 🔁 Hand-over: <@UTRDUTY> takes the out-of-hours duty (primary) for tr-care"} {
		if !slices.ContainsFunc(started, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("at start the channels heard %q, want a line starting %q", started, want)
		}
	}

	// Istanbul closes at 15:00 UTC, Bucharest at 16:00 UTC; each notice
	// comes an hour before its own team's weekend.
	w.run(time.Date(2026, 11, 20, 14, 5, 0, 0, time.UTC), 5*time.Minute)
	w.desk.mu.Lock()
	at1405 := slices.Clone(w.desk.announced[len(started):])
	w.desk.mu.Unlock()
	if len(at1405) != 1 || !strings.HasPrefix(at1405[0], "<#CTR> 📅 This weekend for tr-care") || !strings.Contains(at1405[0], "<@UTRDUTY> (primary)") || strings.Contains(at1405[0], roDuty.ID) || strings.Contains(at1405[0], "then") {
		t.Errorf("by 14:05 UTC the channels heard %q, want tr-care's weekend notice alone, naming its own person once (a one-person rota hands over to nobody new), in <#CTR>", at1405)
	}
	w.run(time.Date(2026, 11, 20, 15, 5, 0, 0, time.UTC), 5*time.Minute)
	w.desk.mu.Lock()
	at1505 := slices.Clone(w.desk.announced[len(started)+1:])
	w.desk.mu.Unlock()
	if len(at1505) != 1 || !strings.HasPrefix(at1505[0], "<#CRO> 📅 This weekend for ro-care") || !strings.Contains(at1505[0], "<@URODUTY> (primary)") || strings.Contains(at1505[0], trDuty.ID) {
		t.Errorf("by 15:05 UTC the channels heard %q more, want ro-care's weekend notice alone, naming its own person, in <#CRO>", at1505)
	}
}

// TestTeamCommandsAnswerForTheirChannel: the list, SLA and rota commands
// answer for the team of the channel they are typed in, or --team.
func TestTeamCommandsAnswerForTheirChannel(t *testing.T) {
	w := newWorldWith(t, teamsPolicy(t), time.Date(2026, 11, 19, 18, 30, 0, 0, istanbul))
	w.writesIn(ioana, "ro", false, 1, "Unde este coletul meu?")
	w.writesIn(mehmet, "tr", false, 11, "Kargom nerede?")

	for _, tt := range []struct {
		name      string
		action    bot.Action
		want, not []string
		code      string
	}{
		{"list in ro-care's channel", bot.Action{Verb: bot.DoList, Channel: "CRO"}, []string{"for ro-care", "#1 "}, []string{"#2 "}, ""},
		{"list of another team", bot.Action{Verb: bot.DoList, Channel: "CRO", Team: "tr-care"}, []string{"for tr-care", "#2 "}, []string{"#1 "}, ""},
		{"sla in tr-care's channel", bot.Action{Verb: bot.DoSLA, Channel: "CTR"}, []string{"1 waiting for a first answer for tr-care", "#2 "}, []string{"#1 "}, ""},
		{"rota where the team is closed", bot.Action{Verb: bot.DoRota, Channel: "CTR"}, []string{"Team tr-care: Out of hours", "<@UTRDUTY> (primary)"}, []string{"URODUTY"}, ""},
		{"rota where the team works", bot.Action{Verb: bot.DoRota, Channel: "CRO"}, []string{"Team ro-care: It is business hours", "<@URODUTY> (primary)"}, []string{"UTRDUTY"}, ""},
		{"a channel of no team answers for the default team", bot.Action{Verb: bot.DoList, Channel: "CELSEWHERE"}, []string{"for tr-care"}, nil, ""},
		{"an unknown team", bot.Action{Verb: bot.DoList, Team: "pl-care"}, []string{`There is no team "pl-care". The teams are ro-care, tr-care.`}, nil, bot.ENOTFOUND},
		{"undo with nothing to undo", bot.Action{Verb: bot.DoUndo, Channel: "CTR"}, []string{"There is no rota change for tr-care to take back."}, nil, bot.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.action.Agent = alice
			got, err := w.act(tt.action)
			if bot.ErrorCode(err) != tt.code {
				t.Fatalf("%s: error %v, want code %q", tt.action.Verb, err, tt.code)
			}
			if err != nil {
				got = bot.ErrorMessage(err)
			}
			for _, s := range tt.want {
				if !strings.Contains(got, s) {
					t.Errorf("answer %q lacks %q", got, s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(got, s) {
					t.Errorf("answer %q has %q, another team's", got, s)
				}
			}
		})
	}

	// An override typed in ro-care's channel changes ro-care's rota only,
	// is told in that channel, and is undone there.
	mustAct(t, w, bot.Action{Verb: bot.DoOverride, Channel: "CRO", Agent: roLead, To: bob,
		From: time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)})
	if got := mustAct(t, w, bot.Action{Verb: bot.DoRota, Channel: "CRO", Agent: alice}); !strings.Contains(got, "<@UBOB> (primary)") {
		t.Errorf("ro-care's rota after the override: %q, want bob on duty", got)
	}
	if got := mustAct(t, w, bot.Action{Verb: bot.DoRota, Channel: "CTR", Agent: alice}); strings.Contains(got, "UBOB") {
		t.Errorf("tr-care's rota after ro-care's override: %q, want it unchanged", got)
	}
	if _, err := w.act(bot.Action{Verb: bot.DoUndo, Channel: "CTR", Agent: alice}); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("undo in tr-care's channel: %v, want nothing of tr-care's to undo", err)
	}
	mustAct(t, w, bot.Action{Verb: bot.DoUndo, Channel: "CRO", Agent: alice})
	w.desk.mu.Lock()
	announced := slices.Clone(w.desk.announced)
	w.desk.mu.Unlock()
	var changes []string
	for _, a := range announced {
		if strings.Contains(a, "Rota change") || strings.Contains(a, "took back") {
			changes = append(changes, a)
		}
	}
	if len(changes) != 2 || !strings.HasPrefix(changes[0], "<#CRO> 🗓️ Rota change: <@UBOB> covers") || !strings.HasPrefix(changes[1], "<#CRO> ↩️") {
		t.Errorf("the rota's changes were told as %q, want both in <#CRO>", changes)
	}
}

// TestMove: a ticket routed to the wrong team goes to the other team's
// channel with its history; the new team claims it; the customer's next
// message lands in the new thread.
func TestMove(t *testing.T) {
	w := newWorldWith(t, teamsPolicy(t), time.Date(2026, 11, 19, 18, 30, 0, 0, istanbul))
	w.writesIn(ioana, "ro", false, 1, "Am plătit de două ori")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})

	got := mustAct(t, w, bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "tr-care", Agent: alice})
	if !strings.Contains(got, "Moved #1 to tr-care (<#CTR>)") {
		t.Errorf("the mover reads %q", got)
	}
	refs, channels := w.rootsOf(1)
	if !slices.Equal(channels, []string{"CRO", "CTR"}) {
		t.Fatalf("#1's roots are in %q, want ro-care's then tr-care's", channels)
	}
	if old := w.threadText(refs[0]); !strings.Contains(old, "➡️ <@UALICE> moved #1 to tr-care (<#CTR>)") {
		t.Errorf("the old thread says %q, want where it went", old)
	}
	w.desk.mu.Lock()
	oldRoot, newRoot := w.desk.roots[refs[0]], w.desk.roots[refs[1]]
	w.desk.mu.Unlock()
	if !oldRoot.Left || oldRoot.Team != "tr-care" || newRoot.Left {
		t.Errorf("the old root was last rendered as %+v, the new one as %+v; want the old one shown as left for tr-care", oldRoot, newRoot)
	}
	fresh := w.threadText(refs[1])
	for _, want := range []string{"↪️ <@UALICE> moved #1 here from ro-care (<#CRO>: <thread:CRO/root-1>); claim it to answer. <@UALICE> owned it there.", "Am plătit de două ori"} {
		if !strings.Contains(fresh, want) {
			t.Errorf("the new thread says %q, want %q", fresh, want)
		}
	}
	tk := w.ticket(1)
	if tk.Team != "tr-care" || tk.Channel != "CTR" || tk.State != bot.Open || tk.Owner.ID != "" || tk.Moves != 1 || tk.DeskThread != refs[1] {
		t.Errorf("after the move #1 is %+v, want tr-care's, open, nobody's, moved once, in its new thread", tk)
	}
	if !strings.Contains(tk.Routed, "moved from ro-care by <@UALICE>") {
		t.Errorf("its root says %q about how it got here", tk.Routed)
	}
	// tr-care is out of hours: its on-call person hears of it.
	if dms := w.dmsTo(trDuty); len(dms) != 1 || !strings.Contains(dms[0], "#1") || !strings.Contains(dms[0], "Claim it in <#CTR>") {
		t.Errorf("tr-care's on-call person was told %q, want the moved #1", dms)
	}
	// An answer written in the old thread reaches nobody, and its author
	// is told where to write instead.
	w.tg.mu.Lock()
	sent := len(w.tg.got)
	w.tg.mu.Unlock()
	if _, err := w.act(bot.Action{Verb: bot.DoSay, Thread: refs[0], Channel: "CRO", Agent: alice, Text: "Vă returnăm banii azi.", Ref: "old-1", Whisper: true}); err != nil {
		t.Fatalf("a message in the old thread: %v", err)
	}
	w.tg.mu.Lock()
	after := len(w.tg.got)
	w.tg.mu.Unlock()
	w.desk.mu.Lock()
	whispers := slices.Clone(w.desk.whispers)
	w.desk.mu.Unlock()
	if after != sent || len(whispers) == 0 || !strings.Contains(whispers[len(whispers)-1], "UALICE: #1 moved to tr-care: this thread no longer reaches the customer. Write in its thread in <#CTR>") {
		t.Errorf("an answer in the old thread: %d sent to the customer, whispers %q; want nothing sent and the author told where to write", after-sent, whispers)
	}
	w.writesIn(ioana, "ro", false, 2, "Mai e cineva acolo?")
	if now := w.threadText(refs[1]); !strings.Contains(now, "Mai e cineva acolo?") {
		t.Errorf("the customer's next message is not in the new thread: %q", now)
	}
	if old := w.threadText(refs[0]); strings.Contains(old, "Mai e cineva acolo?") {
		t.Errorf("the customer's next message went to the old thread: %q", old)
	}

	for _, tt := range []struct {
		name   string
		action bot.Action
		code   string
		says   string
	}{
		{"to its own team", bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "tr-care"}, bot.ECONFLICT, "#1 is tr-care's already."},
		{"to no team", bot.Action{Verb: bot.DoMove, Ticket: 1}, bot.EINVALID, "Name the team: /desk move 1 TEAM. The teams are ro-care, tr-care."},
		{"to an unknown team", bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "billing"}, bot.ENOTFOUND, `There is no team "billing".`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.action.Agent = bob
			_, err := w.act(tt.action)
			if bot.ErrorCode(err) != tt.code || !strings.Contains(bot.ErrorMessage(err), tt.says) {
				t.Errorf("%+v: %v, want %s saying %q", tt.action, err, tt.code, tt.says)
			}
		})
	}

	// Back once more is allowed; a third move is refused.
	mustAct(t, w, bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "ro-care", Agent: bob})
	if _, err := w.act(bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "tr-care", Agent: bob}); bot.ErrorCode(err) != bot.ECONFLICT || !strings.Contains(bot.ErrorMessage(err), "moved between teams 2 times") {
		t.Errorf("a third move: %v, want it refused", err)
	}
	mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: bob})
	if _, err := w.act(bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "tr-care", Agent: bob}); bot.ErrorCode(err) != bot.ECONFLICT {
		t.Errorf("moving a resolved ticket: %v, want it refused", err)
	}
}

// TestMoveWithoutTeams: a desk without teams says so.
func TestMoveWithoutTeams(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "Where is my parcel?")
	_, err := w.act(bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "billing", Agent: alice})
	if bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(bot.ErrorMessage(err), "This desk has no teams") {
		t.Errorf("move on a desk without teams: %v", err)
	}
	if tk := w.ticket(1); tk.Team != "" || tk.Channel != "" || tk.Routed != "" {
		t.Errorf("a desk without teams filed #1 as %+v", tk)
	}
}

// TestMoveWithDeliveriesWaiting: what was queued for a ticket before it
// moved (a follow-up the desk had not taken yet) is posted in the thread
// it was meant for, and the new root follows; nothing waits on a thread
// that is not there.
func TestMoveWithDeliveriesWaiting(t *testing.T) {
	w := newWorldWith(t, teamsPolicy(t), time.Date(2026, 11, 19, 18, 30, 0, 0, istanbul))
	w.writesIn(ioana, "ro", false, 1, "Am plătit de două ori")
	w.deskFails(errors.New("Slack is down"))
	w.writesIn(ioana, "ro", false, 2, "Vă rog, e urgent")
	mustAct(t, w, bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "tr-care", Agent: alice})
	w.deskFails(nil)
	w.run(w.clock.Now().Add(10*time.Minute), 10*time.Second)

	if n := w.outbox(); n != 0 {
		t.Errorf("%d deliveries still wait ten minutes after the desk came back", n)
	}
	refs, channels := w.rootsOf(1)
	if !slices.Equal(channels, []string{"CRO", "CTR"}) {
		t.Fatalf("#1's roots are in %q, want ro-care's then tr-care's", channels)
	}
	if old := w.threadText(refs[0]); !strings.Contains(old, "Vă rog, e urgent") || !strings.Contains(old, "➡️") {
		t.Errorf("the old thread says %q, want the follow-up queued before the move, then where it went", old)
	}
	if fresh := w.threadText(refs[1]); !strings.Contains(fresh, "Vă rog, e urgent") || strings.Contains(fresh, "➡️") {
		t.Errorf("the new thread says %q, want the history with the follow-up", fresh)
	}
	if tk := w.ticket(1); tk.Channel != "CTR" || tk.DeskThread != refs[1] {
		t.Errorf("#1 is in %s %s, want its new thread %s", tk.Channel, tk.DeskThread, refs[1])
	}
}

// TestFormerThreads: an emoji or a word in a thread that is no ticket's
// stays none of caredesk's business, while a word in a thread a ticket
// left (after each of its moves) is answered with where it went.
func TestFormerThreads(t *testing.T) {
	w := newWorldWith(t, teamsPolicy(t), time.Date(2026, 11, 19, 18, 30, 0, 0, istanbul))
	w.writesIn(ioana, "ro", false, 1, "Am plătit de două ori")
	w.writesIn(ioana, "ro", false, 2, "Vă rog")
	mustAct(t, w, bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "tr-care", Agent: alice})
	mustAct(t, w, bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "ro-care", Agent: alice})
	refs, _ := w.rootsOf(1)
	if len(refs) != 3 {
		t.Fatalf("#1 has roots %q, want three", refs)
	}
	w.desk.mu.Lock()
	followUp := w.desk.thread[refs[0]][0].DeskRef
	w.desk.mu.Unlock()
	whispers := func() int {
		w.desk.mu.Lock()
		defer w.desk.mu.Unlock()
		return len(w.desk.whispers)
	}
	for _, tt := range []struct {
		name   string
		thread string
		told   bool
	}{
		{"the first thread it left", refs[0], true},
		{"the second thread it left", refs[1], true},
		{"its thread now", refs[2], false},
		{"an emoji on a customer's follow-up", followUp, false},
		{"a thread of no ticket", "nothing-here", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := whispers()
			if _, err := w.act(bot.Action{Verb: bot.DoClaim, Thread: tt.thread, Agent: bob, Whisper: true, EventID: "ev-" + tt.name}); err != nil {
				t.Fatal(err)
			}
			w.desk.mu.Lock()
			got := slices.Clone(w.desk.whispers[before:])
			w.desk.mu.Unlock()
			moved := len(got) == 1 && strings.Contains(got[0], "#1 moved to ro-care")
			if moved != tt.told || !tt.told && tt.thread != refs[2] && len(got) != 0 {
				t.Errorf("a claim in %s was answered %q; told where it went: %v, want %v", tt.thread, got, moved, tt.told)
			}
		})
	}
}

// TestRemovedTeam: the tickets and rota changes of a team taken out of the
// file are the default team's: listed, handed over and undone with it.
func TestRemovedTeam(t *testing.T) {
	p := teamsPolicy(t)
	p.Teams = append(p.Teams, team("pl-care", "CPL", mustZone("Europe/Warsaw"), bob, lead))
	w := newWorldWith(t, p, time.Date(2026, 11, 19, 18, 30, 0, 0, istanbul))
	w.writesIn(ioana, "ro", false, 1, "Am plătit de două ori")
	mustAct(t, w, bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "pl-care", Agent: alice})
	mustAct(t, w, bot.Action{Verb: bot.DoOverride, Channel: "CPL", Agent: alice, To: carol,
		From: time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)})

	// The file loses pl-care; tr-care is the default team.
	w.bot = bot.New(w.db, bot.WithClock(w.clock), bot.WithPolicy(teamsPolicy(t)), bot.WithLogger(slog.New(slog.DiscardHandler)))
	if got := mustAct(t, w, bot.Action{Verb: bot.DoList, Channel: "CTR", Agent: alice}); !strings.Contains(got, "#1 ") {
		t.Errorf("tr-care's list: %q, want pl-care's ticket #1 in it", got)
	}
	if got := mustAct(t, w, bot.Action{Verb: bot.DoRota, Channel: "CTR", Agent: alice}); !strings.Contains(got, "<@UCAROL> (primary)") {
		t.Errorf("tr-care's rota: %q, want pl-care's override laid over it", got)
	}
	if got := mustAct(t, w, bot.Action{Verb: bot.DoUndo, Channel: "CTR", Agent: alice}); !strings.Contains(got, "Taken back") {
		t.Errorf("undo in tr-care's channel: %q, want pl-care's change taken back", got)
	}
}

// TestMoveBeforeTheRoot: a ticket moved before its first root reached the
// desk gets its root in its new team's channel; a first root the desk took
// though its answer was lost is found, and says where the ticket went.
func TestMoveBeforeTheRoot(t *testing.T) {
	for _, tt := range []struct {
		name     string
		lost     bool // the desk posts the first root but its answer is lost
		channels []string
	}{
		{"the desk was down", false, []string{"CTR"}},
		{"the first root's answer was lost", true, []string{"CRO", "CTR"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorldWith(t, teamsPolicy(t), time.Date(2026, 11, 19, 18, 30, 0, 0, istanbul))
			w.desk.mu.Lock()
			if tt.lost {
				w.desk.lose = 1
			} else {
				w.desk.fail = errors.New("Slack is down")
			}
			w.desk.mu.Unlock()
			w.writesIn(ioana, "ro", false, 1, "Am plătit de două ori")
			mustAct(t, w, bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "tr-care", Agent: alice})
			w.deskFails(nil)
			w.run(w.clock.Now().Add(10*time.Minute), 10*time.Second)
			refs, channels := w.rootsOf(1)
			if !slices.Equal(channels, tt.channels) {
				t.Fatalf("#1's roots are in %q, want %q", channels, tt.channels)
			}
			if fresh := w.threadText(refs[len(refs)-1]); !strings.Contains(fresh, "moved #1 here from ro-care") {
				t.Errorf("its new thread says %q, want the move's notice", fresh)
			}
			if tt.lost {
				if old := w.threadText(refs[0]); !strings.Contains(old, "#1 moved to another team while this thread was opening") {
					t.Errorf("the first thread says %q, want where the ticket went", old)
				}
			}
			if tk := w.ticket(1); tk.Channel != "CTR" || tk.DeskThread != refs[len(refs)-1] {
				t.Errorf("#1 is in %s %s, want its thread in CTR", tk.Channel, tk.DeskThread)
			}
			if n := w.outbox(); n != 0 {
				t.Errorf("%d deliveries still wait", n)
			}
		})
	}
}

// TestEditFromTheOldThread: a reply sent from a thread its ticket has left
// can still be corrected there; the customer's copy changes.
func TestEditFromTheOldThread(t *testing.T) {
	w := fileWorldOf(t, newWorldWith(t, teamsPolicy(t), time.Date(2026, 11, 19, 18, 30, 0, 0, istanbul)), bot.DefaultFilePolicy())
	w.writesIn(ioana, "ro", false, 1, "Am plătit de două ori")
	refs, _ := w.rootsOf(1)
	mustAct(t, w.world, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	if _, err := w.act(bot.Action{Verb: bot.DoSay, Thread: refs[0], Agent: alice, Text: "Verificăm acum.", Ref: "a1", EventID: "s1", Whisper: true}); err != nil {
		t.Fatal(err)
	}
	mustAct(t, w.world, bot.Action{Verb: bot.DoMove, Ticket: 1, Team: "tr-care", Agent: alice})
	if _, err := w.act(bot.Action{Verb: bot.DoEdit, Thread: refs[0], Agent: alice, Text: "Verificăm chiar acum.", Ref: "a1", EventID: "e1", Whisper: true}); err != nil {
		t.Fatal(err)
	}
	w.src.mu.Lock()
	defer w.src.mu.Unlock()
	var edits []string
	for _, text := range w.src.edited {
		edits = append(edits, text)
	}
	if len(edits) != 1 || !strings.Contains(edits[0], "Verificăm chiar acum.") {
		t.Errorf("the customer's copies were changed to %q, want the reply corrected", edits)
	}
}
