package bluesky_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"caredesk/adapters/bluesky"
	"caredesk/bot"
)

func reply(conversation, text, key string) bot.Outgoing {
	return bot.Outgoing{Ticket: bot.Ticket{ID: 12, Language: "tr", Customer: bot.Customer{Handle: "ayse.bsky.social"}}, Conversation: conversation, ReplyTo: conversation, Text: text, Key: key, MessageID: 7}
}

func TestSendReplyRefs(t *testing.T) {
	f := setup(t, nil)
	root := f.net.Mention("ayse.bsky.social", "my card is blocked")
	brandAnswer := f.net.Reply(brand, root, "we are looking")
	followUp := f.net.Reply("ayse.bsky.social", brandAnswer, "still blocked")
	for _, tc := range []struct {
		name, conversation, replyTo, to, wantRoot string
	}{
		{"a top-level post: the root is the parent", root, root, root, root},
		{"a reply in a thread: the thread's root", followUp, followUp, followUp, root},
		{"the customer's latest post of the ticket", root, followUp, followUp, root},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.net.BrandPosts())
			m := reply(tc.conversation, "Sorry, Ayşe: unblocked now.", "caredesk-"+tc.name)
			m.ReplyTo = tc.replyTo
			ref, err := f.l.Send(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			posts := f.net.BrandPosts()
			if len(posts) != before+1 {
				t.Fatalf("the brand made %d posts, want 1", len(posts)-before)
			}
			p := posts[len(posts)-1]
			if ref != p.URI || p.Text != "Sorry, Ayşe: unblocked now." {
				t.Errorf("Send = %q and posted %q %q", ref, p.URI, p.Text)
			}
			if p.Parent == nil || p.Parent.URI != tc.to || p.Root == nil || p.Root.URI != tc.wantRoot {
				t.Fatalf("reply refs: root %+v parent %+v, want root %s parent %s", p.Root, p.Parent, tc.wantRoot, tc.to)
			}
			if p.Parent.CID == "" || p.Root.CID == "" {
				t.Errorf("reply refs without CIDs: %+v %+v", p.Root, p.Parent)
			}
			if len(p.Langs) != 1 || p.Langs[0] != "tr" {
				t.Errorf("langs = %v, want the ticket's [tr]", p.Langs)
			}
		})
	}
}

func TestRetriedSendPostsOnce(t *testing.T) {
	f := setup(t, nil)
	post := f.net.Mention("ayse.bsky.social", "hello?")
	m := reply(post, "Hello! How can we help?", "caredesk-41")
	first, err := f.l.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.l.Send(context.Background(), m) // the answer was lost, say
	if err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if n := len(f.net.BrandPosts()); n != 1 || again != first {
		t.Errorf("the brand posted %d times (refs %q, %q), want once with one ref", n, first, again)
	}
	other, err := f.l.Send(context.Background(), reply(post, "And another thing.", "caredesk-42"))
	if err != nil || other == first || len(f.net.BrandPosts()) != 2 {
		t.Errorf("another reply to the same post: %q, %v, %d posts; want a second post", other, err, len(f.net.BrandPosts()))
	}
}

func TestLongReplyBecomesThread(t *testing.T) {
	f := setup(t, nil)
	post := f.net.Mention("ayse.bsky.social", "what happened?")
	text := strings.Repeat("Ödeme sisteminde bir arıza vardı. ", 20) // about 680 runes
	ref, err := f.l.Send(context.Background(), reply(post, text, "caredesk-9"))
	if err != nil {
		t.Fatal(err)
	}
	posts := f.net.BrandPosts()
	if len(posts) != 3 {
		t.Fatalf("the brand made %d posts, want a thread of 3", len(posts))
	}
	parent, joined := post, ""
	for i, p := range posts {
		if n := utf8.RuneCountInString(p.Text); n > 300 {
			t.Errorf("piece %d is %d characters long", i, n)
		}
		if p.Root.URI != post || p.Parent.URI != parent {
			t.Errorf("piece %d: root %s parent %s, want root %s parent %s", i, p.Root.URI, p.Parent.URI, post, parent)
		}
		parent, joined = p.URI, joined+p.Text+" "
	}
	if ref != posts[0].URI || strings.Join(strings.Fields(joined), " ") != strings.TrimSpace(text) {
		t.Errorf("ref %q, text %q", ref, joined)
	}
	if _, err := f.l.Send(context.Background(), reply(post, text, "caredesk-9")); err != nil || len(f.net.BrandPosts()) != 3 {
		t.Errorf("retrying the thread: %v, %d posts, want still 3", err, len(f.net.BrandPosts()))
	}
}

func TestSendToDeletedPost(t *testing.T) {
	f := setup(t, nil)
	post := f.net.Mention("ayse.bsky.social", "never mind")
	f.net.Delete(post)
	_, err := f.l.Send(context.Background(), reply(post, "Hello!", "caredesk-1"))
	if !bot.IsPermanent(err) || err.Error() != "the customer's Bluesky post was deleted, so the reply cannot be attached to it: write to @ayse.bsky.social in a new post if it still needs an answer" {
		t.Errorf("Send = %v, want a permanent error saying the post was deleted", err)
	}
	if n := len(f.net.BrandPosts()); n != 0 {
		t.Errorf("the brand posted %d times", n)
	}
}

func TestExpiredTokenRefreshed(t *testing.T) {
	f := setup(t, nil)
	f.net.Mention("ayse.bsky.social", "one")
	f.mustPoll(t)
	f.net.ExpireSessions()
	second := f.net.Mention("ayse.bsky.social", "two")
	if got := f.mustPoll(t); len(got) != 1 || got[0].MessageID != second {
		t.Errorf("after the token expired the poll handed %v, want the new mention", uris(got))
	}
	f.net.ExpireSessions()
	if _, err := f.l.Send(context.Background(), reply(second, "Hi!", "caredesk-2")); err != nil {
		t.Errorf("Send after the token expired: %v", err)
	}
	if n, r := f.net.Calls("com.atproto.server.createSession"), f.net.Calls("com.atproto.server.refreshSession"); n != 1 || r != 2 {
		t.Errorf("logged in %d times and refreshed %d times, want once and twice", n, r)
	}
}

func TestBadAppPassword(t *testing.T) {
	f := setup(t, func(o *bluesky.Options) { o.Every = time.Millisecond })
	f.net.RevokePassword()
	s, _ := f.poll(t)
	want := "Bluesky refused the app password of source acme: create one under Settings → Privacy and security → App passwords"
	if s.ok || s.reason != want {
		t.Fatalf("OnState(%v, %q), want (false, %q)", s.ok, s.reason, want)
	}
	// The listener tries again, and works once the owner made a new password.
	f.net.RestorePassword(password)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.l.Run(ctx, f.inbox) }()
	for ok := false; !ok; {
		select {
		case s := <-f.states:
			ok = s.ok
		case <-ctx.Done():
			t.Fatal("the listener did not work again with the new app password")
		}
	}
	cancel()
	<-done
}

func TestRateLimit(t *testing.T) {
	f := setup(t, nil)
	post := f.net.Mention("ayse.bsky.social", "hello?")
	f.net.Throttle("com.atproto.repo.createRecord", 1, time.Now().Add(90*time.Second))
	_, err := f.l.Send(context.Background(), reply(post, "Hello!", "caredesk-3"))
	var de *bot.DeliveryError
	if !errors.As(err, &de) || de.RetryAfter < 80*time.Second || de.RetryAfter > 91*time.Second {
		t.Errorf("Send = %v (%+v), want a RetryAfter of about 90 s, Bluesky's RateLimit-Reset", err, de)
	}
	if n := len(f.net.BrandPosts()); n != 0 {
		t.Errorf("the brand posted %d times", n)
	}
	s, _ := f.poll(t) // the host is paused: the poll waits too
	if s.ok || !strings.Contains(s.reason, "slow down") {
		t.Errorf("OnState(%v, %q), want a failure saying Bluesky asked to slow down", s.ok, s.reason)
	}
}

func TestSendRefusedRecord(t *testing.T) {
	f := setup(t, nil)
	post := f.net.Mention("ayse.bsky.social", "hello?")
	f.net.FailNext("com.atproto.repo.createRecord", 1, http.StatusBadGateway)
	if _, err := f.l.Send(context.Background(), reply(post, "Hello!", "caredesk-4")); err == nil || bot.IsPermanent(err) {
		t.Errorf("Send after a 502 = %v, want a temporary error", err)
	}
	if _, err := f.l.Send(context.Background(), reply(post, "Hello!", "caredesk-4")); err != nil || len(f.net.BrandPosts()) != 1 {
		t.Errorf("the retry: %v, %d posts, want one", err, len(f.net.BrandPosts()))
	}
	if _, err := f.l.Send(context.Background(), reply(post, "  ", "caredesk-5")); !bot.IsPermanent(err) {
		t.Errorf("an empty reply: %v, want a permanent error", err)
	}
}

func TestDirectMessages(t *testing.T) {
	f := setup(t, nil)
	f.net.SetProfile("ayse.bsky.social", "Ayşe", 40)
	id := f.net.DM("ayse.bsky.social", "my IBAN is private, so here: my card is blocked")
	got := f.mustPoll(t)
	if len(got) != 1 {
		t.Fatalf("handed %d messages, want the direct message", len(got))
	}
	in := got[0]
	if in.MessageID != id || !in.Private || !strings.HasPrefix(in.Conversation, "dm:") || in.Text != "my IBAN is private, so here: my card is blocked" ||
		in.Customer.Handle != "ayse.bsky.social" || in.Customer.Name != "Ayşe" || in.Customer.Followers != 40 || in.PostURL != "" || in.PostKey != "" {
		t.Errorf("Inbound = %+v", in)
	}
	if got := f.mustPoll(t); len(got) != 0 {
		t.Errorf("the next poll handed %d messages again", len(got))
	}
	if _, err := f.l.Send(context.Background(), reply(in.Conversation, "We unblocked it.", "caredesk-60")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.Send(context.Background(), reply(in.Conversation, "We unblocked it.", "caredesk-60")); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	msgs := f.net.Messages("ayse.bsky.social")
	if len(msgs) != 2 || msgs[1].Text != "We unblocked it." || msgs[1].Sender != f.net.Brand().DID {
		t.Errorf("the conversation holds %+v, want the customer's message and one reply", msgs)
	}
}

func TestOpenPrivate(t *testing.T) {
	f := setup(t, nil)
	post := f.net.Mention("ayse.bsky.social", "my card is blocked")
	in := f.mustPoll(t)[0]
	ticket := bot.Ticket{ID: 3, Customer: in.Customer, Conversation: post}
	dm, err := f.l.OpenPrivate(context.Background(), ticket)
	if err != nil || !strings.HasPrefix(dm, "dm:") {
		t.Fatalf("OpenPrivate = %q, %v", dm, err)
	}
	if _, err := f.l.Send(context.Background(), reply(dm, "Hello from Acme, in private.", "caredesk-70")); err != nil {
		t.Fatal(err)
	}
	f.net.DM("ayse.bsky.social", "thanks")
	if got := f.mustPoll(t); len(got) != 1 || got[0].Conversation != dm || got[0].Text != "thanks" {
		t.Errorf("the customer's answer came as %+v, want it in %s", got, dm)
	}
	if msgs := f.net.Messages("ayse.bsky.social"); len(msgs) != 2 {
		t.Errorf("the conversation holds %+v", msgs)
	}
	if n := len(f.net.BrandPosts()); n != 0 {
		t.Errorf("the brand posted %d public posts, want none", n)
	}
}

func TestNoDMScope(t *testing.T) {
	f := setup(t, nil)
	f.net.DenyDMs(true)
	post := f.net.Mention("ayse.bsky.social", "my card is blocked")
	got := f.mustPoll(t) // mentions still work
	if len(got) != 1 || got[0].MessageID != post {
		t.Fatalf("handed %v, want the mention", uris(got))
	}
	_, err := f.l.OpenPrivate(context.Background(), bot.Ticket{ID: 3, Customer: got[0].Customer, Conversation: post})
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), `does not allow direct messages: create one with "Allow access to your direct messages" ticked`) {
		t.Errorf("OpenPrivate = %v, want a permanent error saying the app password lacks direct messages", err)
	}
}

func TestCheck(t *testing.T) {
	f := setup(t, nil)
	if err := f.l.Check(context.Background()); err != nil {
		t.Errorf("Check: %v", err)
	}
	f.net.RevokePassword()
	err := f.l.Check(context.Background())
	if err == nil || err.Error() != "Bluesky refused the app password of source acme: create one under Settings → Privacy and security → App passwords" {
		t.Errorf("Check with a revoked app password: %v", err)
	}
}

func TestRecordKeyTakenByAnotherReply(t *testing.T) {
	f := setup(t, nil)
	post := f.net.Mention("ayse.bsky.social", "hello?")
	if _, err := f.l.Send(context.Background(), reply(post, "First answer.", "caredesk-80")); err != nil {
		t.Fatal(err)
	}
	// A key whose record holds other words is not this reply's: it is
	// posted under a key the PDS picks, rather than taken as sent.
	if _, err := f.l.Send(context.Background(), reply(post, "Other words.", "caredesk-80")); err != nil {
		t.Fatal(err)
	}
	posts := f.net.BrandPosts()
	if len(posts) != 2 || posts[1].Text != "Other words." || posts[1].RKey == posts[0].RKey {
		t.Errorf("the brand posted %+v, want both replies under two keys", posts)
	}
}
