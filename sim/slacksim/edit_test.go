package slacksim_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"caredesk/sim/slacksim"
)

// hiddenEvent is what slack-go's MessageEvent does not keep of a
// message_changed or message_deleted event: its own fields, beside the
// message's.
type hiddenEvent struct {
	Event struct {
		Hidden  bool   `json:"hidden"`
		TS      string `json:"ts"`
		EventTS string `json:"event_ts"`
	} `json:"event"`
}

func TestPeopleEditAndDelete(t *testing.T) {
	s := newSim(t, slacksim.Options{})
	s.AddUser("U0BOB", "bob")
	b := &bot{}
	serveBot(t, s, b)
	api := client(s, s.Options().BotToken)
	_, root, err := api.PostMessageContext(context.Background(), "C0DESK", slackapi.MsgOptionText("#12", false))
	if err != nil {
		t.Fatal(err)
	}
	reply, _, err := s.UserPosts("U0ALICE", root, "the order is 1234")
	if err != nil {
		t.Fatal(err)
	}
	share, _, err := s.UserSharesFile("U0ALICE", root, "the invoice", slacksim.SharedFile{Name: "invoice.pdf", Data: pdf})
	if err != nil {
		t.Fatal(err)
	}
	gone, _, err := s.UserPosts("U0ALICE", root, "oops, wrong thread")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		act      func() (string, error)
		ts       string
		subtype  string
		text     string // the message's text after the act; "" when deleted
		previous string
		files    int
	}{
		{"an edit", func() (string, error) { return s.EditMessage("U0ALICE", reply, "the order is 1243 @bob") }, reply,
			"message_changed", "the order is 1243 <@U0BOB>", "the order is 1234", 0},
		{"an edit of a file share", func() (string, error) { return s.EditMessage("U0ALICE", share, "the right invoice") }, share,
			"message_changed", "the right invoice", "the invoice", 1},
		{"a deletion", func() (string, error) { return s.DeleteMessage("U0ALICE", gone) }, gone,
			"message_deleted", "", "oops, wrong thread", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.act(); err != nil {
				t.Fatal(err)
			}
			ev := lastEvent(t, b)
			if ev.SubType != tt.subtype || ev.Channel != "C0DESK" || ev.ChannelType != "channel" || ev.Message == nil || ev.PreviousMessage == nil {
				t.Fatalf("event %+v", ev)
			}
			prev := ev.PreviousMessage
			if prev.Timestamp != tt.ts || prev.Text != tt.previous || prev.User != "U0ALICE" || prev.ThreadTimestamp != root || len(prev.Files) != tt.files {
				t.Errorf("previous_message %+v", prev)
			}
			_, bodies := b.requests()
			var raw hiddenEvent
			if err := json.Unmarshal(bodies[len(bodies)-1], &raw); err != nil || !raw.Event.Hidden || raw.Event.TS <= tt.ts || raw.Event.EventTS != raw.Event.TS {
				t.Errorf("event %+v %v; want hidden, with a ts of its own", raw.Event, err)
			}
			stored, found := s.Message(tt.ts)
			if tt.subtype == "message_deleted" {
				if ev.DeletedTimeStamp != tt.ts || found {
					t.Errorf("deleted_ts %q, still stored: %v", ev.DeletedTimeStamp, found)
				}
				return
			}
			m := ev.Message
			if m.Timestamp != tt.ts || m.Text != tt.text || m.User != "U0ALICE" || m.ThreadTimestamp != root || len(m.Files) != tt.files ||
				m.Edited == nil || m.Edited.User != "U0ALICE" || m.Edited.Timestamp != raw.Event.TS {
				t.Errorf("message %+v, edited %+v", m, m.Edited)
			}
			if stored.Text != tt.text || stored.EditedBy != "U0ALICE" || stored.EditedTS != raw.Event.TS {
				t.Errorf("stored %+v", stored)
			}
		})
	}

	refused := []struct {
		name string
		act  func() error
	}{
		{"an edit of someone else's message", func() error { _, err := s.EditMessage("U0BOB", reply, "x"); return err }},
		{"an edit of the bot's message", func() error { _, err := s.EditMessage("U0BOT", root, "x"); return err }},
		{"a deletion of someone else's message", func() error { _, err := s.DeleteMessage("U0BOB", reply); return err }},
		{"a deletion of a message deleted already", func() error { _, err := s.DeleteMessage("U0ALICE", gone); return err }},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.act(); err == nil {
				t.Error("done")
			}
		})
	}
}

func TestEchoBotEdits(t *testing.T) {
	tests := []struct {
		name string
		echo bool
	}{
		{"echoed", true},
		{"not echoed by default", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, slacksim.Options{EchoBotEdits: tt.echo})
			b := &bot{}
			serveBot(t, s, b)
			api := client(s, s.Options().BotToken)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, ts, err := api.PostMessageContext(ctx, "C0DESK", slackapi.MsgOptionText("#12 new", false))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := api.UpdateMessageContext(ctx, "C0DESK", ts, slackapi.MsgOptionText("#12 claimed", false)); err != nil {
				t.Fatal(err)
			}
			if !tt.echo {
				// A person's post is delivered before UserPosts returns;
				// an echo would have been sent before it.
				if _, _, err := s.UserPosts("U0ALICE", "", "hi"); err != nil {
					t.Fatal(err)
				}
				if ev := lastEvent(t, b); ev.SubType != "" || len(s.Deliveries()) != 1 {
					t.Errorf("events %+v; want only the person's post", s.Deliveries())
				}
				return
			}
			if err := s.Wait(ctx, func() bool { return len(s.Deliveries()) == 1 }); err != nil {
				t.Fatal(err)
			}
			ev := lastEvent(t, b)
			m, prev := ev.Message, ev.PreviousMessage
			if ev.SubType != "message_changed" || m == nil || prev == nil || m.Timestamp != ts || m.Text != "#12 claimed" ||
				m.BotID != "B0BOT" || m.User != "U0BOT" || m.Edited == nil || m.Edited.User != "U0BOT" || prev.Text != "#12 new" || prev.BotID != "B0BOT" {
				t.Errorf("echo %+v, message %+v, previous %+v", ev, m, prev)
			}
		})
	}
}
