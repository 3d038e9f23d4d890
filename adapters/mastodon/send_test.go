package mastodon_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"caredesk/bot"
	"caredesk/sim/mastodonsim"
)

func TestSendRepliesInTheThread(t *testing.T) {
	for _, tc := range []struct {
		name       string
		visibility string // of the customer's post
		private    bool   // the ticket went private
		want       string
	}{
		{"public stays public", "public", false, "public"},
		{"unlisted stays unlisted", "unlisted", false, "unlisted"},
		{"followers-only is answered directly", "private", false, "direct"},
		{"a direct message directly", "direct", false, "direct"},
		{"a ticket gone private directly", "public", true, "direct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := instance(t)
			id := s.Mention("pia@other.example", "my order never came", mastodonsim.Visibility(tc.visibility), mastodonsim.Language("en"))
			l, _ := listener(t, s, nil)
			ref, err := l.Send(testContext(t), bot.Outgoing{
				Ticket: bot.Ticket{ID: 7, Private: tc.private}, Conversation: id, ReplyTo: id,
				Text: "Sorry Pia, it leaves today.", Key: "caredesk-1",
			})
			if err != nil {
				t.Fatal(err)
			}
			got := s.Replies()
			if len(got) != 1 {
				t.Fatalf("posted %+v, want one reply", got)
			}
			r := got[0]
			if r.ID != ref || r.InReplyToID != id || r.Status != "@pia@other.example Sorry Pia, it leaves today." ||
				r.Visibility != tc.want || r.Language != "en" || r.IdempotencyKey != "caredesk-1/0" {
				t.Errorf("posted %+v (ref %s), want a %s reply to %s mentioning the customer", r, ref, tc.want, id)
			}
		})
	}
}

func TestSendTwiceWithTheSameKeyPostsOnce(t *testing.T) {
	s := instance(t)
	id := s.Mention("quinn", "refund?")
	l, _ := listener(t, s, nil)
	m := bot.Outgoing{Conversation: id, ReplyTo: id, Text: "On its way.", Key: "caredesk-42"}
	first, err := l.Send(testContext(t), m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.Send(testContext(t), m)
	if err != nil {
		t.Fatal(err)
	}
	if first != again || len(s.Replies()) != 1 || s.Calls(mastodonsim.RoutePost) != 2 {
		t.Errorf("refs %s and %s, %d replies after %d posts, want the retry to be the same status", first, again, len(s.Replies()), s.Calls(mastodonsim.RoutePost))
	}
	m.Key = "caredesk-43"
	if other, err := l.Send(testContext(t), m); err != nil || other == first {
		t.Errorf("another reply: %s, %v; want a new status", other, err)
	}
}

func TestLongReplyBecomesAThread(t *testing.T) {
	s := instance(t)
	id := s.Mention("rita", "explain the fees")
	l, _ := listener(t, s, nil)
	text := strings.Repeat("The monthly fee covers the card and the app. ", 30) // 1350 characters
	s.FailNext(mastodonsim.RoutePost, 1, http.StatusBadGateway, 0)
	m := bot.Outgoing{Conversation: id, ReplyTo: id, Text: text, Key: "caredesk-9"}
	if _, err := l.Send(testContext(t), m); err == nil || bot.IsPermanent(err) {
		t.Fatalf("a 502 gave %v, want an error to retry", err)
	}
	ref, err := l.Send(testContext(t), m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Send(testContext(t), m); err != nil { // a retry after it all went
		t.Fatal(err)
	}
	got := s.Replies()
	if len(got) != 3 || got[0].ID != ref {
		t.Fatalf("posted %d statuses (first %v, ref %s), want a thread of 3 led by the ref", len(got), got, ref)
	}
	var words []string
	prev := id
	for i, r := range got {
		if r.InReplyToID != prev || !strings.HasPrefix(r.Status, "@rita ") || utf8.RuneCountInString(r.Status) > mastodonsim.MaxChars ||
			r.IdempotencyKey != "caredesk-9/"+string(rune('0'+i)) {
			t.Errorf("part %d: %+v, want a reply to %s mentioning @rita within 500 characters", i, r, prev)
		}
		prev = r.ID
		words = append(words, strings.Fields(strings.TrimPrefix(r.Status, "@rita "))...)
	}
	if strings.Join(words, " ") != strings.TrimSpace(text) {
		t.Errorf("the thread does not say the reply's words in order")
	}
}

func TestSendErrors(t *testing.T) {
	s := instance(t)
	l, _ := listener(t, s, nil)
	deleted := s.Mention("sam", "nevermind")
	s.Delete(deleted)
	_, err := l.Send(testContext(t), bot.Outgoing{Ticket: bot.Ticket{Customer: bot.Customer{Handle: "sam"}}, Conversation: deleted, ReplyTo: deleted, Text: "Hi", Key: "k1"})
	if !bot.IsPermanent(err) || err.Error() != "the customer's Mastodon post was deleted, so the reply cannot be attached to it: write to @sam in a new post if it still needs an answer" {
		t.Errorf("a deleted post: %v, want a permanent sentence", err)
	}

	id := s.Mention("tia", "hello")
	m := bot.Outgoing{Conversation: id, ReplyTo: id, Text: "Hi Tia", Key: "k2"}
	s.FailNext(mastodonsim.RoutePost, 1, http.StatusUnprocessableEntity, 0)
	if _, err := l.Send(testContext(t), m); !bot.IsPermanent(err) || !strings.Contains(err.Error(), "refused the reply (422): simulated failure (422)") {
		t.Errorf("a 422: %v, want a permanent error with Mastodon's words", err)
	}
	s.FailNext(mastodonsim.RoutePost, 1, http.StatusTooManyRequests, 30*time.Second)
	_, err = l.Send(testContext(t), m)
	if wait := bot.RetryAfterOf(err); wait < 25*time.Second || wait > 30*time.Second {
		t.Errorf("a 429 with Retry-After: 30 gave %v (wait %v), want to retry after 30 s", err, wait)
	}
	if len(s.Replies()) != 0 {
		t.Errorf("posted %+v, want nothing", s.Replies())
	}
}

func TestSendWithRevokedToken(t *testing.T) {
	s := instance(t)
	id := s.Mention("uma", "hi")
	s.RevokeToken()
	l, _ := listener(t, s, nil)
	_, err := l.Send(testContext(t), bot.Outgoing{Conversation: id, ReplyTo: id, Text: "Hi", Key: "k"})
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "rejected the access token of source brand (401)") {
		t.Errorf("a revoked token: %v, want a permanent sentence", err)
	}
}
