package bot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"caredesk/bot"
)

func TestComplaintOpensOneTicketAndOneThread(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "My order never arrived")
	w.writes(jane, 2, "It was order 5521")

	tk := w.ticket(1)
	if tk.State != bot.Open || tk.Text != "My order never arrived" || tk.DeskThread == "" {
		t.Fatalf("ticket #1 = %+v, want open with the first text and a desk thread", tk)
	}
	if want := tk.OpenedAt.Add(time.Hour); !tk.Deadline.Equal(want) {
		t.Errorf("deadline %s, want the default one hour after opening (%s)", tk.Deadline, want)
	}
	if len(w.desk.roots) != 1 {
		t.Fatalf("desk shows %d roots, want 1", len(w.desk.roots))
	}
	thread := w.desk.thread[tk.DeskThread]
	if len(thread) != 1 || thread[0].Text != "It was order 5521" || thread[0].Kind != bot.FromCustomer {
		t.Errorf("thread = %+v, want only the second message (the first is on the root)", thread)
	}
	if w.outbox() != 0 {
		t.Errorf("outbox still holds %d deliveries", w.outbox())
	}
}

func TestRedeliveredComplaintChangesNothing(t *testing.T) {
	tests := []struct {
		name string
		in   bot.Inbound
	}{
		{"same update id", bot.Inbound{EventID: "501", MessageID: "99"}},
		{"same message id under a new update id", bot.Inbound{EventID: "777", MessageID: "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.writes(jane, 1, "hello?")
			in := tt.in
			in.Source, in.Conversation, in.Customer, in.Text = "telegram", jane.ID, jane, "hello?"
			fresh, err := w.bot.Received(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if fresh {
				t.Error("Received says a redelivery is new: it would be counted twice")
			}
			w.flush()
			if len(w.desk.roots) != 1 || len(w.desk.thread[w.ticket(1).DeskThread]) != 0 {
				t.Errorf("a redelivery changed the desk: %d roots, thread %v", len(w.desk.roots), w.desk.thread)
			}
		})
	}
}

func TestStartGreetsWithoutTicket(t *testing.T) {
	w := newWorld(t)
	err := w.bot.Receive(context.Background(), bot.Inbound{Source: "telegram", EventID: "1", MessageID: "1", Conversation: jane.ID, Customer: jane, Text: "/start", Hello: true})
	if err != nil {
		t.Fatal(err)
	}
	w.flush()
	if got := w.tg.texts(); len(got) != 1 || !strings.Contains(got[0], "a person from our team") {
		t.Errorf("customer got %q, want one greeting", got)
	}
	if len(w.desk.roots) != 0 {
		t.Errorf("/start opened a ticket")
	}
}

func TestReopenWindow(t *testing.T) {
	tests := []struct {
		after      time.Duration
		wantTicket int64
		wantState  bot.State
	}{
		{time.Hour, 1, bot.Claimed}, // back to the same owner
		{6 * 24 * time.Hour, 1, bot.Claimed},
		{8 * 24 * time.Hour, 2, bot.Open}, // too late: a new ticket
	}
	for _, tt := range tests {
		t.Run(tt.after.String(), func(t *testing.T) {
			w := newWorld(t)
			w.writes(jane, 1, "broken")
			mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
			mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: alice})
			w.clock.Add(tt.after)
			w.writes(jane, 2, "still broken")
			tk := w.ticket(tt.wantTicket)
			if tk.State != tt.wantState {
				t.Errorf("ticket #%d is %s, want %s", tk.ID, tk.State, tt.wantState)
			}
			if tt.wantTicket == 1 {
				if tk.Reopens != 1 || tk.Owner != alice {
					t.Errorf("reopened ticket %+v, want 1 reopen and alice as owner", tk)
				}
				notices := w.desk.thread[tk.DeskThread]
				if !slices.ContainsFunc(notices, func(m bot.Message) bool { return strings.HasPrefix(m.Text, "Reopened") }) {
					t.Errorf("thread %v does not say it was reopened", notices)
				}
			}
		})
	}
}

func mustAct(t *testing.T, w *world, a bot.Action) string {
	t.Helper()
	text, err := w.act(a)
	if err != nil {
		t.Fatalf("%s #%d by %s: %v", a.Verb, a.Ticket, a.Agent.Name, err)
	}
	return text
}

func TestOwnershipRules(t *testing.T) {
	tests := []struct {
		name    string
		before  []bot.Action
		action  bot.Action
		code    string // "" for success
		sayings string // in the answer or the refusal
		owner   bot.Agent
		state   bot.State
	}{
		{"claim an open ticket", nil, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice}, "", "You own #1 now", alice, bot.Claimed},
		{"claim it again", []bot.Action{{Verb: bot.DoClaim, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice}, "", "You already own #1", alice, bot.Claimed},
		{"claim someone else's", []bot.Action{{Verb: bot.DoClaim, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: bob}, bot.ECONFLICT, "#1 is already claimed by <@UALICE> — ask them or use /desk transfer 1", alice, bot.Claimed},
		{"claim a missing ticket", nil, bot.Action{Verb: bot.DoClaim, Ticket: 42, Agent: bob}, bot.ENOTFOUND, "There is no ticket #42", bot.Agent{}, bot.Open},
		{"claim a resolved ticket reopens it", []bot.Action{{Verb: bot.DoResolve, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: bob}, "", "You own #1", bob, bot.Claimed},
		{"transfer by the owner", []bot.Action{{Verb: bot.DoClaim, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoTransfer, Ticket: 1, Agent: alice, To: bob}, "", "#1 is <@UBOB>'s now", bob, bot.Claimed},
		{"transfer by someone else", []bot.Action{{Verb: bot.DoClaim, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoTransfer, Ticket: 1, Agent: carol, To: bob}, bot.EFORBIDDEN, "Only <@UALICE>, who owns #1, can hand it over", alice, bot.Claimed},
		{"a second hand-over", []bot.Action{{Verb: bot.DoClaim, Ticket: 1, Agent: alice}, {Verb: bot.DoTransfer, Ticket: 1, Agent: alice, To: bob}}, bot.Action{Verb: bot.DoTransfer, Ticket: 1, Agent: bob, To: carol}, bot.ECONFLICT, "already handed over once", bob, bot.Claimed},
		{"assigning an open ticket is no hand-over", nil, bot.Action{Verb: bot.DoTransfer, Ticket: 1, Agent: carol, To: bob}, "", "#1 is <@UBOB>'s now", bob, bot.Claimed},
		{"resolve someone else's", []bot.Action{{Verb: bot.DoClaim, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: bob}, bot.EFORBIDDEN, "#1 belongs to <@UALICE>", alice, bot.Claimed},
		{"resolve my own", []bot.Action{{Verb: bot.DoClaim, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: alice}, "", "Resolved #1. If the customer writes again within 7 days, it reopens.", alice, bot.Resolved},
		{"resolve spam nobody claimed", nil, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: carol}, "", "Resolved #1", carol, bot.Resolved},
		{"reply to someone else's", []bot.Action{{Verb: bot.DoClaim, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: bob, Text: "hi"}, bot.EFORBIDDEN, "only the owner answers the customer", alice, bot.Claimed},
		{"reply to an unclaimed ticket claims it", nil, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: bob, Text: "hi"}, "", "Sending your reply to " + bot.Quote("Jane Doe") + " on Telegram", bob, bot.Claimed},
		{"reply to a resolved ticket", []bot.Action{{Verb: bot.DoResolve, Ticket: 1, Agent: alice}}, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "hi"}, bot.ECONFLICT, "#1 is resolved. /desk claim 1 reopens it", alice, bot.Resolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.writes(jane, 1, "help")
			for _, a := range tt.before {
				mustAct(t, w, a)
			}
			text, err := w.act(tt.action)
			if bot.ErrorCode(err) != tt.code {
				t.Fatalf("error %v (code %q), want code %q", err, bot.ErrorCode(err), tt.code)
			}
			if err != nil {
				text = err.Error()
			}
			if !strings.Contains(text, tt.sayings) {
				t.Errorf("agent reads %q, want it to contain %q", text, tt.sayings)
			}
			tk := w.ticket(1)
			if tk.Owner.ID != tt.owner.ID || tk.State != tt.state {
				t.Errorf("ticket is %s owned by %q, want %s owned by %q", tk.State, tk.Owner.ID, tt.state, tt.owner.ID)
			}
			if root := w.desk.roots[tk.DeskThread]; root.State != tk.State || root.Owner.ID != tk.Owner.ID {
				t.Errorf("the desk's root shows %s/%q, the ticket is %s/%q", root.State, root.Owner.ID, tk.State, tk.Owner.ID)
			}
		})
	}
}

func TestThreadMessages(t *testing.T) {
	tests := []struct {
		name      string
		claimedBy bot.Agent
		author    bot.Agent
		text      string
		toCust    []string // what the customer receives
		whisper   string   // what the author is told, "" for nothing
	}{
		{"owner answers", alice, alice, "We are sending a new one today.", []string{"We are sending a new one today."}, ""},
		{"owner writes a note", alice, alice, "Note: courier lost it", nil, ""},
		{"colleague on a claimed ticket", alice, bob, "I know this customer", nil, "#1 belongs to <@UALICE>"},
		{"anyone on an unclaimed ticket", bot.Agent{}, bob, "on it", nil, "nobody has claimed #1 yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.writes(jane, 1, "where is my parcel")
			if tt.claimedBy.ID != "" {
				mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: tt.claimedBy})
			}
			thread := w.ticket(1).DeskThread
			mustAct(t, w, bot.Action{Verb: bot.DoSay, Thread: thread, Agent: tt.author, Text: tt.text, Ref: "agent-msg-1", EventID: "Ev1", Whisper: true})
			if got := w.tg.texts(); !slices.Equal(got, tt.toCust) {
				t.Errorf("customer got %q, want %q", got, tt.toCust)
			}
			var whispers string
			if len(w.desk.whispers) > 0 {
				whispers = strings.Join(w.desk.whispers, "\n")
			}
			if (tt.whisper == "") != (whispers == "") || !strings.Contains(whispers, tt.whisper) {
				t.Errorf("whispers %q, want %q", whispers, tt.whisper)
			}
			if len(tt.toCust) > 0 {
				if !slices.Equal(w.desk.marked, []string{"agent-msg-1"}) {
					t.Errorf("marked delivered %v, want the agent's own message", w.desk.marked)
				}
				if tk := w.ticket(1); tk.FirstReplyAt.IsZero() {
					t.Error("the first reply did not stop the SLA clock")
				}
			}
		})
	}
}

func TestColleagueIsToldOnce(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "hi")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	thread := w.ticket(1).DeskThread
	for i, ref := range []string{"m1", "m2", "m3"} {
		mustAct(t, w, bot.Action{Verb: bot.DoSay, Thread: thread, Agent: bob, Text: "idea " + ref, Ref: ref, EventID: "Ev" + ref, Whisper: true})
		if len(w.desk.whispers) != 1 {
			t.Fatalf("after message %d bob was told %d times, want once", i+1, len(w.desk.whispers))
		}
	}
	if n := len(w.desk.thread[thread]); n != 0 {
		t.Errorf("notes written in the thread are already there; caredesk posted %d copies", n)
	}
}

func TestDuplicateEventsChangeNothing(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "hi")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	thread := w.ticket(1).DeskThread
	say := bot.Action{Verb: bot.DoSay, Thread: thread, Agent: alice, Text: "Sorry about that!", Ref: "1700.01", EventID: "Ev42", Whisper: true}
	mustAct(t, w, say)
	mustAct(t, w, say) // Slack's retry: same event_id
	say.EventID = "Ev43"
	mustAct(t, w, say) // the same message under another event id
	if got := w.tg.texts(); len(got) != 1 {
		t.Errorf("customer got %d replies, want 1: %q", len(got), got)
	}
}

func TestButtonRefusalIsWhispered(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "hi")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	click := bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: bob, EventID: "act-1", Whisper: true}
	text := mustAct(t, w, click)
	mustAct(t, w, click) // delivered twice: told once
	if text != "" {
		t.Errorf("a whispered action returned %q; the desk has nowhere to show it", text)
	}
	if len(w.desk.whispers) != 1 || !strings.Contains(w.desk.whispers[0], "UBOB: #1 is already claimed by <@UALICE>") {
		t.Errorf("whispers %q, want bob told once that alice has it", w.desk.whispers)
	}
}

func TestEmojiOnOtherMessagesIsIgnored(t *testing.T) {
	w := newWorld(t)
	text, err := w.act(bot.Action{Verb: bot.DoClaim, Thread: "not-a-ticket", Agent: bob, EventID: "Ev9", Whisper: true})
	if err != nil || text != "" || len(w.desk.whispers) != 0 {
		t.Errorf("an emoji on an ordinary message got %q, %v, whispers %v", text, err, w.desk.whispers)
	}
}

func TestListAndShow(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "first")
	w.clock.Add(10 * time.Minute)
	w.writes(bot.Customer{ID: "2002", Handle: "max"}, 2, "second")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 2, Agent: bob})
	w.clock.Add(55 * time.Minute)
	list := mustAct(t, w, bot.Action{Verb: bot.DoList, Agent: alice})
	for _, want := range []string{"#1 Telegram, " + bot.Quote("Jane Doe") + ": unclaimed, first answer overdue by 5 min", "#2 Telegram, " + bot.Quote("@max") + ": <@UBOB>, answer due <t:1795187400:t> (in 5 min)"} {
		if !strings.Contains(list, want) {
			t.Errorf("list\n%s\nlacks %q", list, want)
		}
	}
	if strings.Index(list, "#1") > strings.Index(list, "#2") {
		t.Errorf("list is not oldest first:\n%s", list)
	}
	show := mustAct(t, w, bot.Action{Verb: bot.DoShow, Ticket: 1, Agent: alice})
	if !strings.Contains(show, "#1 · Telegram · "+bot.Quote("Jane Doe")+" · open") || !strings.Contains(show, "customer: "+bot.Quote("first")) {
		t.Errorf("show:\n%s", show)
	}
	mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: alice})
	mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: 2, Agent: bob})
	if list := mustAct(t, w, bot.Action{Verb: bot.DoList, Agent: alice}); list != "No open tickets. Nice." {
		t.Errorf("empty list says %q", list)
	}
}

func TestReplyRetriesAndRespectsRetryAfter(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "hi")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	w.tg.errs = []error{bot.RetryAfter(30*time.Second, errors.New("429 Too Many Requests")), errors.New("connection refused")}
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "On it"})
	if len(w.tg.texts()) != 0 {
		t.Fatal("delivered despite the 429")
	}
	w.clock.Add(29 * time.Second)
	w.flush()
	if len(w.tg.texts()) != 0 {
		t.Fatal("retried before Retry-After passed")
	}
	w.clock.Add(time.Second)
	w.flush() // second attempt: connection refused, back off
	w.clock.Add(3 * time.Second)
	w.flush()
	if got := w.tg.texts(); !slices.Equal(got, []string{"On it"}) {
		t.Errorf("customer got %q, want the reply once", got)
	}
}

func TestPermanentFailureIsShownInTheThread(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "hi")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	w.tg.errs = []error{bot.Permanent(errors.New("Telegram says: Forbidden: bot was blocked by the user"))}
	thread := w.ticket(1).DeskThread
	mustAct(t, w, bot.Action{Verb: bot.DoSay, Thread: thread, Agent: alice, Text: "Hello?", Ref: "r1", Whisper: true})
	msgs := w.desk.thread[thread]
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "your reply was NOT delivered to the customer: "+bot.Quote("Telegram says: Forbidden: bot was blocked by the user")) {
		t.Errorf("thread %+v, want a visible warning", msgs)
	}
	if w.outbox() != 0 {
		t.Errorf("failed reply left %d deliveries in the outbox", w.outbox())
	}
}

func TestGiveUpAfterTemporaryFailures(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "hi")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	for range 100 {
		w.tg.errs = append(w.tg.errs, errors.New("503"))
	}
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "hello"})
	for range 80 {
		w.clock.Add(time.Minute)
		w.flush()
	}
	msgs := w.desk.thread[w.ticket(1).DeskThread]
	if !slices.ContainsFunc(msgs, func(m bot.Message) bool { return strings.Contains(m.Text, "NOT delivered") }) {
		t.Errorf("after an hour of failures the thread shows no warning: %+v", msgs)
	}
}

func TestDeskOutageDoesNotDelayReplies(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "hi")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	w.desk.setFail(errors.New("slack is down"))
	for i := range 20 {
		w.writes(bot.Customer{ID: "c" + string(rune('a'+i)), Name: "someone"}, 100+i, "storm")
	}
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Sorted!"})
	if got := w.tg.texts(); !slices.Equal(got, []string{"Sorted!"}) {
		t.Errorf("while the desk is down the customer got %q, want the reply", got)
	}
	w.desk.setFail(nil)
	w.clock.Add(2 * time.Minute)
	w.flush()
	if len(w.desk.roots) != 21 {
		t.Errorf("after the outage the desk shows %d tickets, want 21", len(w.desk.roots))
	}
}

func TestLostAnswerDoesNotPostTheTicketTwice(t *testing.T) {
	w := newWorld(t)
	w.desk.lose = 1
	w.writes(jane, 1, "hello?")
	w.clock.Add(time.Minute)
	w.flush()
	if len(w.desk.roots) != 1 {
		t.Fatalf("the desk shows %d roots for one complaint, want 1", len(w.desk.roots))
	}
	if tk := w.ticket(1); w.desk.roots[tk.DeskThread].ID != 1 {
		t.Errorf("ticket #1 points at %q, which is not its root", tk.DeskThread)
	}
	if w.outbox() != 0 {
		t.Errorf("outbox holds %d deliveries", w.outbox())
	}
}

func TestLostAnswerDoesNotPostAThreadMessageTwice(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "hello?")
	w.desk.loseMsg = 1
	w.writes(jane, 2, "anyone there?")
	w.clock.Add(time.Minute)
	w.flush()
	if got := w.desk.thread[w.ticket(1).DeskThread]; len(got) != 1 {
		t.Errorf("the thread shows the follow-up %d times, want once", len(got))
	}
	if w.outbox() != 0 {
		t.Errorf("outbox holds %d deliveries", w.outbox())
	}
}

func TestHighReachListedFirst(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "small account, first")
	w.clock.Add(time.Minute)
	err := w.bot.Receive(context.Background(), bot.Inbound{
		Source: "webhook:twitter", Network: "X (Twitter)", MessageID: "tw-1", Conversation: "thread-9",
		Customer: bot.Customer{ID: "x9", Handle: "loud", Followers: 250_000}, Text: "your service is a joke",
		PostURL: "https://x.com/loud/status/9", Attachments: []string{"https://pbs.example/1.jpg"},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.flush()
	list := mustAct(t, w, bot.Action{Verb: bot.DoList, Agent: alice})
	first, _, _ := strings.Cut(strings.TrimPrefix(list, "Open tickets, oldest first:\n"), "\n")
	if !strings.Contains(first, "#2 X (Twitter), "+bot.Quote("@loud")+" 📣 high reach (250000 followers)") {
		t.Errorf("the high-reach ticket is not first:\n%s", list)
	}
	if tk := w.ticket(2); tk.PostURL != "https://x.com/loud/status/9" || !strings.HasSuffix(tk.Text, "📎 https://pbs.example/1.jpg") {
		t.Errorf("ticket #2 lost the post's link or attachment: %+v", tk)
	}
}

func TestReportReply(t *testing.T) {
	tests := []struct {
		name   string
		report bot.ReplyReport
		code   string
		notice string
	}{
		{"posted", bot.ReplyReport{Status: bot.Delivered, URL: "https://x.com/brand/status/2"}, "", "✅ X (Twitter) posted the reply of <@UALICE>: " + bot.Quote("https://x.com/brand/status/2")},
		{"failed", bot.ReplyReport{Status: bot.Failed, Reason: "the tweet was deleted"}, "", "⚠️ <@UALICE>, X (Twitter) could NOT post your reply: " + bot.Quote("the tweet was deleted") + "."},
		{"unknown reply", bot.ReplyReport{Reply: 999, Status: bot.Delivered}, bot.ENOTFOUND, ""},
		{"other source", bot.ReplyReport{Source: "telegram", Status: bot.Delivered}, bot.ENOTFOUND, ""},
		{"bad status", bot.ReplyReport{Status: "maybe"}, bot.EINVALID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			bridge := &customers{}
			w.courier = bot.NewCourier(w.db, w.desk, map[string]bot.Source{"webhook:twitter": bridge}, bot.CourierClock(w.clock))
			if err := w.bot.Receive(context.Background(), bot.Inbound{Source: "webhook:twitter", Network: "X (Twitter)", MessageID: "1", Conversation: "c1", Customer: bot.Customer{ID: "x1"}, Text: "hi"}); err != nil {
				t.Fatal(err)
			}
			w.flush()
			mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Hello!"})
			if len(bridge.got) != 1 || bridge.got[0].MessageID == 0 {
				t.Fatalf("the bridge got %+v, want one reply with its id", bridge.got)
			}
			r := tt.report
			if r.Reply == 0 {
				r.Reply = bridge.got[0].MessageID
			}
			if r.Source == "" {
				r.Source = "webhook:twitter"
			}
			err := w.bot.ReportReply(context.Background(), r)
			w.flush()
			if bot.ErrorCode(err) != tt.code {
				t.Fatalf("ReportReply: %v, want code %q", err, tt.code)
			}
			thread := w.desk.thread[w.ticket(1).DeskThread]
			last := thread[len(thread)-1].Text
			if tt.notice != "" && !strings.HasPrefix(last, tt.notice) {
				t.Errorf("thread ends with %q, want %q", last, tt.notice)
			}
		})
	}
}

// TestReceivedSaysWhatIsNew: a message is new once, so that what counts
// complaints counts each once however often a network brings it.
func TestReceivedSaysWhatIsNew(t *testing.T) {
	w := newWorld(t)
	in := bot.Inbound{Source: "telegram", EventID: "501", MessageID: "1", Conversation: jane.ID, Customer: jane, Text: "hello?"}
	for i, want := range []bool{true, false} {
		fresh, err := w.bot.Received(context.Background(), in)
		if err != nil || fresh != want {
			t.Errorf("Received, time %d: %v %v, want fresh %v", i+1, fresh, err, want)
		}
	}
}

// TestSamePostTwoListeners: a post heard by two listeners (a feed and a
// mention, two searches) under the same PostKey opens one ticket; other
// posts, and posts without a key, are not held back by it.
func TestSamePostTwoListeners(t *testing.T) {
	w := newWorld(t)
	post := "https://mastodon.example/@jane/1001"
	for _, tc := range []struct {
		in   bot.Inbound
		want bool
	}{
		{bot.Inbound{Source: "feed:alerts", MessageID: "tag:1", Conversation: "tag:1", PostKey: post}, true},
		{bot.Inbound{Source: "mastodon:brand", MessageID: "1001", Conversation: "1001", PostKey: post}, false},
		{bot.Inbound{Source: "mastodon:brand", MessageID: "1002", Conversation: "1002", PostKey: post + "2"}, true},
		{bot.Inbound{Source: "telegram", MessageID: "7", Conversation: jane.ID}, true},
	} {
		tc.in.Customer, tc.in.Text = jane, "Acme took my money twice"
		fresh, err := w.bot.Received(context.Background(), tc.in)
		if err != nil || fresh != tc.want {
			t.Errorf("Received %s %s: fresh %v (%v), want %v", tc.in.Source, tc.in.MessageID, fresh, err, tc.want)
		}
	}
}
