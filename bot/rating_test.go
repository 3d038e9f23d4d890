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

// tickAfter moves the clock, fires what is due and delivers it.
func (w *world) tickAfter(d time.Duration) {
	w.t.Helper()
	w.clock.Add(d)
	if _, err := w.bot.Tick(context.Background()); err != nil {
		w.t.Fatalf("tick: %v", err)
	}
	w.flush()
}

// resolved is a ticket of jane's that alice answered and resolved.
func resolved(t *testing.T, w *world) {
	t.Helper()
	w.writes(jane, 1, "my parcel is lost")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Found it, it comes tomorrow."})
	mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: alice})
}

func (c *customers) ratings() []bot.Outgoing {
	c.mu.Lock()
	defer c.mu.Unlock()
	var asked []bot.Outgoing
	for _, m := range c.got {
		if m.Purpose == bot.ForRating {
			asked = append(asked, m)
		}
	}
	return asked
}

func TestRatingIsAskedOnceAfterTheDelay(t *testing.T) {
	tests := []struct {
		name   string
		before func(w *world) // between resolving and the question
		asked  int
	}{
		{"asked after the delay", nil, 1},
		{"not when the customer wrote again", func(w *world) { w.writes(jane, 2, "one more thing") }, 0},
		{"not twice after a second resolve", func(w *world) {
			w.tickAfter(10 * time.Minute)
			w.writes(jane, 2, "thanks, but…")
			mustAct(w.t, w, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: alice})
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			resolved(t, w)
			w.tickAfter(9 * time.Minute)
			if n := len(w.tg.ratings()); n != 0 {
				t.Fatalf("asked %d times before the delay", n)
			}
			if tt.before != nil {
				tt.before(w)
			}
			w.tickAfter(time.Minute)
			w.tickAfter(time.Hour)
			asked := w.tg.ratings()
			if len(asked) != tt.asked {
				t.Fatalf("asked %d times, want %d", len(asked), tt.asked)
			}
			if tt.asked > 0 && (asked[0].Ticket.ID != 1 || asked[0].Text != bot.DefaultRatingPolicy().Question || asked[0].Conversation != jane.ID) {
				t.Errorf("question %+v", asked[0])
			}
		})
	}
}

func TestRatingIsNotAskedWhenTheLastReplyFailed(t *testing.T) {
	w := newWorld(t)
	w.writes(jane, 1, "my parcel is lost")
	mustAct(t, w, bot.Action{Verb: bot.DoClaim, Ticket: 1, Agent: alice})
	w.tg.errs = []error{bot.Permanent(context.Canceled)} // Forbidden: bot was blocked by the user
	mustAct(t, w, bot.Action{Verb: bot.DoReply, Ticket: 1, Agent: alice, Text: "Found it."})
	mustAct(t, w, bot.Action{Verb: bot.DoResolve, Ticket: 1, Agent: alice})
	w.tickAfter(time.Hour)
	if n := len(w.tg.ratings()); n != 0 {
		t.Errorf("asked %d times a customer the last reply could not reach", n)
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		name     string
		rating   bot.Rating
		wantCode string
		want     int
	}{
		{"the customer's score", bot.Rating{Source: "telegram", TicketID: 1, CustomerID: jane.ID, Score: 4, EventID: "cb1"}, "", 4},
		{"a score out of range", bot.Rating{Source: "telegram", TicketID: 1, CustomerID: jane.ID, Score: 6}, bot.EINVALID, 0},
		{"someone else", bot.Rating{Source: "telegram", TicketID: 1, CustomerID: "999", Score: 1}, bot.ENOTFOUND, 0},
		{"another source", bot.Rating{Source: "discord", TicketID: 1, CustomerID: jane.ID, Score: 1}, bot.ENOTFOUND, 0},
		{"no such ticket", bot.Rating{Source: "telegram", TicketID: 7, CustomerID: jane.ID, Score: 1}, bot.ENOTFOUND, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			resolved(t, w)
			w.tickAfter(10 * time.Minute)
			err := w.bot.Rate(context.Background(), tt.rating)
			if bot.ErrorCode(err) != tt.wantCode || (tt.wantCode == "" && err != nil) {
				t.Fatalf("Rate: %v, want code %q", err, tt.wantCode)
			}
			w.flush()
			if got := w.ticket(1).Rating; got != tt.want {
				t.Errorf("rating %d, want %d", got, tt.want)
			}
			if tt.want != 0 && w.desk.roots[w.ticket(1).DeskThread].Rating != tt.want {
				t.Errorf("the root does not show the rating")
			}
		})
	}
}

func TestRatingBeforeTheQuestionIsRefused(t *testing.T) {
	w := newWorld(t)
	resolved(t, w)
	err := w.bot.Rate(context.Background(), bot.Rating{Source: "telegram", TicketID: 1, CustomerID: jane.ID, Score: 5})
	if bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("Rate before asking: %v, want ENOTFOUND", err)
	}
}

func TestLowScoreCommentJoinsTheThread(t *testing.T) {
	w := newWorld(t)
	resolved(t, w)
	w.tickAfter(10 * time.Minute)
	for range 2 { // a second press changes nothing
		if err := w.bot.Rate(context.Background(), bot.Rating{Source: "telegram", TicketID: 1, CustomerID: jane.ID, Score: 2, EventID: "cb1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.bot.Rate(context.Background(), bot.Rating{Source: "telegram", TicketID: 1, CustomerID: jane.ID, Score: 5, EventID: "cb2"}); err != nil {
		t.Fatal(err)
	}
	w.flush()
	if tk := w.ticket(1); tk.Rating != 2 {
		t.Fatalf("rating %d, want the first answer, 2", tk.Rating)
	}
	if got := w.tg.texts(); got[len(got)-1] != bot.DefaultRatingPolicy().FollowUp {
		t.Errorf("the customer last read %q, want the follow-up", got[len(got)-1])
	}
	w.clock.Add(time.Hour)
	w.writes(jane, 2, "the courier was rude")
	w.writes(jane, 3, "and now it is broken")
	tk := w.ticket(1)
	if tk.State != bot.Claimed || tk.Reopens != 1 {
		t.Errorf("after the comment and one more message: %s with %d reopens, want the second to reopen it", tk.State, tk.Reopens)
	}
	var thread []string
	for _, m := range w.desk.thread[tk.DeskThread] {
		thread = append(thread, m.Text)
	}
	i := slices.Index(thread, "the courier was rude")
	if i < 0 || i+1 >= len(thread) || !strings.Contains(thread[i+1], bot.Mention(alice)+", the customer explained their 2/5") {
		t.Errorf("thread %q: want the comment, then a ping to alice", thread)
	}
	if !slices.ContainsFunc(thread, func(s string) bool { return strings.HasPrefix(s, "⭐ The customer rated #1 2/5. "+bot.Mention(alice)) }) {
		t.Errorf("thread %q: want the low score with a ping to the owner", thread)
	}
}

func TestRatingPolicyChoosesSources(t *testing.T) {
	p := bot.DefaultPolicy()
	p.Rating.Sources = []string{"webhook:twitter"}
	w := newWorldWith(t, p, time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC))
	resolved(t, w)
	w.tickAfter(time.Hour)
	if n := len(w.tg.ratings()); n != 0 {
		t.Errorf("asked a telegram customer %d times; only webhook:twitter is asked", n)
	}
}

func TestRefusedQuestionIsShownAndNotCounted(t *testing.T) {
	w := newWorld(t)
	resolved(t, w)
	w.tg.errs = []error{bot.Permanent(errors.New("Forbidden: bot was blocked by the user"))}
	w.tickAfter(10 * time.Minute)
	tk := w.ticket(1)
	if !tk.RatingAskedAt.IsZero() {
		t.Errorf("a question that never arrived counts as asked at %v", tk.RatingAskedAt)
	}
	var thread []string
	for _, m := range w.desk.thread[tk.DeskThread] {
		thread = append(thread, m.Text)
	}
	if !slices.ContainsFunc(thread, func(s string) bool {
		return strings.HasPrefix(s, "The customer could not be asked how it went: ") && strings.Contains(s, "blocked")
	}) {
		t.Errorf("thread %q does not say the question failed", thread)
	}
}
