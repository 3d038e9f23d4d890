package telegram_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/change"
	"caredesk/sim/telegramsim"
)

// rater is a Rater that records the answers it gets and keeps the first
// score of each ticket, as the core does. Planned answers come first, one
// per call.
type rater struct {
	mu      sync.Mutex
	calls   []bot.Rating
	planned []error
	scores  map[int64]int
	changed change.Signal
}

func (r *rater) Rate(_ context.Context, rt bot.Rating) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.changed.Notify()
	r.calls = append(r.calls, rt)
	if len(r.planned) > 0 {
		err := r.planned[0]
		r.planned = r.planned[1:]
		return err
	}
	if r.scores == nil {
		r.scores = map[int64]int{}
	}
	if r.scores[rt.TicketID] == 0 {
		r.scores[rt.TicketID] = rt.Score
	}
	return nil
}

func (r *rater) got() ([]bot.Rating, map[int64]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls), r.scores
}

// question is the satisfaction question about ticket #12 in Jane's chat.
var question = bot.Outgoing{
	Ticket: bot.Ticket{ID: 12, Source: "telegram", Conversation: "42"}, Conversation: "42",
	ReplyTo: "1", Text: "How did we do?", Purpose: bot.ForRating, Key: "caredesk-90",
}

// ask sends the question and returns its message id.
func ask(t *testing.T, s *telegramsim.Server, c *telegram.Client) int {
	t.Helper()
	ref, err := c.Send(testContext(t), question)
	if err != nil {
		t.Fatalf("sending the question: %v", err)
	}
	id, err := strconv.Atoi(ref)
	if err != nil {
		t.Fatalf("Send returned %q, not a message id", ref)
	}
	return id
}

// receive makes c take updates the way mode says, "polling" or "webhook",
// until the test ends.
func receive(t *testing.T, s *telegramsim.Server, mode string, o telegram.Options) *telegram.Client {
	t.Helper()
	if mode == "polling" {
		c, _ := newClient(t, s, o)
		poll(t, c, newRecorder())
		return c
	}
	srv := httptest.NewUnstartedServer(nil)
	o.WebhookURL, o.WebhookSecret = "http://"+srv.Listener.Addr().String()+"/telegram/webhook", secret
	c, _ := newClient(t, s, o)
	mux := http.NewServeMux()
	mux.Handle("POST /telegram/webhook", c.WebhookHandler(newRecorder(), telegram.WebhookOptions{}))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	if err := c.SetWebhook(testContext(t)); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	return c
}

func TestTheQuestionGoesWithFiveButtons(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{})
	s.CustomerWrites(42, jane, "thanks, it came")
	id := ask(t, s, c)
	m, ok := s.Message(42, id)
	if !ok || m.Text != question.Text || m.ReplyTo != 0 {
		t.Fatalf("the customer sees %+v, want the question on its own", m)
	}
	if len(m.Keyboard) != 1 || len(m.Keyboard[0]) != 5 {
		t.Fatalf("keyboard %+v, want one row of five buttons", m.Keyboard)
	}
	for i, b := range m.Keyboard[0] {
		if b.CallbackData != bot.RatingData(12, i+1) || !strings.HasPrefix(b.Text, itoa(i+1)+" ") {
			t.Errorf("button %d is %+v, want %q labelled %d", i+1, b, bot.RatingData(12, i+1), i+1)
		}
	}
}

func TestTheQuestionFailsLikeAReply(t *testing.T) {
	tests := []struct {
		name      string
		out       func(bot.Outgoing) bot.Outgoing
		fail      int // the status sendMessage answers
		permanent bool
		says      string
	}{
		{"blocked by the customer", nil, 403, true, "blocked the bot"},
		{"Telegram down", nil, 500, false, "tried again"},
		{"no ticket to rate", func(o bot.Outgoing) bot.Outgoing { o.Ticket.ID = 0; return o }, 0, true, "names no ticket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t)
			c, _ := newClient(t, s, telegram.Options{})
			s.CustomerWrites(42, jane, "thanks")
			if tc.fail != 0 {
				s.FailNext("sendMessage", 1, tc.fail, 0)
			}
			out := question
			if tc.out != nil {
				out = tc.out(out)
			}
			_, err := c.Send(testContext(t), out)
			if err == nil || bot.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Send = %v; want permanent=%v saying %q", err, tc.permanent, tc.says)
			}
			assertNoToken(t, err)
		})
	}
}

func TestPressingAButtonRatesTheTicket(t *testing.T) {
	refusal := bot.Errorf(bot.ENOTFOUND, "There is no question about ticket 12 for that customer on telegram.")
	tests := []struct {
		name    string
		noRater bool
		planned []error // the core's answers to the first calls
		calls   int     // Rate calls in all
		answer  string  // the notification the customer sees
		shown   bool    // the buttons gave way to the answer
	}{
		{"stored", false, nil, 1, telegram.RatingThanks, true},
		{"refused by the core", false, []error{refusal}, 1, telegram.RatingRefused, false},
		{"store fails, Telegram sends it again", false, []error{errStore, errStore}, 3, telegram.RatingThanks, true},
		{"no Rater", true, nil, 0, "", false},
	}
	for _, mode := range []string{"polling", "webhook"} {
		for _, tc := range tests {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				s := startSim(t)
				r := &rater{planned: tc.planned}
				o := telegram.Options{Rater: r}
				if tc.noRater {
					o.Rater = nil
				}
				c := receive(t, s, mode, o)
				s.CustomerWrites(42, jane, "thanks, it came")
				id := ask(t, s, c)

				update, query := s.PressButton(42, id, bot.RatingData(12, 4), jane)
				waitSim(t, s, "the press answered and confirmed", func() bool { return len(s.Answers()) == 1 && s.Offset() > update })

				calls, _ := r.got()
				if len(calls) != tc.calls {
					t.Fatalf("Rate called %d times, want %d: %+v", len(calls), tc.calls, calls)
				}
				want := bot.Rating{Source: "telegram", TicketID: 12, CustomerID: "42", Score: 4, EventID: query}
				for i, got := range calls {
					if got != want {
						t.Errorf("call %d: Rate(%+v), want %+v", i+1, got, want)
					}
				}
				if a := s.Answers(); a[0].QueryID != query || a[0].Text != tc.answer {
					t.Errorf("the customer saw %+v, want %q", a, tc.answer)
				}
				m, _ := s.Message(42, id)
				if tc.shown && (m.Keyboard != nil || m.Text != "How did we do?\n\nYour answer: 4 🙂") {
					t.Errorf("after the answer the customer sees %q with %+v, want their answer and no buttons", m.Text, m.Keyboard)
				}
				if !tc.shown && (len(m.Keyboard) != 1 || m.Text != question.Text) {
					t.Errorf("after %s the question shows %q with %+v, want it unchanged", tc.name, m.Text, m.Keyboard)
				}
			})
		}
	}
}

func TestARepeatedPressChangesNothing(t *testing.T) {
	s := startSim(t)
	r := &rater{}
	c, _ := newClient(t, s, telegram.Options{Rater: r})
	s.CustomerWrites(42, jane, "thanks, it came")
	id := ask(t, s, c)
	// Two presses before caredesk takes the buttons away, and a button of
	// someone else's that is no rating.
	s.PressButton(42, id, bot.RatingData(12, 4), jane)
	s.PressButton(42, id, bot.RatingData(12, 2), jane)
	last := s.Push(map[string]any{"callback_query": map[string]any{"id": "77", "from": jane, "chat_instance": "x", "data": "claim:12"}})
	poll(t, c, newRecorder())
	waitSim(t, s, "every press handled", func() bool { return s.Offset() > last })

	calls, scores := r.got()
	if len(calls) != 2 || calls[0].EventID == calls[1].EventID || scores[12] != 4 {
		t.Errorf("Rate got %+v, the ticket's score is %d; want both presses, each with its own event id, and the first score kept", calls, scores[12])
	}
	if a := s.Answers(); len(a) != 2 || a[0].Text != telegram.RatingThanks || a[1].Text != telegram.RatingThanks {
		t.Errorf("answers %+v, want thanks for both presses", a)
	}
	if m, _ := s.Message(42, id); m.Text != "How did we do?\n\nYour answer: 4 🙂" || m.Edits != 1 {
		t.Errorf("the question shows %q after %d edits, want the first answer, shown once", m.Text, m.Edits)
	}
}

func TestAFailedAnswerToTheCustomerDoesNotHoldUpUpdates(t *testing.T) {
	s := startSim(t)
	r := &rater{}
	c, logs := newClient(t, s, telegram.Options{Rater: r})
	s.CustomerWrites(42, jane, "thanks, it came")
	id := ask(t, s, c)
	s.FailNext("answerCallbackQuery", 1, 400, 0)
	s.FailNext("editMessageText", 1, 500, 0)
	update, _ := s.PressButton(42, id, bot.RatingData(12, 5), jane)
	poll(t, c, newRecorder())
	waitSim(t, s, "the press confirmed", func() bool { return s.Offset() > update })
	if calls, _ := r.got(); len(calls) != 1 {
		t.Errorf("Rate called %d times, want once: telling the customer is best effort", len(calls))
	}
	logs.waitFor(t, "could not answer a button press", 1)
}
