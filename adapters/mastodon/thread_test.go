package mastodon_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"caredesk/adapters/mastodon"
	"caredesk/bot"
	"caredesk/sim/mastodonsim"
)

// A listener that did not see the thread start (a restart, another
// replica sent the reply) asks the instance for the thread once, and
// every post of the customer in it is of the root's conversation.
func TestThreadRootIsAskedOfTheInstance(t *testing.T) {
	s := instance(t)
	root := s.Mention("pia@other.example", "my order never came")
	answer := s.Post("acme", "@pia@other.example sorry, checking", mastodonsim.InReplyTo(root))
	follow := s.Mention("pia@other.example", "still nothing", mastodonsim.InReplyTo(answer))
	again := s.Mention("pia@other.example", "hello??", mastodonsim.InReplyTo(follow))
	l, _ := listener(t, s, nil)
	in := &inbox{}
	run(t, l, in)
	polled(t, s, 1)
	got := in.all()
	if len(got) != 3 {
		t.Fatalf("handed %+v, want the customer's three posts", got)
	}
	for i, id := range []string{root, follow, again} {
		if got[i].MessageID != id || got[i].Conversation != root {
			t.Errorf("post %d handed as %s in conversation %s, want %s in %s", i, got[i].MessageID, got[i].Conversation, id, root)
		}
	}
	// The thread told the root of every post in it: one call.
	if n := s.Calls(mastodonsim.RouteContext); n != 1 {
		t.Errorf("the thread was asked for %d times, want once", n)
	}
}

// A customer who answers under the brand's own post opens a ticket in
// that thread; a reply without a status to answer (ReplyTo empty, as
// after a ticket went private) goes to the thread's root and still
// mentions the customer, not the brand.
func TestThreadUnderTheBrandsPost(t *testing.T) {
	s := instance(t)
	news := s.Post("acme", "Our app is getting a new look today!")
	reply := s.Mention("ria", "the new look logged me out", mastodonsim.InReplyTo(news))
	l, _ := listener(t, s, nil)
	in := &inbox{}
	run(t, l, in)
	waitFor(t, s, "the reply", func() bool { return len(in.all()) == 1 })
	g := in.all()[0]
	if g.MessageID != reply || g.Conversation != news {
		t.Fatalf("handed %+v, want %s in the thread of %s", g, reply, news)
	}
	_, err := l.Send(testContext(t), bot.Outgoing{
		Ticket: bot.Ticket{ID: 3, Private: true, Customer: g.Customer}, Conversation: g.Conversation, Text: "We wrote to you.", Key: "k",
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Replies(); len(r) != 1 || r[0].InReplyToID != news || r[0].Status != "@ria We wrote to you." || r[0].Visibility != "direct" {
		t.Errorf("posted %+v, want a direct reply to %s mentioning @ria", r, news)
	}
}

// When the thread cannot be read for good the post is not lost: the
// status it replies to stands for the thread.
func TestThreadThatCannotBeReadFallsBack(t *testing.T) {
	t.Run("404", func(t *testing.T) {
		s := instance(t)
		root := s.Mention("pia@other.example", "my order never came")
		answer := s.Post("acme", "@pia@other.example sorry", mastodonsim.InReplyTo(root))
		follow := s.Mention("pia@other.example", "still nothing", mastodonsim.InReplyTo(answer))
		s.FailNext(mastodonsim.RouteContext, 1, http.StatusNotFound, 0)
		l, st := listener(t, s, nil)
		in := &inbox{}
		run(t, l, in)
		waitFor(t, s, "both posts", func() bool { return len(in.all()) == 2 })
		if g := in.all()[1]; g.MessageID != follow || g.Conversation != answer {
			t.Errorf("handed %+v, want %s in the conversation of %s, the post it answers", g, follow, answer)
		}
		if st.is(false) {
			t.Errorf("a thread not found was told as Mastodon failing: %+v", st.list)
		}
	})
	t.Run("root deleted", func(t *testing.T) {
		s := instance(t)
		root := s.Mention("pia@other.example", "my order never came")
		answer := s.Post("acme", "@pia@other.example sorry", mastodonsim.InReplyTo(root))
		l, _ := listener(t, s, nil)
		in := &inbox{}
		run(t, l, in)
		waitFor(t, s, "the first post", func() bool { return len(in.all()) == 1 })
		s.Delete(root)
		follow := s.Mention("pia@other.example", "I deleted my post but still nothing", mastodonsim.InReplyTo(answer))
		waitFor(t, s, "the follow-up", func() bool { return len(in.all()) == 2 })
		if g := in.all()[1]; g.MessageID != follow || g.Conversation != root {
			t.Errorf("handed %+v, want %s in the conversation of the deleted root %s", g, follow, root)
		}
		if n := s.Calls(mastodonsim.RouteContext); n != 1 {
			t.Errorf("the thread was asked for %d times, want once", n)
		}
	})
}

// A thread that cannot be read for now (5xx) leaves the post, and the
// ones after it, for the next poll: nothing is lost and the order holds.
func TestThreadFailingForNowLeavesThePost(t *testing.T) {
	s := instance(t)
	root := s.Mention("pia@other.example", "my order never came")
	answer := s.Post("acme", "@pia@other.example sorry", mastodonsim.InReplyTo(root))
	l, st := listener(t, s, nil)
	in := &inbox{}
	run(t, l, in)
	waitFor(t, s, "the first post", func() bool { return len(in.all()) == 1 })
	s.FailNext(mastodonsim.RouteContext, 2, http.StatusBadGateway, 0)
	follow := s.Mention("pia@other.example", "still nothing", mastodonsim.InReplyTo(answer))
	later := s.Mention("quinn", "a new complaint")
	waitFor(t, s, "both posts", func() bool { return len(in.all()) == 3 })
	polled(t, s, 1)
	got := in.all()
	if len(got) != 3 || got[1].MessageID != follow || got[1].Conversation != root || got[2].MessageID != later || got[2].Conversation != later {
		t.Errorf("handed %+v, want %s in %s, then %s", got, follow, root, later)
	}
	if n := s.Calls(mastodonsim.RouteContext); n != 3 {
		t.Errorf("the thread was asked for %d times, want 3 (two failures)", n)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	failed := 0
	for _, x := range st.list {
		if !x.ok {
			failed++
		}
	}
	if failed != 2 || !st.list[len(st.list)-1].ok {
		t.Errorf("states %+v, want the two failures told, then recovery", st.list)
	}
}

// A listener that starts reads back no further than MaxAge: older
// mentions are not taken, and not asked for page after page.
func TestStartReadsBackToMaxAgeOnly(t *testing.T) {
	s := instance(t)
	for range 100 {
		s.Mention("old", "from last month", mastodonsim.At(time.Now().Add(-30*24*time.Hour)))
	}
	var want []string
	for range 5 {
		want = append(want, s.Mention("new", "today"))
	}
	// One poll only: the fifth mention handed says it read all it will.
	l, _ := listener(t, s, func(o *mastodon.Options) { o.Every = time.Hour })
	in := &signalling{n: 5, done: make(chan struct{})}
	run(t, l, in)
	select {
	case <-in.done:
	case <-testContext(t).Done():
		t.Fatalf("today's mentions were not handed: %d were", len(in.all()))
	}
	for i, g := range in.all() {
		if g.MessageID != want[i] {
			t.Errorf("mention %d handed is %s, want %s (oldest first)", i, g.MessageID, want[i])
		}
	}
	if n := s.Calls(mastodonsim.RouteNotifications); n != 1 {
		t.Errorf("the notifications were read %d times, want one page: its oldest is past max_age", n)
	}
}

// signalling is an inbox that closes done when n posts were handed.
type signalling struct {
	inbox
	n    int
	done chan struct{}
}

func (b *signalling) Receive(ctx context.Context, in bot.Inbound) error {
	err := b.inbox.Receive(ctx, in)
	if len(b.all()) == b.n {
		close(b.done)
	}
	return err
}
