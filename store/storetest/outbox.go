package storetest

import (
	"slices"
	"testing"
	"time"

	"caredesk/bot"
)

func checkDelivery(t *testing.T, got, want bot.Delivery) {
	t.Helper()
	ok := checkTime(t, "NextAt", got.NextAt, want.NextAt)
	ok = checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt) && ok
	got.NextAt, got.CreatedAt, want.NextAt, want.CreatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("delivery\n got %+v\nwant %+v", got, want)
	} else if !ok {
		t.Errorf("delivery %d: times differ (above)", got.ID)
	}
}

func enqueue(t *testing.T, s bot.Store, ds ...*bot.Delivery) {
	t.Helper()
	update(t, s, func(tx bot.Tx) error {
		for _, d := range ds {
			if err := tx.Enqueue(d); err != nil {
				return err
			}
		}
		return nil
	})
}

// someday is later than any delivery of these tests is due.
var someday = t0.AddDate(10, 0, 0)

// checkNext fails unless want is the delivery of destination that
// NextDelivery hands out at now; a zero want means none is due.
func checkNext(t *testing.T, s bot.Store, destination string, now time.Time, want bot.Delivery) {
	t.Helper()
	view(t, s, func(tx bot.Tx) error {
		got, ok, err := tx.NextDelivery(destination, now)
		switch {
		case err != nil:
			return err
		case ok != (want.ID != 0):
			t.Errorf("NextDelivery(%q, now%+v) = %+v, %v; want %+v", destination, now.Sub(t0), got, ok, want)
		case ok:
			checkDelivery(t, got, want)
		}
		return nil
	})
}

func finish(t *testing.T, s bot.Store, id int64) {
	t.Helper()
	update(t, s, func(tx bot.Tx) error { return tx.FinishDelivery(id) })
}

func testDeliveryRoundTrip(t *testing.T, s bot.Store) {
	tests := []struct {
		name     string
		delivery bot.Delivery
	}{
		{"every field set", bot.Delivery{
			Destination: "telegram:100200300", Job: bot.SendReply, TicketID: 7, MessageID: 12,
			Agent: "U123", Source: "telegram", Conversation: "100200300", Text: "Merhaba!",
			Attempts: 4, NextAt: t0.Add(time.Minute), CreatedAt: t0, LastError: "502 Bad Gateway",
		}},
		{"zero times", bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.delivery
			enqueue(t, s, &d)
			if d.ID == 0 {
				t.Fatal("Enqueue left ID 0")
			}
			checkNext(t, s, d.Destination, someday, d)
		})
	}
}

func testOutboxFIFO(t *testing.T, s bot.Store) {
	desk := []bot.Delivery{
		{Destination: "desk", Job: bot.PostTicket, TicketID: 1},
		{Destination: "desk", Job: bot.PostMessage, TicketID: 1, MessageID: 1},
		{Destination: "desk", Job: bot.UpdateTicket, TicketID: 1},
	}
	reply := bot.Delivery{Destination: "telegram:1", Job: bot.SendReply, TicketID: 1, MessageID: 2}
	enqueue(t, s, &desk[0], &reply)
	enqueue(t, s, &desk[1], &desk[2])
	if !(desk[0].ID < reply.ID && reply.ID < desk[1].ID && desk[1].ID < desk[2].ID) {
		t.Errorf("ids %d, %d, %d, %d: want them rising in the order queued", desk[0].ID, reply.ID, desk[1].ID, desk[2].ID)
	}
	for _, d := range desk {
		checkNext(t, s, "desk", t0, d)
		checkNext(t, s, "telegram:1", t0, reply)
		finish(t, s, d.ID)
	}
	checkNext(t, s, "desk", t0, bot.Delivery{})
	checkNext(t, s, "telegram:1", t0, reply)
	view(t, s, func(tx bot.Tx) error {
		_, ok, err := tx.NextDelivery("telegram:2", t0)
		if ok || err != nil {
			t.Errorf("NextDelivery of a destination never used: ok %v, error %v", ok, err)
		}
		return nil
	})
}

// testDueDestinations: deliveries of no ticket are one lane, so here each
// destination is one ordered queue (testOutboxLanes divides them).
func testDueDestinations(t *testing.T, s bot.Store) {
	now := t0
	ds := []bot.Delivery{
		{Destination: "desk", Job: bot.PostTicket},                                    // due: zero NextAt
		{Destination: "telegram:1", Job: bot.SendReply, NextAt: now.Add(time.Minute)}, // backing off
		{Destination: "telegram:1", Job: bot.SendReply},                               // due, but behind its head
		{Destination: "telegram:2", Job: bot.SendReply, NextAt: now},                  // due at exactly now
		{Destination: "desk", Job: bot.PostMessage},                                   // due, behind desk's head
		{Destination: "telegram:3", Job: bot.SendGreeting, NextAt: now.Add(-time.Hour)},
		{Destination: "desk:aside", Job: bot.Whisper, NextAt: now.Add(time.Hour)},
	}
	for i := range ds {
		enqueue(t, s, &ds[i])
	}
	check := func(step string, now time.Time, limit int, want []string) {
		t.Helper()
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.DueDestinations(now, limit)
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: DueDestinations(now%+v, %d) = %q, want %q", step, now.Sub(t0), limit, got, want)
			}
			return nil
		})
	}

	tests := []struct {
		now   time.Time
		limit int
		want  []string
	}{
		{now, 10, []string{"desk", "telegram:2", "telegram:3"}},
		{now, 2, []string{"desk", "telegram:2"}},
		{now.Add(-2 * time.Hour), 10, []string{"desk"}},
		{now.Add(time.Minute), 10, []string{"desk", "telegram:1", "telegram:2", "telegram:3"}},
		{now.Add(2 * time.Hour), 10, []string{"desk", "telegram:1", "telegram:2", "telegram:3", "desk:aside"}},
	}
	for _, tt := range tests {
		check("queued", tt.now, tt.limit, tt.want)
	}

	// desk's head leaves: its next item is younger than telegram:2's head.
	finish(t, s, ds[0].ID)
	check("desk's head delivered", now, 10, []string{"telegram:2", "desk", "telegram:3"})

	// telegram:2's only item fails and backs off; the others do not wait.
	update(t, s, func(tx bot.Tx) error { return tx.PostponeDelivery(ds[3].ID, 1, now.Add(time.Second), "timeout") })
	check("telegram:2 postponed", now, 10, []string{"desk", "telegram:3"})
	check("telegram:2 postponed", now.Add(time.Second), 10, []string{"telegram:2", "desk", "telegram:3"})

	// Postponing an item behind the head changes nothing until it is the
	// head.
	update(t, s, func(tx bot.Tx) error { return tx.PostponeDelivery(ds[2].ID, 1, now.Add(2*time.Hour), "timeout") })
	check("telegram:1's second postponed", now.Add(time.Minute), 10, []string{"telegram:1", "telegram:2", "desk", "telegram:3"})
	finish(t, s, ds[1].ID)
	check("telegram:1's head delivered", now.Add(time.Minute), 10, []string{"telegram:2", "desk", "telegram:3"})
	check("telegram:1's head delivered", now.Add(2*time.Hour), 10, []string{"telegram:1", "telegram:2", "desk", "telegram:3", "desk:aside"})

	// An item leaving from behind the head leaves the head where it is.
	more := []bot.Delivery{
		{Destination: "desk", Job: bot.UpdateTicket},
		{Destination: "desk", Job: bot.UpdateTicket, NextAt: now.Add(time.Hour)},
		{Destination: "desk", Job: bot.UpdateTicket},
	}
	enqueue(t, s, &more[0], &more[1], &more[2])
	finish(t, s, more[0].ID)
	checkNext(t, s, "desk", now, ds[4])
	check("desk's second delivered", now, 10, []string{"desk", "telegram:3"})

	// When the head leaves, the next in line is the head, not any due item.
	finish(t, s, ds[4].ID)
	checkNext(t, s, "desk", now, bot.Delivery{})
	checkNext(t, s, "desk", now.Add(time.Hour), more[1])
	check("desk's head delivered again", now, 10, []string{"telegram:3"})
	check("desk's head delivered again", now.Add(time.Hour), 10, []string{"telegram:2", "telegram:3", "desk:aside", "desk"})
}

// checkDue fails unless DueDestinations(now, 10) is want.
func checkDue(t *testing.T, s bot.Store, step string, now time.Time, want ...string) {
	t.Helper()
	view(t, s, func(tx bot.Tx) error {
		got, err := tx.DueDestinations(now, 10)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: DueDestinations(now%+v) = %q, want %q", step, now.Sub(t0), got, want)
		}
		return nil
	})
}

// testOutboxLanes: a destination's deliveries of one ticket are a lane. A
// ticket whose root fails again and again holds back its own thread posts,
// never the other tickets of its desk.
func testOutboxLanes(t *testing.T, s bot.Store) {
	now := t0
	root1 := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 1, NextAt: now}
	root2 := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 2, NextAt: now}
	post1 := bot.Delivery{Destination: "desk", Job: bot.PostMessage, TicketID: 1, MessageID: 1, NextAt: now}
	announce := bot.Delivery{Destination: "desk", Job: bot.Announce, Text: "Shift change", NextAt: now}
	root3 := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 3, NextAt: now}
	update1 := bot.Delivery{Destination: "desk", Job: bot.UpdateTicket, TicketID: 1, NextAt: now}
	announce2 := bot.Delivery{Destination: "desk", Job: bot.Announce, Text: "Rota change", NextAt: now}
	enqueue(t, s, &root1, &root2, &post1, &announce, &root3, &update1, &announce2)

	checkNext(t, s, "desk", now, root1)
	update(t, s, func(tx bot.Tx) error { return tx.PostponeDelivery(root1.ID, 1, now.Add(time.Minute), "503") })
	root1.Attempts, root1.NextAt, root1.LastError = 1, now.Add(time.Minute), "503"

	// Ticket 1 waits, its thread post behind its root; ticket 2 passes.
	checkDue(t, s, "ticket 1's root backs off", now, "desk")
	checkNext(t, s, "desk", now, root2)
	finish(t, s, root2.ID)
	// Not post1: its root has not left.
	checkNext(t, s, "desk", now, announce)
	update(t, s, func(tx bot.Tx) error { return tx.PostponeDelivery(announce.ID, 1, now.Add(2*time.Minute), "503") })
	announce.Attempts, announce.NextAt, announce.LastError = 1, now.Add(2*time.Minute), "503"
	// Announcements keep their order among themselves.
	checkNext(t, s, "desk", now, root3)
	finish(t, s, root3.ID)
	checkNext(t, s, "desk", now, bot.Delivery{})
	checkDue(t, s, "only waiting lanes left", now)

	// A minute later ticket 1 goes on in its order: root, post, update.
	later := now.Add(time.Minute)
	checkDue(t, s, "ticket 1's root due again", later, "desk")
	for _, d := range []bot.Delivery{root1, post1, update1} {
		checkNext(t, s, "desk", later, d)
		finish(t, s, d.ID)
	}
	checkNext(t, s, "desk", later, bot.Delivery{})
	checkNext(t, s, "desk", later.Add(time.Minute), announce)
	finish(t, s, announce.ID)
	checkNext(t, s, "desk", later, announce2)
	finish(t, s, announce2.ID)
	checkDue(t, s, "empty", someday)

	// The same ticket on another destination is another lane.
	whisper := bot.Delivery{Destination: "desk:aside", Job: bot.Whisper, TicketID: 1, NextAt: now.Add(time.Hour)}
	reply := bot.Delivery{Destination: "telegram:1", Job: bot.SendReply, TicketID: 1, NextAt: now}
	enqueue(t, s, &whisper, &reply)
	checkDue(t, s, "ticket 1 elsewhere", now, "telegram:1")
	checkNext(t, s, "telegram:1", now, reply)
}

// testPauseDestination: a pause holds back every lane of one destination
// (the desk's rate limit is the channel's), and no other destination.
func testPauseDestination(t *testing.T, s bot.Store) {
	now := t0
	root1 := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 1, NextAt: now}
	root2 := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 2, NextAt: now}
	reply := bot.Delivery{Destination: "telegram:1", Job: bot.SendReply, TicketID: 1, NextAt: now}
	enqueue(t, s, &root1, &root2, &reply)

	pause := func(dest string, until time.Time) {
		t.Helper()
		update(t, s, func(tx bot.Tx) error { return tx.PauseDestination(dest, until) })
	}
	pause("desk", now.Add(30*time.Second))
	checkDue(t, s, "desk paused", now, "telegram:1")
	checkNext(t, s, "desk", now, bot.Delivery{})
	checkNext(t, s, "telegram:1", now, reply)
	checkDue(t, s, "pause over", now.Add(30*time.Second), "desk", "telegram:1")
	checkNext(t, s, "desk", now.Add(30*time.Second), root1)

	// A later pause replaces an earlier one, shorter or longer.
	pause("desk", now.Add(10*time.Second))
	checkDue(t, s, "pause shortened", now.Add(10*time.Second), "desk", "telegram:1")
	pause("desk", now.Add(time.Hour))
	checkDue(t, s, "pause lengthened", now.Add(time.Minute), "telegram:1")

	// A destination of which nothing is left forgets its pause: it was
	// about the deliveries that left.
	finish(t, s, root1.ID)
	checkNext(t, s, "desk", now.Add(time.Hour), root2)
	finish(t, s, root2.ID)
	root3 := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 3, NextAt: now}
	enqueue(t, s, &root3)
	checkNext(t, s, "desk", now, root3)

	// Pausing a destination that has nothing queued is no error.
	pause("telegram:2", now.Add(time.Minute))
}

func testPostponeDelivery(t *testing.T, s bot.Store) {
	d := bot.Delivery{Destination: "telegram:1", Job: bot.SendReply, TicketID: 3, MessageID: 4,
		Text: "Thanks for waiting", CreatedAt: t0, NextAt: t0}
	other := bot.Delivery{Destination: "telegram:1", Job: bot.SendReply, TicketID: 3, MessageID: 5, CreatedAt: t0}
	enqueue(t, s, &d, &other)

	steps := []struct {
		attempts  int
		next      time.Time
		lastError string
	}{
		{1, t0.Add(2 * time.Second), "502 Bad Gateway"},
		{2, t0.Add(30 * time.Second), "429 Too Many Requests: retry after 30"},
		{3, time.Time{}, ""},
	}
	for _, st := range steps {
		update(t, s, func(tx bot.Tx) error { return tx.PostponeDelivery(d.ID, st.attempts, st.next, st.lastError) })
		d.Attempts, d.NextAt, d.LastError = st.attempts, st.next, st.lastError
		checkNext(t, s, "telegram:1", someday, d)
	}
	finish(t, s, d.ID)
	checkNext(t, s, "telegram:1", someday, other)
}

// testHurryDeliveries: the deliveries of a job about a message become due
// at once; others, and those due sooner, keep their time.
func testHurryDeliveries(t *testing.T, s bot.Store) {
	later := bot.Delivery{Destination: "desk", Job: bot.PostFiles, TicketID: 3, MessageID: 4, CreatedAt: t0, NextAt: t0.Add(5 * time.Minute)}
	moved := bot.Delivery{Destination: "desk:files", Job: bot.PostFiles, TicketID: 3, MessageID: 4, CreatedAt: t0, NextAt: t0.Add(time.Hour)}
	soon := bot.Delivery{Destination: "desk:aside", Job: bot.PostFiles, TicketID: 3, MessageID: 4, CreatedAt: t0, NextAt: t0.Add(time.Second)}
	otherJob := bot.Delivery{Destination: "desk:x", Job: bot.PostMessage, TicketID: 3, MessageID: 4, CreatedAt: t0, NextAt: t0.Add(time.Hour)}
	otherMessage := bot.Delivery{Destination: "desk:y", Job: bot.PostFiles, TicketID: 3, MessageID: 5, CreatedAt: t0, NextAt: t0.Add(time.Hour)}
	enqueue(t, s, &later, &moved, &soon, &otherJob, &otherMessage)
	update(t, s, func(tx bot.Tx) error { return tx.HurryDeliveries(bot.PostFiles, 4, t0.Add(2*time.Second)) })
	later.NextAt, moved.NextAt = t0.Add(2*time.Second), t0.Add(2*time.Second)
	checkNext(t, s, "desk", t0.Add(2*time.Second), later)
	checkNext(t, s, "desk:files", t0.Add(2*time.Second), moved)
	checkNext(t, s, "desk:aside", t0.Add(time.Second), soon)
	checkNext(t, s, "desk:x", someday, otherJob)
	checkNext(t, s, "desk:y", someday, otherMessage)
}

// testDeliveryIDsNotReused: Delivery.Key is built from the id, and a network
// that honours idempotency keys drops a delivery whose key it has seen.
func testDeliveryIDsNotReused(t *testing.T, s bot.Store) {
	var used []int64
	for range 3 {
		d := bot.Delivery{Destination: "webhook:twitter", Job: bot.SendReply}
		enqueue(t, s, &d)
		if slices.Contains(used, d.ID) {
			t.Fatalf("id %d handed out again after its delivery left (ids so far %v)", d.ID, used)
		}
		used = append(used, d.ID)
		finish(t, s, d.ID) // the newest leaves: an id counter that restarts from the highest row reuses it
	}
}
