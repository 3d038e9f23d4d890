package slack_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	slackdesk "caredesk/adapters/slack"
	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/sim/slacksim"
)

// runSocket connects d to sim over Socket Mode for c and waits until the
// connection is up. The connection ends with the test.
func runSocket(t *testing.T, sim *slacksim.Server, d *slackdesk.Desk, c *core) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.RunSocketMode(ctx, handlers.Runner{Actor: c, Log: quiet()}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunSocketMode after its context ended: %v", err)
		}
	})
	wait(t, sim, "a Socket Mode connection", func() bool { return sim.Hellos() == 1 && sim.SocketConnections() == 1 })
}

func TestSocketModeDeliversEventsAndAcksThem(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	c := &core{}
	runSocket(t, sim, d, c)
	tk := posted(t, d)

	ts, eventID, err := sim.UserPosts("U0ALICE", tk.DeskThread, "On its way & tracked")
	if err != nil {
		t.Fatal(err)
	}
	reactionID, err := sim.AddReaction("U0ALICE", tk.DeskThread, "raising_hand::skin-tone-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sim.UserPosts("U0ALICE", "", "a root message"); err != nil {
		t.Fatal(err)
	}
	want := []bot.Action{
		{Verb: bot.DoSay, Thread: tk.DeskThread, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE"}, Text: "On its way & tracked", Ref: ts, EventID: eventID, Whisper: true},
		{Verb: bot.DoClaim, Thread: tk.DeskThread, Channel: "C0DESK", Agent: bot.Agent{ID: "U0ALICE"}, EventID: reactionID, Whisper: true},
	}
	got := c.got()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the core got %+v\nwant %+v", got, want)
	}
	acks := sim.Acks()
	if len(acks) != 3 {
		t.Fatalf("acks %+v, want one per envelope, ignored ones included", acks)
	}
	for _, a := range acks {
		if a.Type != "events_api" || a.Payload != nil {
			t.Errorf("ack %+v", a)
		}
	}
}

func TestSocketModeSlashCommandsAnswerInTheAck(t *testing.T) {
	for _, tt := range slashCommandCases {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, slacksim.Options{})
			sim.AddUser("U0BOB", "bob")
			d := newDesk(t, sim)
			c := &core{}
			if tt.answer != nil {
				c.answer = func(_ int, a bot.Action) (bot.Result, error) { return tt.answer(a) }
			}
			runSocket(t, sim, d, c)
			r, err := sim.SlashCommand("U0ALICE", "alice", "/desk", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			checkCommand(t, r, c, tt.want, tt.reply)
			acks := sim.Acks()
			var payload struct {
				ResponseType string `json:"response_type"`
				Text         string `json:"text"`
			}
			if len(acks) != 1 || acks[0].Type != "slash_commands" || json.Unmarshal(acks[0].Payload, &payload) != nil || payload.Text != r.Text {
				t.Errorf("acks %+v, want one slash_commands ack carrying the answer", acks)
			}
		})
	}
}

func TestSocketModeButtons(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	c := &core{}
	runSocket(t, sim, d, c)
	tk := posted(t, d)
	if err := sim.ClickButton("U0ALICE", "alice", tk.DeskThread, "caredesk:claim", "12"); err != nil {
		t.Fatal(err)
	}
	got := c.got()
	if len(got) != 1 || got[0].Verb != bot.DoClaim || got[0].Ticket != 12 || got[0].Agent.ID != "U0ALICE" || !strings.HasPrefix(got[0].EventID, "action:") {
		t.Errorf("the core got %+v", got)
	}
	if acks := sim.Acks(); len(acks) != 1 || acks[0].Type != "interactive" {
		t.Errorf("acks %+v", acks)
	}
}

func TestSocketModeLeavesFailedEventsUnacked(t *testing.T) {
	sim := newSim(t, slacksim.Options{AckTimeout: 200 * time.Millisecond})
	d := newDesk(t, sim)
	c := &core{answer: func(n int, _ bot.Action) (bot.Result, error) {
		if n == 0 {
			return bot.Result{}, errInternal
		}
		return bot.Result{}, nil
	}}
	runSocket(t, sim, d, c)
	tk := posted(t, d)
	_, eventID, err := sim.UserPosts("U0ALICE", tk.DeskThread, "Refund issued.")
	if err != nil {
		t.Fatal(err)
	}
	ds := sim.Deliveries()
	if len(ds) != 2 || ds[0].Acked || !ds[1].Acked || ds[1].Attempt != 1 {
		t.Errorf("deliveries %+v; want an unacknowledged try, then an acknowledged retry", ds)
	}
	got := c.got()
	if len(got) != 2 || got[0].EventID != eventID || got[1].EventID != eventID {
		t.Errorf("the core got %+v", got)
	}
}

func TestSocketModeReconnectsWhenSlackAsks(t *testing.T) {
	sim := newSim(t, slacksim.Options{})
	d := newDesk(t, sim)
	c := &core{}
	runSocket(t, sim, d, c)
	sim.Disconnect()
	// Only the new connection open: the old one may linger a moment.
	wait(t, sim, "a second connection", func() bool { return sim.Hellos() == 2 && sim.SocketConnections() == 1 })
	tk := posted(t, d)
	if _, _, err := sim.UserPosts("U0ALICE", tk.DeskThread, "still here"); err != nil {
		t.Fatal(err)
	}
	if len(c.got()) != 1 {
		t.Errorf("the core got %+v after the reconnection", c.got())
	}
}

func TestSocketModeNeedsAGoodAppToken(t *testing.T) {
	sim := newSim(t, slacksim.Options{AppToken: "xapp-1-right"})
	o := deskOptions(sim)
	o.AppToken = "xapp-1-wrong"
	d, err := slackdesk.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	err = d.RunSocketMode(context.Background(), handlers.Runner{Actor: &core{}, Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), "Slack rejected SLACK_APP_TOKEN (invalid_auth)") || strings.Contains(err.Error(), "xapp-1-") {
		t.Errorf("RunSocketMode: %v", err)
	}

	o.AppToken = ""
	d, err = slackdesk.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.RunSocketMode(context.Background(), handlers.Runner{Actor: &core{}}); err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
		t.Errorf("RunSocketMode without an app token: %v", err)
	}
}
