package telegram_test

import (
	"strings"
	"testing"
	"time"

	"caredesk/adapters/telegram"
	"caredesk/bot"
	"caredesk/sim/telegramsim"
)

func eventIDs(ins []bot.Inbound) []string {
	var ids []string
	for _, in := range ins {
		ids = append(ids, in.EventID)
	}
	return ids
}

// TestPollStoresEachChatInOrderThenConfirms: a chat's updates are stored
// in order (different chats' side by side, to share commits), and
// confirmed only once stored.
func TestPollStoresEachChatInOrderThenConfirms(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{})
	rec := newRecorder()
	a := s.CustomerWrites(42, jane, "my parcel is late")
	b := s.CustomerWrites(43, telegramsim.User{FirstName: "Bob"}, "wrong size")
	a2 := s.CustomerWrites(42, jane, "it was a gift")
	stop := poll(t, c, rec)
	cc := s.CustomerWrites(42, jane, "order 1234")

	got := rec.waitStored(t, 4)
	var jane42 []string
	bobs := 0
	for _, in := range got {
		switch in.Conversation {
		case "42":
			jane42 = append(jane42, in.EventID)
		case "43":
			bobs++
			if in.EventID != itoa(b) || in.Customer.Name != "Bob" {
				t.Errorf("Bob's update stored as %+v", in)
			}
		}
	}
	if want := []string{itoa(a), itoa(a2), itoa(cc)}; strings.Join(jane42, " ") != strings.Join(want, " ") || bobs != 1 {
		t.Fatalf("stored chat 42 as %v and %d of chat 43, want %v in order and Bob's once", jane42, bobs, want)
	}
	// The next getUpdates confirms them: Telegram will never send them again.
	waitSim(t, s, "the updates confirmed", func() bool { return s.Offset() > cc })
	if s.Pending() != 0 {
		t.Errorf("%d updates still pending after they were stored", s.Pending())
	}
	stop()
	if s.Calls("deleteWebhook") != 0 {
		t.Errorf("deleteWebhook called without a webhook set")
	}
}

func TestPollRedeliversAnUpdateTheStoreMissed(t *testing.T) {
	s := startSim(t)
	c, logs := newClient(t, s, telegram.Options{})
	rec := newRecorder()
	a := s.CustomerWrites(42, jane, "one")
	b := s.CustomerWrites(42, jane, "two")
	cc := s.CustomerWrites(42, jane, "three")
	rec.failOnce(itoa(b), errStore)
	poll(t, c, rec)

	got := rec.waitStored(t, 3)
	if want := []string{itoa(a), itoa(b), itoa(cc)}; strings.Join(eventIDs(got), " ") != strings.Join(want, " ") {
		t.Fatalf("stored %v, want %v: nothing skipped, nothing out of order", eventIDs(got), want)
	}
	if rec.tries(itoa(a)) != 1 || rec.tries(itoa(b)) != 2 || rec.tries(itoa(cc)) != 1 {
		t.Errorf("tries %d %d %d, want 1 2 1: only the failed one comes again", rec.tries(itoa(a)), rec.tries(itoa(b)), rec.tries(itoa(cc)))
	}
	waitSim(t, s, "all confirmed", func() bool { return s.Offset() > cc })
	if !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
}

func TestPollAcknowledgesUpdatesThatAreNoComplaint(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{})
	rec := newRecorder()
	s.Push(map[string]any{"callback_query": map[string]any{"id": "1", "from": jane, "chat_instance": "x", "data": "claim"}})
	s.Push(map[string]any{"message": message(9, map[string]any{"text": "buy now", "from": map[string]any{"id": 99, "is_bot": true, "first_name": "Spam"}})})
	last := s.CustomerWrites(42, jane, "hello")
	poll(t, c, rec)

	rec.waitStored(t, 1)
	waitSim(t, s, "all confirmed", func() bool { return s.Offset() > last })
	if got := rec.got(); len(got) != 1 || got[0].EventID != itoa(last) {
		t.Errorf("stored %+v, want only the customer's message", got)
	}
}

func TestPollDeletesAWebhookFirst(t *testing.T) {
	s := startSim(t)
	// The port is closed: the simulator could not push there, and nothing
	// is queued while the webhook is set anyway.
	hooked, _ := newClient(t, s, telegram.Options{WebhookURL: "http://127.0.0.1:9/telegram/webhook", WebhookSecret: secret})
	if err := hooked.SetWebhook(testContext(t)); err != nil {
		t.Fatal(err)
	}
	c, logs := newClient(t, s, telegram.Options{})
	rec := newRecorder()
	poll(t, c, rec)
	waitSim(t, s, "the webhook deleted", func() bool { return s.WebhookURL() == "" })
	id := s.CustomerWrites(42, jane, "hello")
	if got := rec.waitStored(t, 1); got[0].EventID != itoa(id) {
		t.Errorf("stored %+v", got)
	}
	if s.Calls("deleteWebhook") != 1 {
		t.Errorf("deleteWebhook called %d times, want 1", s.Calls("deleteWebhook"))
	}
	if !strings.Contains(logs.String(), "deleting the bot's webhook") {
		t.Errorf("deleting the webhook is not logged:\n%s", logs)
	}
}

func TestPollWaitsOutTheLongPollTimeout(t *testing.T) {
	s := startSim(t)
	c, logs := newClient(t, s, telegram.Options{}) // PollTimeout 1s
	poll(t, c, newRecorder())
	// A second getUpdates comes only after the first ended empty at its
	// timeout; a failing poll would have logged a warning.
	waitSim(t, s, "a second long poll", func() bool { return s.Calls("getUpdates") >= 2 && s.Polling() == 1 })
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("an empty long poll was treated as a failure:\n%s", logs)
	}
}

func TestPollStopsWhenItsContextEnds(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{PollTimeout: 50 * time.Second})
	stop := poll(t, c, newRecorder())
	waitSim(t, s, "the long poll", func() bool { return s.Polling() == 1 })
	stop() // fails the test unless Poll returns nil
	waitSim(t, s, "the long poll abandoned", func() bool { return s.Polling() == 0 })
}

func TestCloseEndsPoll(t *testing.T) {
	s := startSim(t)
	c, _ := newClient(t, s, telegram.Options{PollTimeout: 50 * time.Second})
	done := make(chan error, 1)
	go func() { done <- c.Poll(testContext(t), newRecorder()) }()
	waitSim(t, s, "the long poll", func() bool { return s.Polling() == 1 })
	_ = c.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Poll after Close = %v, want nil", err)
		}
	case <-testContext(t).Done():
		t.Fatal("Poll did not return after Close")
	}
}

func TestPollSurvivesAnOutageWithoutLeakingTheToken(t *testing.T) {
	s := startSim(t)
	c, logs := newClient(t, s, telegram.Options{})
	rec := newRecorder()
	poll(t, c, rec)
	waitSim(t, s, "the long poll", func() bool { return s.Polling() == 1 })
	s.SetDown(true)
	// The poll in flight still brings this one; the next ones meet the outage.
	a := s.CustomerWrites(42, jane, "hello?")
	rec.waitStored(t, 1)
	logs.waitFor(t, "502 Bad Gateway", 3) // it keeps trying, and says why
	s.SetDown(false)
	b := s.CustomerWrites(42, jane, "are you there?")
	got := rec.waitStored(t, 2)
	if got[0].EventID != itoa(a) || got[1].EventID != itoa(b) || rec.tries(itoa(a)) != 1 {
		t.Errorf("stored %v, tries of the first %d; want each once", eventIDs(got), rec.tries(itoa(a)))
	}
	if !strings.Contains(logs.String(), "could not get updates from Telegram") {
		t.Errorf("the failed polls are not logged:\n%s", logs)
	}
	logs.assertNoToken(t)
}

func TestPollExplainsAConflict(t *testing.T) {
	s := startSim(t)
	c, logs := newClient(t, s, telegram.Options{})
	s.FailNext("getUpdates", 1, 409, 0)
	rec := newRecorder()
	poll(t, c, rec)
	s.CustomerWrites(42, jane, "hello")
	rec.waitStored(t, 1)
	if !strings.Contains(logs.String(), "stop the other program or caredesk instance using this TELEGRAM_BOT_TOKEN") {
		t.Errorf("a 409 is not explained:\n%s", logs)
	}
}

func TestPollLogsNetworkErrorsWithoutTheToken(t *testing.T) {
	s := startSim(t)
	c, logs := newClient(t, s, telegram.Options{})
	s.Close() // connection refused from now on; the error names the URL
	poll(t, c, newRecorder())
	logs.waitFor(t, "could not", 2)
	if !strings.Contains(logs.String(), "<token>") {
		t.Errorf("expected the redacted URL in the log:\n%s", logs)
	}
	logs.assertNoToken(t)
}
