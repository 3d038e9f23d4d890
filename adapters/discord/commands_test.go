package discord_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/sim/discordsim"
)

// Discord's option types.
const (
	optSubcommand = 1
	optString     = 3
	optInteger    = 4
	optUser       = 6
)

func TestRegisterCommandsBuildsDeskFromTheGrammar(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	for range 2 { // at every start: a bulk overwrite, the same result
		if err := d.RegisterCommands(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	cmds := sim.Commands(sim.Options().GuildID)
	if len(cmds) != 1 || cmds[0].Name != "desk" || cmds[0].Type != 1 || sim.CommandOverwrites() != 2 {
		t.Fatalf("registered %+v after %d overwrites; want one /desk, twice", cmds, sim.CommandOverwrites())
	}
	desk := cmds[0]
	if len(desk.Options) != len(handlers.Commands) {
		t.Errorf("/desk has %d subcommands, the grammar %d", len(desk.Options), len(handlers.Commands))
	}
	kinds := map[handlers.ArgKind]int{handlers.ArgTicket: optInteger, handlers.ArgUser: optUser, handlers.ArgText: optString, handlers.ArgTime: optString, handlers.ArgFilter: optString, handlers.ArgTeam: optString}
	for _, c := range handlers.Commands {
		sub, ok := desk.Option(strings.Join(c.Words(), "-")) // "rota week" is /desk rota-week
		if !ok || sub.Type != optSubcommand || sub.Description == "" {
			t.Errorf("/desk %s: %+v, %v", c.Verb, sub, ok)
			continue
		}
		if len(sub.Options) != len(c.Args) {
			t.Errorf("/desk %s has options %+v, want one per argument %+v", c.Verb, sub.Options, c.Args)
		}
		for _, a := range c.Args {
			i := -1
			for j, o := range sub.Options {
				if o.Name == a.Name {
					i = j
				}
			}
			if i < 0 {
				t.Errorf("/desk %s lacks option %q", c.Verb, a.Name)
				continue
			}
			o := sub.Options[i]
			if o.Type != kinds[a.Kind] || o.Required == a.Optional || o.Description == "" {
				t.Errorf("/desk %s option %+v; want type %d, required %v", c.Verb, o, kinds[a.Kind], !a.Optional)
			}
			if a.Kind == handlers.ArgTicket && (o.MinValue == nil || *o.MinValue != 1) {
				t.Errorf("/desk %s ticket option accepts numbers below 1", c.Verb)
			}
		}
	}
}

// commandCases are /desk commands typed in the desk channel (thread
// false) or in ticket #12's thread (thread true).
var commandCases = []struct {
	name    string
	sub     string
	options map[string]any
	thread  bool
	answer  func(bot.Action) (bot.Result, error)
	want    bot.Action // EventID and Thread are checked apart; zero Verb: the core is not asked
	reply   string     // what the agent reads, a part of it
}{
	{
		name: "claim", sub: "claim", options: map[string]any{"ticket": 12},
		want: bot.Action{Verb: bot.DoClaim, Ticket: 12, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}}, reply: "ok",
	},
	{
		name: "claim in the thread", sub: "claim", thread: true,
		want: bot.Action{Verb: bot.DoClaim, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}}, reply: "ok",
	},
	{
		name: "transfer to a user", sub: "transfer", options: map[string]any{"ticket": 12, "to": bob},
		want: bot.Action{Verb: bot.DoTransfer, Ticket: 12, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}, To: bot.Agent{ID: bob}}, reply: "ok",
	},
	{
		name: "reply with signs and a link", sub: "reply", options: map[string]any{"ticket": 12, "text": "a < b & c, see https://example.com/track?id=1&x=2"},
		want:  bot.Action{Verb: bot.DoReply, Ticket: 12, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}, Text: "a < b & c, see https://example.com/track?id=1&x=2"},
		reply: "ok",
	},
	{
		name: "reply in the thread starting with a number", sub: "reply", thread: true, options: map[string]any{"text": "12 boxes arrived today"},
		want:  bot.Action{Verb: bot.DoReply, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}, Text: "12 boxes arrived today"},
		reply: "ok",
	},
	{name: "reply elsewhere starting with a number", sub: "reply", options: map[string]any{"text": "12 boxes"}, reply: "Which ticket?"},
	{name: "help", sub: "help", reply: "/desk claim <ticket>"},
	{name: "missing ticket", sub: "claim", reply: "Which ticket?"},
	{
		name: "refused", sub: "claim", options: map[string]any{"ticket": 12},
		answer: func(bot.Action) (bot.Result, error) {
			return bot.Result{}, bot.Errorf(bot.ECONFLICT, "#12 is already claimed by <@%s> — ask them or use /desk transfer.", bob)
		},
		want:  bot.Action{Verb: bot.DoClaim, Ticket: 12, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}},
		reply: fmt.Sprintf("#12 is already claimed by <@%s> — ask them or use /desk transfer.", bob),
	},
	{
		name: "core failure", sub: "resolve", options: map[string]any{"ticket": 12},
		answer: func(bot.Action) (bot.Result, error) { return bot.Result{}, errInternal },
		want:   bot.Action{Verb: bot.DoResolve, Ticket: 12, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}},
		reply:  "Sorry, that did not work because of a problem on caredesk's side (error ",
	},
	{
		name: "answer quoting a customer", sub: "show", options: map[string]any{"ticket": 12},
		answer: func(bot.Action) (bot.Result, error) {
			return bot.Result{Text: "#12. Customer: @everyone see [my bank](https://evil.example) <@&123>"}, nil
		},
		want:  bot.Action{Verb: bot.DoShow, Ticket: 12, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}},
		reply: "#12. Customer: @\u200beveryone see [my bank]\u200b(https://evil.example) <\u200b@&123>",
	},
}

func TestSlashCommandsAreDeferredThenAnsweredToTheAgentOnly(t *testing.T) {
	t.Parallel()
	for _, tt := range commandCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			c := &core{}
			if tt.answer != nil {
				c.answer = func(_ int, a bot.Action) (bot.Result, error) { return tt.answer(a) }
			}
			run(t, sim, d, c, nil)
			channel := sim.Options().DeskChannelID
			tk := posted(t, d)
			if tt.thread {
				channel = tk.DeskThread
			}
			in := sim.SlashCommand(alice, tt.sub, tt.options, channel)
			r := waitResponse(t, in)
			if r.Type != discordsim.ResponseDeferred || !r.Ephemeral || r.Edits != 1 {
				t.Errorf("response type %d, ephemeral %v, %d edits; want a deferred ephemeral response, edited once", r.Type, r.Ephemeral, r.Edits)
			}
			if !strings.Contains(r.Content, tt.reply) || !r.AllowedMentions.PingsNobody() {
				t.Errorf("the agent reads %q (mentions %+v); want it to contain %q, pinging nobody", r.Content, r.AllowedMentions, tt.reply)
			}
			got := c.got()
			if tt.want.Verb == "" {
				if len(got) != 0 {
					t.Errorf("the core was asked %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("the core got %+v, want %+v", got, tt.want)
			}
			if got[0].EventID != "interaction:"+in.ID {
				t.Errorf("event id %q, want the interaction's", got[0].EventID)
			}
			wantThread := ""
			if tt.thread {
				wantThread = tk.DeskThread
			}
			if got[0].Thread != wantThread {
				t.Errorf("thread %q, want %q: inside a ticket's thread the ticket is implied", got[0].Thread, wantThread)
			}
			if desk := sim.Options().DeskChannelID; got[0].Channel != desk {
				t.Errorf("channel %q, want the desk channel %s, whose team the rota, SLA and list commands answer for, in a thread too", got[0].Channel, desk)
			}
			got[0].EventID, got[0].Thread, got[0].Channel = "", "", ""
			if !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("the core got %+v\nwant %+v", got[0], tt.want)
			}
		})
	}
}

func TestSlashCommandAnswersLongerThanAMessageComeInParts(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	long := strings.Repeat("#12 open, claimed by nobody, waiting for an answer.\n", 100) // 5,200 characters
	run(t, sim, d, &core{answer: func(int, bot.Action) (bot.Result, error) { return bot.Result{Text: long}, nil }}, nil)
	waitResponse(t, sim.SlashCommand(alice, "list", nil, sim.Options().DeskChannelID))
	wait(t, sim, "the follow-ups", func() bool { return len(in(sim).Response().Followups) == 2 })
	r := in(sim).Response()
	all := r.Content
	for _, f := range r.Followups {
		if !f.Ephemeral || !f.AllowedMentions.PingsNobody() {
			t.Errorf("follow-up %+v: want ephemeral, pinging nobody", f)
		}
		all += "\n" + f.Content
	}
	if all != strings.TrimSpace(long) {
		t.Errorf("the parts do not add up to the answer: %d of %d characters", len(all), len(long))
	}
}

// in is the simulator's latest interaction.
func in(sim *discordsim.Server) discordsim.Interaction {
	all := sim.Interactions()
	return all[len(all)-1]
}

func TestSlashCommandsOutsideTheDeskAreRefused(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	c := &core{}
	run(t, sim, d, c, nil)
	support := sim.Options().SourceChannelIDs[0]
	r := waitResponse(t, sim.SlashCommand(jane, "list", nil, support))
	if !strings.Contains(r.Content, "/desk works in <#"+sim.Options().DeskChannelID+">") || !r.Ephemeral {
		t.Errorf("a customer using /desk in #support reads %q (ephemeral %v)", r.Content, r.Ephemeral)
	}
	if got := c.got(); len(got) != 0 {
		t.Errorf("the core was asked %+v", got)
	}
}

func TestButtonsBecomeActions(t *testing.T) {
	t.Parallel()
	refused := bot.Errorf(bot.EFORBIDDEN, "Only <@%s>, who owns #12, can resolve it.", bob)
	tests := []struct {
		name     string
		button   string
		answer   error
		verb     bot.Verb
		followup string // what the agent reads, only them
	}{
		{name: "claim", button: "caredesk:claim:12", verb: bot.DoClaim},
		{name: "resolve", button: "caredesk:resolve:12", verb: bot.DoResolve},
		{name: "refused", button: "caredesk:resolve:12", answer: refused, verb: bot.DoResolve, followup: refused.Message},
		{name: "core failure", button: "caredesk:claim:12", answer: errInternal, verb: bot.DoClaim, followup: "Sorry, that did not work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			c := &core{answer: func(int, bot.Action) (bot.Result, error) { return bot.Result{}, tt.answer }}
			run(t, sim, d, c, nil)
			tk := posted(t, d)
			click := sim.ClickButton(alice, sim.Options().DeskChannelID, tk.DeskThread, tt.button)
			r := waitResponse(t, click)
			if r.Type != discordsim.ResponseDeferredUpdate {
				t.Errorf("the click was answered with type %d, want a deferred update (6)", r.Type)
			}
			want := bot.Action{Verb: tt.verb, Ticket: 12, Agent: bot.Agent{ID: alice, Name: "Alice Agent"}, EventID: "interaction:" + click.ID, Whisper: true}
			attempts := 1
			if tt.answer == errInternal {
				attempts = 5 // asked again, then the apology
			}
			got := c.waitFor(t, attempts)
			if len(got) != attempts || !reflect.DeepEqual(got[0], want) {
				t.Errorf("the core got %+v\nwant %d× %+v", got, attempts, want)
			}
			if tt.followup == "" {
				return
			}
			r, err := click.Wait(context.Background(), func(r discordsim.Response) bool { return len(r.Followups) > 0 })
			if err != nil || !r.Followups[0].Ephemeral || !strings.Contains(r.Followups[0].Content, tt.followup) {
				t.Errorf("follow-ups %+v; want an ephemeral one saying %q", r.Followups, tt.followup)
			}
		})
	}
}

func TestInteractionTokensStayOutOfTheLog(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	logs := &logBuffer{}
	d := newDiscord(t, sim, func(o *discord.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	run(t, sim, d, &core{}, nil)
	// The answer is lost on the way: the request's URL, which holds the
	// interaction's token, is in the error that gets logged.
	sim.FailWith(discordsim.RouteEditOriginal, 1, discordsim.LostAnswer())
	in := sim.SlashCommand(alice, "list", nil, sim.Options().DeskChannelID)
	wait(t, sim, "the lost edit", func() bool { return in.Response().Edits == 1 })
	logs.waitFor(t, "could not show a /desk answer")
	if strings.Contains(logs.String(), in.Token) || !strings.Contains(logs.String(), "<token>") {
		t.Errorf("the interaction's token is in the log:\n%s", logs)
	}
}

func TestSlashCommandIsAcknowledgedBeforeTheWorkEnds(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	release := make(chan struct{})
	var once sync.Once
	done := func() { once.Do(func() { close(release) }) }
	defer done() // a failing test must not leave the core blocked
	run(t, sim, d, &core{answer: func(int, bot.Action) (bot.Result, error) {
		<-release // the core takes longer than Discord waits
		return bot.Result{Text: "You claimed #12."}, nil
	}}, nil)
	in := sim.SlashCommand(alice, "claim", map[string]any{"ticket": 12}, sim.Options().DeskChannelID)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := in.Wait(ctx, func(r discordsim.Response) bool { return r.Type != 0 })
	if err != nil || r.Type != discordsim.ResponseDeferred || r.Edits != 0 || len(r.Refused) != 0 {
		t.Fatalf("while the core works, the response is %+v (%v); want it deferred, in time", r, err)
	}
	done()
	if r = waitResponse(t, in); r.Content != "You claimed #12." {
		t.Errorf("the deferred response became %q", r.Content)
	}
}
