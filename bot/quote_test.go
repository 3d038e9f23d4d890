package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"caredesk/bot"
	"caredesk/outside"
)

// hostile is outside text written to ping the channel and the lead.
const hostile = "<!here> <@U0LEAD> <!channel>"

// TestOutsideTextIsQuoted: wherever the core puts a customer's name or
// words, a bridge's reason or a network's error into a sentence of its
// own, it is quoted (bot.Quote), so a desk renders it as data; the
// sentence's own mentions stay outside the quotes.
func TestOutsideTextIsQuoted(t *testing.T) {
	mallory := bot.Customer{ID: "666", Name: hostile}
	tests := []struct {
		name string
		run  func(w *world) string // what the desk or the agent got
		own  string                // a mention of caredesk's own that must stay live
	}{
		{"/desk list", func(w *world) string {
			return mustAct(t, w, bot.Action{Verb: bot.DoList, Agent: alice})
		}, ""},
		{"/desk show", func(w *world) string {
			return mustAct(t, w, bot.Action{Verb: bot.DoShow, Ticket: 1, Agent: alice})
		}, ""},
		{"claim answer", func(w *world) string {
			return mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
		}, ""},
		{"reply that was NOT delivered", func(w *world) string {
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
			w.tg.errs = []error{bot.Permanent(errors.New("bridge says 400: " + hostile))}
			mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Hello?"})
			msgs := w.desk.thread[w.ticket(1).DeskThread]
			return msgs[len(msgs)-1].Text
		}, "<@UALICE>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.writes(mallory, 1, "hi "+hostile)
			got := tt.run(w)
			own := outside.Own(got)
			if strings.Contains(own, "U0LEAD") || strings.Contains(own, "<!") {
				t.Errorf("outside text reached the desk unquoted: %q", got)
			}
			if !strings.Contains(got, outside.Open) {
				t.Errorf("nothing is quoted in %q", got)
			}
			if tt.own != "" && !strings.Contains(own, tt.own) {
				t.Errorf("caredesk's own %q was quoted too: %q", tt.own, got)
			}
		})
	}
}

func TestReportReasonIsQuoted(t *testing.T) {
	tests := []struct {
		name   string
		report bot.ReplyReport
	}{
		{"failed with a hostile reason", bot.ReplyReport{Status: bot.Failed, Reason: hostile}},
		{"posted with a hostile address", bot.ReplyReport{Status: bot.Delivered, URL: "https://x.example/" + hostile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			bridge := &customers{}
			w.courier = bot.NewCourier(w.db, w.desk, map[string]bot.Source{"webhook:x": bridge}, bot.CourierClock(w.clock))
			if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "webhook:x", MessageID: "1", Conversation: "c1", Customer: bot.Customer{ID: "x1"}, Text: "hi"}); err != nil {
				t.Fatal(err)
			}
			w.flush()
			mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Hello!"})
			r := tt.report
			r.Source, r.Reply = "webhook:x", bridge.got[0].MessageID
			if err := w.bot.ReportReply(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			w.flush()
			thread := w.desk.thread[w.ticket(1).DeskThread]
			got := thread[len(thread)-1].Text
			if own := outside.Own(got); strings.Contains(own, "U0LEAD") || strings.Contains(own, "<!") || !strings.Contains(own, "<@UALICE>") {
				t.Errorf("notice %q: caredesk's own words are %q; want the bridge's words quoted and the agent's mention live", got, own)
			}
		})
	}
}
