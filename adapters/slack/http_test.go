package slack_test

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/sim/slacksim"
)

func TestHandlerAcceptsOnlyWhatSlackSigned(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	c := &core{}
	url := serve(t, sim, d, c)
	verification := `{"token":"x","challenge":"abc","type":"url_verification"}`
	command := "command=%2Fdesk&text=resolve+12&user_id=U0EVIL&trigger_id=1.2.3"
	tooLarge := `{"pad":"` + strings.Repeat("x", 2<<20) + `"}`
	fresh := time.Now()
	stale := fresh.Add(-10 * time.Minute)
	tests := []struct {
		name string
		body string
		sig  string
		at   time.Time
		want int
	}{
		{"signed", verification, sim.Sign(fresh, verification), fresh, http.StatusOK},
		{"unsigned", verification, "", fresh, http.StatusUnauthorized},
		{"no timestamp", verification, sim.Sign(fresh, verification), time.Time{}, http.StatusUnauthorized},
		{"wrong signature", verification, "v0=" + strings.Repeat("ab", 32), fresh, http.StatusUnauthorized},
		{"signed for another body", verification, sim.Sign(fresh, verification+" "), fresh, http.StatusUnauthorized},
		{"replayed ten minutes later", verification, sim.Sign(stale, verification), stale, http.StatusUnauthorized},
		{"forged command", command, "v0=" + strings.Repeat("00", 32), fresh, http.StatusUnauthorized},
		{"too large", tooLarge, sim.Sign(fresh, tooLarge), fresh, http.StatusRequestEntityTooLarge},
		{"too large and unsigned", tooLarge, "", fresh, http.StatusUnauthorized},
		{"signature of the wrong length", verification, "v0=abcd", fresh, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, err := sim.Forge(tt.body, tt.sig, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.want {
				t.Errorf("status %d, want %d", status, tt.want)
			}
		})
	}
	if got := c.got(); len(got) != 0 {
		t.Errorf("unsigned requests reached the core: %+v", got)
	}

	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", res.StatusCode)
	}
}

func TestHandlerAnswersURLVerification(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	serve(t, sim, newDesk(t, sim), &core{})
	r, err := sim.VerifyURL("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusOK || r.Text != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("answer %d %q, want the challenge", r.Status, r.Text)
	}
}

// slashCommandCases are shared by HTTP and Socket Mode: the same command
// must do the same on both.
var slashCommandCases = []struct {
	name   string
	text   string
	answer func(bot.Action) (bot.Result, error)
	want   bot.Action // EventID is checked apart; zero Verb: the core is not asked
	reply  string     // what the agent reads, a part of it
}{
	{
		name: "claim", text: "claim 12",
		want:  bot.Action{Verb: bot.DoClaim, Ticket: 12, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE", Name: "alice"}},
		reply: "ok",
	},
	{
		name: "transfer to a mention", text: "transfer #12 @bob",
		want:  bot.Action{Verb: bot.DoTransfer, Ticket: 12, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE", Name: "alice"}, To: bot.Agent{ID: "U0BOB", Name: "bob"}},
		reply: "ok",
	},
	{
		name: "reply with signs and a link", text: "reply 12 a < b & c, see https://example.com/track?id=1&x=2",
		want: bot.Action{Verb: bot.DoReply, Ticket: 12, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE", Name: "alice"},
			Text: "a < b & c, see https://example.com/track?id=1&x=2"},
		reply: "ok",
	},
	{name: "help", text: "help", reply: "/desk claim &lt;ticket&gt;"},
	{name: "missing ticket", text: "claim", reply: "Which ticket?"},
	{
		name: "refused", text: "claim 12",
		answer: func(bot.Action) (bot.Result, error) {
			return bot.Result{}, bot.Errorf(bot.ECONFLICT, "#12 is already claimed by <@U0BOB> — ask them or use /desk transfer.")
		},
		want:  bot.Action{Verb: bot.DoClaim, Ticket: 12, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE", Name: "alice"}},
		reply: "#12 is already claimed by <@U0BOB> — ask them or use /desk transfer.",
	},
	{
		name: "core failure", text: "resolve 12",
		answer: func(bot.Action) (bot.Result, error) { return bot.Result{}, errInternal },
		want:   bot.Action{Verb: bot.DoResolve, Ticket: 12, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE", Name: "alice"}},
		reply:  "Sorry, that did not work because of a problem on caredesk's side (error ",
	},
	{
		name: "answer quoting a customer", text: "show 12",
		answer: func(bot.Action) (bot.Result, error) {
			return bot.Result{Text: "#12, claimed by <@U0BOB>. Customer: <!channel> help"}, nil
		},
		want:  bot.Action{Verb: bot.DoShow, Ticket: 12, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE", Name: "alice"}},
		reply: "#12, claimed by <@U0BOB>. Customer: &lt;!channel&gt; help",
	},
}

func TestSlashCommandsAnswerTheAgentOnly(t *testing.T) {
	for _, tt := range slashCommandCases {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			sim.AddUser("U0BOB", "bob")
			c := &core{}
			if tt.answer != nil {
				c.answer = func(_ int, a bot.Action) (bot.Result, error) { return tt.answer(a) }
			}
			serve(t, sim, newDesk(t, sim), c)
			r, err := sim.SlashCommand("U0ALICE", "alice", "/desk", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			checkCommand(t, r, c, tt.want, tt.reply)
		})
	}
}

func checkCommand(t *testing.T, r slacksim.Response, c *core, want bot.Action, reply string) {
	t.Helper()
	if r.Status != http.StatusOK || r.ResponseType != "ephemeral" || !strings.Contains(r.Text, reply) {
		t.Errorf("answer %d %q %q, want an ephemeral answer containing %q", r.Status, r.ResponseType, r.Text, reply)
	}
	got := c.got()
	if want.Verb == "" {
		if len(got) != 0 {
			t.Errorf("the core was asked %+v", got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("the core got %+v, want %+v", got, want)
	}
	if got[0].EventID == "" {
		t.Error("no event id: a redelivered command could act twice")
	}
	got[0].EventID = ""
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("the core got %+v\nwant %+v", got[0], want)
	}
}

func TestButtonsBecomeActions(t *testing.T) {
	refused := bot.Errorf(bot.EFORBIDDEN, "Only <@U0BOB>, who owns #12, can resolve it.")
	tests := []struct {
		name    string
		button  string
		answer  error
		verb    bot.Verb
		whisper string // what the adapter itself shows the agent; "" when the core does
	}{
		{"claim", "caredesk:claim", nil, bot.DoClaim, ""},
		{"resolve", "caredesk:resolve", nil, bot.DoResolve, ""},
		{"refused", "caredesk:resolve", refused, bot.DoResolve, "Only <@U0BOB>, who owns #12, can resolve it."},
		{"core failure", "caredesk:claim", errInternal, bot.DoClaim, "Sorry, that did not work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			d := newDesk(t, sim)
			c := &core{answer: func(int, bot.Action) (bot.Result, error) { return bot.Result{Text: "done"}, tt.answer }}
			serve(t, sim, d, c)
			tk := posted(t, d)
			if err := sim.ClickButton("U0ALICE", "alice", tk.DeskThread, tt.button, "12"); err != nil {
				t.Fatal(err)
			}
			got := c.got()
			if len(got) != 1 {
				t.Fatalf("the core got %+v", got)
			}
			a := got[0]
			if a.Verb != tt.verb || a.Ticket != 12 || a.Agent != (bot.Agent{ID: "U0ALICE", Name: "alice"}) || !a.Whisper ||
				!strings.HasPrefix(a.EventID, "action:") || !strings.HasSuffix(a.EventID, ":U0ALICE") {
				t.Errorf("the core got %+v", a)
			}
			checkWhisper(t, sim, "U0ALICE", "", tt.whisper)
		})
	}
}

// checkWhisper checks what the adapter itself showed agent: nothing when
// want is "", else one ephemeral containing want, in thread.
func checkWhisper(t *testing.T, sim *slacksim.Server, agent, thread, want string) {
	t.Helper()
	es := sim.Ephemerals()
	if want == "" {
		if len(es) != 0 {
			t.Errorf("the adapter whispered %+v; the core shows outcomes itself", es)
		}
		return
	}
	if len(es) != 1 || es[0].User != agent || es[0].ThreadTS != thread || !strings.Contains(es[0].Text, want) {
		t.Errorf("ephemerals %+v, want one to %s in %q containing %q", es, agent, thread, want)
	}
}

func TestButtonsFollowTheTicket(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	serve(t, sim, d, &core{})
	tk := posted(t, d)
	tk.State, tk.Owner = bot.Claimed, bot.Agent{ID: "U0ALICE"}
	if err := d.UpdateTicket(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	if err := sim.ClickButton("U0BOB", "bob", tk.DeskThread, "caredesk:claim", "12"); err == nil {
		t.Error("a claimed ticket still offers Claim")
	}
	if err := sim.ClickButton("U0BOB", "bob", tk.DeskThread, "caredesk:resolve", "12"); err != nil {
		t.Errorf("a claimed ticket offers no Resolve: %v", err)
	}
}

func TestEmojiOnARootBecomeActions(t *testing.T) {
	tests := []struct {
		emoji string
		verb  bot.Verb // "" for none
	}{
		{"raising_hand", bot.DoClaim},
		{"raising_hand::skin-tone-3", bot.DoClaim},
		{"white_check_mark", bot.DoResolve},
		{"white_check_mark::skin-tone-6", bot.DoResolve},
		{"tada", ""},
		{"raising_hands", ""},
	}
	for _, tt := range tests {
		t.Run(tt.emoji, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			d := newDesk(t, sim)
			c := &core{}
			serve(t, sim, d, c)
			tk := posted(t, d)
			eventID, err := sim.AddReaction("U0ALICE", tk.DeskThread, tt.emoji)
			if err != nil {
				t.Fatal(err)
			}
			got := c.got()
			if tt.verb == "" {
				if len(got) != 0 {
					t.Errorf("the core got %+v", got)
				}
				return
			}
			want := bot.Action{Verb: tt.verb, Thread: tk.DeskThread, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE"}, EventID: eventID, Whisper: true}
			if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Errorf("the core got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestThreadMessagesBecomeSay(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	c := &core{}
	serve(t, sim, d, c)
	tk := posted(t, d)
	ts, eventID, err := sim.UserPosts("U0ALICE", tk.DeskThread, "Hello <Jane> & welcome back, see https://example.com/help")
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Action{
		Verb: bot.DoSay, Thread: tk.DeskThread, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE"},
		Text: "Hello <Jane> & welcome back, see https://example.com/help", Ref: ts, EventID: eventID, Whisper: true,
	}
	if got := c.got(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("the core got %+v\nwant %+v", got, want)
	}
}

func TestEverythingElseIsIgnored(t *testing.T) {
	sim := newSim(t, slacksim.Options{EchoBotMessages: true})
	d := newDesk(t, sim)
	c := &core{}
	serve(t, sim, d, c)
	tk := posted(t, d)
	// The root's own echo must have come and gone unanswered.
	wait(t, sim, "the echo of the root", func() bool { return len(sim.Deliveries()) >= 1 })

	replyTS, _, err := sim.UserPosts("U0ALICE", tk.DeskThread, "first")
	if err != nil {
		t.Fatal(err)
	}
	base := len(c.got())
	message := func(fields map[string]any) func() error {
		return func() error {
			ev := map[string]any{"type": "message", "channel": "C0DESK", "user": "U0ALICE", "text": "hi",
				"ts": "1700000999.000100", "thread_ts": tk.DeskThread, "channel_type": "channel"}
			for k, v := range fields {
				if v == nil {
					delete(ev, k)
				} else {
					ev[k] = v
				}
			}
			_, err := sim.SendEvent(ev)
			return err
		}
	}
	tests := []struct {
		name string
		do   func() error
	}{
		{"root message", func() error { _, _, err := sim.UserPosts("U0ALICE", "", "hello channel"); return err }},
		{"edit outside a thread", func() error {
			ts, _, err := sim.UserPosts("U0ALICE", "", "lunch?")
			if err == nil {
				_, err = sim.EditMessage("U0ALICE", ts, "lunch at 1?")
			}
			return err
		}},
		{"another bot", message(map[string]any{"user": nil, "bot_id": "B0OTHER", "subtype": "bot_message"})},
		{"a bot with a user", message(map[string]any{"bot_id": "B0OTHER", "user": "U0OTHERBOT"})},
		{"caredesk by user id", message(map[string]any{"user": "U0BOT"})},
		{"other channel", message(map[string]any{"channel": "C0GENERAL"})},
		{"join", message(map[string]any{"subtype": "channel_join", "thread_ts": nil, "text": "<@U0ALICE> has joined the channel"})},
		{"deletion without its message", message(map[string]any{"subtype": "message_deleted", "hidden": true, "deleted_ts": replyTS})},
		{"emoji by caredesk", func() error {
			_, err := sim.SendEvent(map[string]any{"type": "reaction_added", "user": "U0BOT", "reaction": "raising_hand",
				"item": map[string]any{"type": "message", "channel": "C0DESK", "ts": tk.DeskThread}})
			return err
		}},
		{"emoji elsewhere", func() error {
			_, err := sim.SendEvent(map[string]any{"type": "reaction_added", "user": "U0ALICE", "reaction": "raising_hand",
				"item": map[string]any{"type": "message", "channel": "C0GENERAL", "ts": tk.DeskThread}})
			return err
		}},
		{"unknown event", func() error { _, err := sim.SendEvent(map[string]any{"type": "brand_new_event", "x": 1}); return err }},
		{"caredesk's own post", func() error {
			before := len(sim.Deliveries())
			if _, err := d.PostMessage(context.Background(), tk, bot.Message{Kind: bot.Notice, Text: "<@U0ALICE> claimed #12."}); err != nil {
				return err
			}
			// The echo, with caredesk's bot_id, arrives on its own.
			wait(t, sim, "the echo", func() bool {
				ds := sim.Deliveries()
				return len(ds) > before && ds[len(ds)-1].Acked
			})
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err != nil {
				t.Fatalf("not acknowledged: %v", err)
			}
			if got := c.got(); len(got) != base {
				t.Errorf("the core got %+v", got[base:])
			}
		})
	}
}

func TestRedeliveredEventsKeepTheirID(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	c := &core{}
	serve(t, sim, d, c)
	tk := posted(t, d)
	_, eventID, err := sim.UserPosts("U0ALICE", tk.DeskThread, "Your parcel left the depot.")
	if err != nil {
		t.Fatal(err)
	}
	status, err := sim.Redeliver(eventID, 1)
	if err != nil || status != http.StatusOK {
		t.Fatalf("redelivery: %d %v", status, err)
	}
	got := c.got()
	if len(got) != 2 || !reflect.DeepEqual(got[0], got[1]) || got[1].EventID != eventID {
		t.Errorf("the core got %+v; want the same action twice, with event id %s, for it to drop the second", got, eventID)
	}
}

func TestCoreFailureMakesSlackRetry(t *testing.T) {
	tests := []struct {
		name     string
		failures int // the first calls that fail inside the core
		statuses []int
		whisper  string
	}{
		{"once", 1, []int{500, 200}, ""},
		{"every time", 99, []int{500, 500, 500, 200}, "Sorry, that did not work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			d := newDesk(t, sim)
			c := &core{answer: func(n int, _ bot.Action) (bot.Result, error) {
				if n < tt.failures {
					return bot.Result{}, errInternal
				}
				return bot.Result{}, nil
			}}
			serve(t, sim, d, c)
			tk := posted(t, d)
			_, eventID, err := sim.UserPosts("U0ALICE", tk.DeskThread, "We are on it.")
			if err != nil {
				t.Fatal(err)
			}
			var statuses []int
			for i, del := range sim.Deliveries() {
				if del.EventID != eventID || del.Attempt != i {
					t.Errorf("delivery %d: %+v", i, del)
				}
				statuses = append(statuses, del.Status)
			}
			if !slices.Equal(statuses, tt.statuses) {
				t.Errorf("Slack got %v, want %v", statuses, tt.statuses)
			}
			for _, a := range c.got() {
				if a.EventID != eventID {
					t.Errorf("a retry changed the event id: %+v", a)
				}
			}
			checkWhisper(t, sim, "U0ALICE", tk.DeskThread, tt.whisper)
		})
	}
}

func TestRefusedEventIsAnsweredOnce(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	c := &core{answer: func(int, bot.Action) (bot.Result, error) {
		return bot.Result{}, bot.Errorf(bot.EFORBIDDEN, "Only the owner of #12 writes to the customer. Start with \"note:\" to write for the team.")
	}}
	serve(t, sim, d, c)
	tk := posted(t, d)
	if _, _, err := sim.UserPosts("U0BOB", tk.DeskThread, "I'll take it from here"); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.Deliveries()); n != 1 {
		t.Errorf("%d deliveries; a refusal is final and must not be retried", n)
	}
	checkWhisper(t, sim, "U0BOB", tk.DeskThread, "Only the owner of #12 writes to the customer.")
}

func TestSlowCoreIsRetriedOnTimeout(t *testing.T) {
	sim := newSim(t, slacksim.Options{AckTimeout: 300 * time.Millisecond})
	d := newDesk(t, sim)
	second := make(chan struct{})
	c := &core{answer: func(n int, _ bot.Action) (bot.Result, error) {
		if n == 0 {
			<-second // busy until Slack gives up on it and sends the event again
		} else {
			close(second)
		}
		return bot.Result{}, nil
	}}
	serve(t, sim, d, c)
	tk := posted(t, d)
	_, eventID, err := sim.UserPosts("U0ALICE", tk.DeskThread, "Checking with the courier.")
	if err != nil {
		t.Fatal(err)
	}
	ds := sim.Deliveries()
	if len(ds) != 2 || ds[0].Reason != "http_timeout" || !ds[1].Acked || ds[1].Attempt != 1 {
		t.Errorf("deliveries %+v; want a timeout, then an acknowledged retry", ds)
	}
	got := c.got()
	if len(got) != 2 || got[0].EventID != eventID || got[1].EventID != eventID {
		t.Errorf("the core got %+v", got)
	}
}
