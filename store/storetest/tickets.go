package storetest

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"caredesk/bot"
)

// fullTicket has every field set, each to a different value.
func fullTicket() bot.Ticket {
	return bot.Ticket{
		Source:        "telegram",
		Conversation:  "100200300",
		Customer:      bot.Customer{ID: "42", Name: "Jane Doe", Handle: "jane"},
		Text:          "My order #5512 never arrived",
		State:         bot.Claimed,
		Owner:         bot.Agent{ID: "U123", Name: "alice"},
		Handovers:     1,
		Reopens:       2,
		DeskThread:    "1741392000.000100",
		LastInbound:   "7781",
		OpenedAt:      t0,
		Deadline:      t0.Add(time.Hour),
		FirstReplyAt:  t0.Add(12 * time.Minute),
		FirstReplyBy:  bot.Agent{ID: "U777", Name: "bob"},
		ResolvedAt:    t0.Add(3 * time.Hour),
		UpdatedAt:     t0.Add(3*time.Hour + time.Microsecond),
		RatingAskedAt: t0.Add(4 * time.Hour),
		Rating:        4,
		RatedAt:       t0.Add(5*time.Hour + 7*time.Microsecond),
		Private:       true,
		TimeZone:      "Europe/Istanbul",
		Phone:         "+905551112233",
		Blocked:       true,
		Team:          "billing",
		Routed:        "words:refund",
		Channel:       "C0BILLING",
		Moves:         2,
	}
}

// bareTicket is as empty as a ticket gets: every time zero.
func bareTicket() bot.Ticket {
	return bot.Ticket{Source: "discord", Conversation: "c", Customer: bot.Customer{ID: "9"}, State: bot.Open}
}

func checkTicket(t *testing.T, got, want bot.Ticket) {
	t.Helper()
	ok := checkTime(t, "OpenedAt", got.OpenedAt, want.OpenedAt)
	ok = checkTime(t, "Deadline", got.Deadline, want.Deadline) && ok
	ok = checkTime(t, "FirstReplyAt", got.FirstReplyAt, want.FirstReplyAt) && ok
	ok = checkTime(t, "ResolvedAt", got.ResolvedAt, want.ResolvedAt) && ok
	ok = checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt) && ok
	ok = checkTime(t, "RatingAskedAt", got.RatingAskedAt, want.RatingAskedAt) && ok
	ok = checkTime(t, "RatedAt", got.RatedAt, want.RatedAt) && ok
	for _, tk := range []*bot.Ticket{&got, &want} {
		tk.OpenedAt, tk.Deadline, tk.FirstReplyAt, tk.ResolvedAt, tk.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		tk.RatingAskedAt, tk.RatedAt = time.Time{}, time.Time{}
	}
	if got != want {
		t.Errorf("ticket\n got %+v\nwant %+v", got, want)
	} else if !ok {
		t.Errorf("ticket #%d: times differ (above)", got.ID)
	}
}

func createTicket(t *testing.T, s bot.Store, tk bot.Ticket) bot.Ticket {
	t.Helper()
	update(t, s, func(tx bot.Tx) error { return tx.CreateTicket(&tk) })
	return tk
}

func loadTicket(t *testing.T, s bot.Store, id int64) bot.Ticket {
	t.Helper()
	var tk bot.Ticket
	view(t, s, func(tx bot.Tx) (err error) {
		tk, err = tx.Ticket(id)
		return err
	})
	return tk
}

func ticketIDs(ts []bot.Ticket) []int64 {
	ids := make([]int64, len(ts))
	for i, tk := range ts {
		ids[i] = tk.ID
	}
	return ids
}

func testTicketRoundTrip(t *testing.T, s bot.Store) {
	tests := []struct {
		name   string
		ticket bot.Ticket
	}{
		{"every field set", fullTicket()},
		{"zero times", bareTicket()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := tt.ticket
			update(t, s, func(tx bot.Tx) error {
				if err := tx.CreateTicket(&created); err != nil {
					return err
				}
				// The core reads what it wrote before committing.
				got, err := tx.Ticket(created.ID)
				if err != nil {
					return err
				}
				checkTicket(t, got, created)
				return nil
			})
			if created.ID == 0 {
				t.Fatal("CreateTicket left ID 0")
			}
			want := tt.ticket
			want.ID = created.ID
			checkTicket(t, loadTicket(t, s, created.ID), want)
		})
	}
}

func testSaveTicket(t *testing.T, s bot.Store) {
	tk := createTicket(t, s, fullTicket())
	other := createTicket(t, s, fullTicket2())

	// Every field changes, and every time goes from set to zero.
	changed := bareTicket()
	changed.ID = tk.ID
	update(t, s, func(tx bot.Tx) error { return tx.SaveTicket(changed) })
	checkTicket(t, loadTicket(t, s, tk.ID), changed)

	// And back from zero to set.
	update(t, s, func(tx bot.Tx) error { return tx.SaveTicket(tk) })
	checkTicket(t, loadTicket(t, s, tk.ID), tk)

	checkTicket(t, loadTicket(t, s, other.ID), other)
}

// fullTicket2 differs from fullTicket in every field but the times' presence.
func fullTicket2() bot.Ticket {
	return bot.Ticket{
		Source:       "webhook:twitter",
		Conversation: "dm-77",
		Customer:     bot.Customer{ID: "x-1", Name: "Ahmet Yılmaz", Handle: "ahmet", ProfileURL: "https://x.com/ahmet", Followers: 48_200},
		Network:      "X (Twitter)",
		PostURL:      "https://x.com/ahmet/status/1",
		Language:     "tr",
		Text:         "Kargom nerede? 📦",
		State:        bot.Resolved,
		Owner:        bot.Agent{ID: "U999"},
		Handovers:    0,
		Reopens:      1,
		DeskThread:   "1741392000.000200",
		LastInbound:  "t-55",
		OpenedAt:     t0.Add(24 * time.Hour),
		Deadline:     t0.Add(25 * time.Hour),
		FirstReplyAt: t0.Add(24*time.Hour + time.Minute),
		ResolvedAt:   t0.Add(26 * time.Hour),
		UpdatedAt:    t0.Add(26 * time.Hour),
		Team:         "Müşteri İlişkileri",
		Routed:       "language:tr",
		Channel:      "C0TR",
		Moves:        1,
	}
}

func testTicketNumbers(t *testing.T, s bot.Store) {
	var got []int64
	for range 3 {
		got = append(got, createTicket(t, s, bareTicket()).ID)
	}
	update(t, s, func(tx bot.Tx) error {
		for range 2 {
			tk := bareTicket()
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			got = append(got, tk.ID)
		}
		return nil
	})
	if want := []int64{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("ticket numbers %v, want %v", got, want)
	}
}

func testNotFound(t *testing.T, s bot.Store) {
	tk := fullTicket()
	tk.DeskThread = "T1"
	unposted := bareTicket()
	d := bot.Delivery{Destination: "desk", Job: bot.PostTicket, TicketID: 1}
	update(t, s, func(tx bot.Tx) error {
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		if err := tx.CreateTicket(&unposted); err != nil {
			return err
		}
		m := bot.Message{TicketID: tk.ID, Kind: bot.FromCustomer, Text: "hello"}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		return tx.Enqueue(&d)
	})
	missing := fullTicket()
	missing.ID = 99

	tests := []struct {
		name string
		call func(bot.Tx) error
	}{
		{"Ticket", func(tx bot.Tx) error { _, err := tx.Ticket(99); return err }},
		{"TicketByThread unknown", func(tx bot.Tx) error { _, err := tx.TicketByThread("T2"); return err }},
		// Unposted tickets have DeskThread "", which is nobody's thread.
		{"TicketByThread empty", func(tx bot.Tx) error { _, err := tx.TicketByThread(""); return err }},
		{"LatestTicket", func(tx bot.Tx) error { _, err := tx.LatestTicket("telegram", "100200300", "43"); return err }},
		{"Message", func(tx bot.Tx) error { _, err := tx.Message(99); return err }},
		{"SaveTicket", func(tx bot.Tx) error { return tx.SaveTicket(missing) }},
		{"SaveMessage", func(tx bot.Tx) error {
			return tx.SaveMessage(bot.Message{ID: 99, TicketID: tk.ID, Kind: bot.Note})
		}},
		{"FinishDelivery", func(tx bot.Tx) error { return tx.FinishDelivery(d.ID + 1) }},
		{"PostponeDelivery", func(tx bot.Tx) error { return tx.PostponeDelivery(d.ID+1, 1, t0, "timeout") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Update hands back fn's error as it is, code and all.
			wantNotFound(t, tt.name, s.Update(t.Context(), tt.call))
		})
	}

	// A destination with nothing queued is no error.
	view(t, s, func(tx bot.Tx) error {
		got, ok, err := tx.NextDelivery("telegram:1", t0)
		if err != nil || ok {
			t.Errorf("NextDelivery(empty destination) = %+v, %v, %v; want ok false, no error", got, ok, err)
		}
		return nil
	})
}

func testTicketByThread(t *testing.T, s bot.Store) {
	a := createTicket(t, s, bareTicket())
	b := fullTicket()
	b.DeskThread = "T-b"
	b = createTicket(t, s, b)
	c := createTicket(t, s, bareTicket())

	// Posting sets the thread after the ticket exists.
	c.DeskThread = "T-c"
	update(t, s, func(tx bot.Tx) error { return tx.SaveTicket(c) })

	for thread, want := range map[string]bot.Ticket{"T-b": b, "T-c": c} {
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.TicketByThread(thread)
			if err != nil {
				return fmt.Errorf("TicketByThread(%q): %w", thread, err)
			}
			checkTicket(t, got, want)
			return nil
		})
	}
	view(t, s, func(tx bot.Tx) error {
		_, err := tx.TicketByThread(a.DeskThread)
		wantNotFound(t, "TicketByThread of an unposted ticket", err)
		return nil
	})
}

func testLatestTicket(t *testing.T, s bot.Store) {
	mk := func(source, conversation, customer string, opened time.Time) bot.Ticket {
		tk := bareTicket()
		tk.Source, tk.Conversation, tk.Customer.ID, tk.OpenedAt = source, conversation, customer, opened
		return createTicket(t, s, tk)
	}
	// The older ticket claims the later time: newest means the last created.
	mk("telegram", "chat1", "cust1", t0.Add(time.Hour))
	newest := mk("telegram", "chat1", "cust1", t0)
	otherCustomer := mk("telegram", "chat1", "cust2", t0)
	otherChat := mk("telegram", "chat2", "cust1", t0)
	otherSource := mk("discord", "chat1", "cust1", t0)

	tests := []struct {
		source, conversation, customer string
		want                           int64 // 0: not found
	}{
		{"telegram", "chat1", "cust1", newest.ID},
		{"telegram", "chat1", "cust2", otherCustomer.ID},
		{"telegram", "chat2", "cust1", otherChat.ID},
		{"discord", "chat1", "cust1", otherSource.ID},
		{"telegram", "chat2", "cust2", 0},
		{"discord", "chat2", "cust1", 0},
		{"webhook:x", "chat1", "cust1", 0},
	}
	for _, tt := range tests {
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.LatestTicket(tt.source, tt.conversation, tt.customer)
			what := fmt.Sprintf("LatestTicket(%q, %q, %q)", tt.source, tt.conversation, tt.customer)
			switch {
			case tt.want == 0:
				wantNotFound(t, what, err)
			case err != nil:
				t.Errorf("%s: %v", what, err)
			case got.ID != tt.want:
				t.Errorf("%s = #%d, want #%d", what, got.ID, tt.want)
			}
			return nil
		})
	}
}

func testOpenTickets(t *testing.T, s bot.Store) {
	mk := func(state bot.State, opened time.Time) bot.Ticket {
		tk := bareTicket()
		tk.State, tk.OpenedAt = state, opened
		return createTicket(t, s, tk)
	}
	later := mk(bot.Open, t0.Add(2*time.Hour))
	mk(bot.Resolved, t0)
	claimed := mk(bot.Claimed, t0.Add(time.Hour))
	sameTime := mk(bot.Open, t0.Add(time.Hour)) // ties with claimed: by number
	mk(bot.Resolved, t0.Add(3*time.Hour))
	resolvedLater := mk(bot.Open, t0)
	resolvedLater.State = bot.Resolved
	update(t, s, func(tx bot.Tx) error { return tx.SaveTicket(resolvedLater) })

	tests := []struct {
		limit int
		want  []int64
	}{
		{10, []int64{claimed.ID, sameTime.ID, later.ID}},
		{2, []int64{claimed.ID, sameTime.ID}},
	}
	for _, tt := range tests {
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.OpenTickets(tt.limit)
			if err != nil {
				return err
			}
			if !slices.Equal(ticketIDs(got), tt.want) {
				t.Errorf("OpenTickets(%d) = %v, want %v", tt.limit, ticketIDs(got), tt.want)
				return nil
			}
			checkTicket(t, got[0], claimed)
			return nil
		})
	}
}

func testTicketsOpened(t *testing.T, s bot.Store) {
	// Five tickets, two opened at the same instant, one before the range
	// and one at its end (excluded).
	opened := []time.Time{t0.Add(-time.Second), t0, t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)}
	var ids []int64
	for _, at := range opened {
		tk := bareTicket()
		tk.OpenedAt = at
		if at.Equal(t0.Add(time.Hour)) {
			tk.State = bot.Resolved // reports count resolved tickets too
		}
		ids = append(ids, createTicket(t, s, tk).ID)
	}
	from, until := t0, t0.Add(2*time.Hour)
	tests := []struct {
		name    string
		afterID int64
		limit   int
		want    []int64
	}{
		{"all of the range", 0, 10, ids[1:4]},
		{"a first page", 0, 2, ids[1:3]},
		{"the page after a tie", ids[1], 2, ids[2:4]},
		{"no limit, nothing", 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bot.Ticket
			view(t, s, func(tx bot.Tx) (err error) {
				got, err = tx.TicketsOpened(from, until, tt.afterID, tt.limit)
				return err
			})
			if !slices.Equal(ticketIDs(got), tt.want) {
				t.Errorf("TicketsOpened(after %d, limit %d) = %v, want %v", tt.afterID, tt.limit, ticketIDs(got), tt.want)
			}
		})
	}
}

// openedAt creates a bare ticket of source opened at (zero: with no
// opening time), resolved when resolved is set.
func openedAt(t *testing.T, s bot.Store, source string, at time.Time, resolved bool) bot.Ticket {
	t.Helper()
	tk := bareTicket()
	tk.Source, tk.OpenedAt = source, at
	if resolved {
		tk.State = bot.Resolved
	}
	return createTicket(t, s, tk)
}

// testCountOpened: CountOpened counts, by source, the tickets opened in
// [from, until): one opened at from itself counts, one at until does not;
// resolved ones count too; sources with none are left out, and a span
// with none is an empty count.
func testCountOpened(t *testing.T, s bot.Store) {
	from, until := t0, t0.Add(2*time.Hour).UTC() // the zones of the bounds do not matter
	tickets := []struct {
		source   string
		at       time.Time // zero: no opening time
		resolved bool
	}{
		{"telegram", from.Add(-time.Microsecond), false},
		{"telegram", from, false},
		{"telegram", from.Add(30 * time.Minute), false},
		{"discord", from.Add(30 * time.Minute), true},
		{"discord", until.Add(-time.Microsecond), false},
		{"webhook:x", until, false},
		{"webhook:y", time.Time{}, false},
		{"webhook:z", until.Add(time.Hour), true},
	}
	for _, tk := range tickets {
		openedAt(t, s, tk.source, tk.at, tk.resolved)
	}
	tests := []struct {
		name        string
		from, until time.Time
		want        map[string]int
	}{
		{"the span: at from counts, at until does not", from, until, map[string]int{"telegram": 2, "discord": 2}},
		{"its first microsecond", from, from.Add(time.Microsecond), map[string]int{"telegram": 1}},
		{"its last microsecond", until.Add(-time.Microsecond), until, map[string]int{"discord": 1}},
		{"the hour before: until at from leaves from out", from.Add(-time.Hour), from, map[string]int{"telegram": 1}},
		{"from until on", until, until.Add(2 * time.Hour), map[string]int{"webhook:x": 1, "webhook:z": 1}},
		{"every ticket with an opening time", from.Add(-24 * time.Hour), until.Add(24 * time.Hour),
			map[string]int{"telegram": 3, "discord": 2, "webhook:x": 1, "webhook:z": 1}},
		{"none", until.Add(3 * time.Hour), until.Add(4 * time.Hour), map[string]int{}},
		{"an empty span", from, from, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got map[string]int
			view(t, s, func(tx bot.Tx) (err error) { got, err = tx.CountOpened(tt.from, tt.until); return err })
			if !maps.Equal(got, tt.want) {
				t.Errorf("CountOpened(%s, %s) = %v, want %v", tt.from.Sub(from), tt.until.Sub(from), got, tt.want)
			}
		})
	}
}

// testFirstOpened: FirstOpened is when the source's earliest ticket was
// opened, whichever ticket was created first, in UTC; ENOTFOUND for a
// source with no ticket, or none with an opening time.
func testFirstOpened(t *testing.T, s bot.Store) {
	// In the order created: a source's first ticket need not be its
	// earliest.
	tickets := []struct {
		source string
		at     time.Time
	}{
		{"telegram", t0.Add(time.Hour)},
		{"telegram", t0},
		{"discord", t0.Add(-24 * time.Hour)},
		{"telegram", t0.Add(2 * time.Hour)},
		{"webhook:x", t0.Add(time.Minute + time.Microsecond)},
		{"webhook:x", t0.Add(time.Minute)},
		{"webhook:unopened", time.Time{}},
	}
	for i, tk := range tickets {
		openedAt(t, s, tk.source, tk.at, i%2 == 0)
	}
	tests := []struct {
		source string
		want   time.Time // zero: ENOTFOUND
	}{
		{"telegram", t0},
		{"discord", t0.Add(-24 * time.Hour)},
		{"webhook:x", t0.Add(time.Minute)},
		{"webhook:unopened", time.Time{}},
		{"webhook:never", time.Time{}},
		{"webhook", time.Time{}}, // a prefix of sources is none of them
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			var got time.Time
			err := s.View(t.Context(), func(tx bot.Tx) (err error) { got, err = tx.FirstOpened(tt.source); return err })
			what := fmt.Sprintf("FirstOpened(%q)", tt.source)
			switch {
			case tt.want.IsZero():
				wantNotFound(t, what, err)
			case err != nil:
				t.Errorf("%s: %v", what, err)
			default:
				checkTime(t, what, got, tt.want)
			}
		})
	}
}

func testOpenCounts(t *testing.T, s bot.Store) {
	mk := func(state bot.State, answered bool) {
		tk := bareTicket()
		tk.State, tk.OpenedAt = state, t0
		if answered {
			tk.FirstReplyAt = t0.Add(time.Minute)
		}
		createTicket(t, s, tk)
	}
	mk(bot.Open, false)
	mk(bot.Open, false)
	mk(bot.Claimed, false)
	mk(bot.Claimed, true)
	mk(bot.Resolved, true)
	mk(bot.Resolved, false)
	var got bot.OpenCounts
	var waiting []bot.Ticket
	view(t, s, func(tx bot.Tx) (err error) {
		if got, err = tx.OpenCounts(); err != nil {
			return err
		}
		waiting, err = tx.UnansweredTickets(10)
		return err
	})
	if want := (bot.OpenCounts{Open: 4, Unclaimed: 2, Unanswered: 3}); got != want {
		t.Errorf("OpenCounts() = %+v, want %+v", got, want)
	}
	if ids := ticketIDs(waiting); !slices.Equal(ids, []int64{1, 2, 3}) {
		t.Errorf("UnansweredTickets(10) = %v, want #1, #2, #3", ids)
	}
}

func testCustomerTicket(t *testing.T, s bot.Store) {
	mk := func(source, conversation, customer string) int64 {
		tk := bareTicket()
		tk.Source, tk.Conversation, tk.Customer.ID = source, conversation, customer
		return createTicket(t, s, tk).ID
	}
	mk("webhook:twitter", "post-1", "a")
	want := mk("webhook:twitter", "post-2", "a")
	mk("webhook:twitter", "post-3", "b")
	mk("telegram", "9", "a")
	var got bot.Ticket
	view(t, s, func(tx bot.Tx) (err error) {
		got, err = tx.CustomerTicket("webhook:twitter", "a")
		return err
	})
	if got.ID != want {
		t.Errorf("CustomerTicket = #%d, want #%d", got.ID, want)
	}
	view(t, s, func(tx bot.Tx) error {
		if _, err := tx.CustomerTicket("discord", "a"); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("no ticket: %v", err)
		}
		return nil
	})
}

func testTicketByPost(t *testing.T, s bot.Store) {
	mk := func(source, post string) int64 {
		tk := bareTicket()
		tk.Source, tk.Conversation, tk.Customer.ID, tk.PostURL = source, post+"#c", "a", post
		return createTicket(t, s, tk).ID
	}
	mk("feed:alerts", "https://m.example/@jane/1")
	want := mk("feed:forum", "https://m.example/@jane/1")
	mk("feed:alerts", "https://m.example/@jane/2")
	mk("telegram", "")
	for _, tc := range []struct {
		post string
		want int64 // 0: not found
	}{
		{"https://m.example/@jane/1", want},
		{"https://m.example/@jane/3", 0},
		{"", 0}, // tickets without an address are about no post
	} {
		view(t, s, func(tx bot.Tx) error {
			got, err := tx.TicketByPost(tc.post)
			switch {
			case tc.want == 0 && bot.ErrorCode(err) != bot.ENOTFOUND:
				t.Errorf("TicketByPost(%q) = #%d, %v; want ENOTFOUND", tc.post, got.ID, err)
			case tc.want != 0 && (err != nil || got.ID != tc.want):
				t.Errorf("TicketByPost(%q) = #%d, %v; want #%d", tc.post, got.ID, err, tc.want)
			}
			return nil
		})
	}
}
