package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"caredesk/bot"
)

// testTicketTeams: a ticket's team, the rule that routed it, its channel
// and its moves come back from every lookup, as created and as saved
// after a move to another team, which posts it anew in another channel.
func testTicketTeams(t *testing.T, s bot.Store) {
	tests := []struct {
		name  string
		team  func(*bot.Ticket) // sets the team fields at creation
		moved func(*bot.Ticket) // a move to another team, saved
	}{
		{"routed to a team, then moved",
			func(tk *bot.Ticket) { tk.Team, tk.Routed, tk.Channel = "billing", "words:refund", "C0BILLING" },
			func(tk *bot.Ticket) {
				tk.Team, tk.Routed, tk.Channel, tk.Moves = "shipping", "moved by <@U1>", "C0SHIPPING", tk.Moves+1
			}},
		{"no team, then given one",
			func(tk *bot.Ticket) { tk.Team, tk.Routed, tk.Channel, tk.Moves = "", "", "", 0 },
			func(tk *bot.Ticket) { tk.Team, tk.Routed, tk.Channel, tk.Moves = "vip", "moved by <@U2>", "C0VIP", 1 }},
		{"moved before, then back to the desk's own channel",
			func(tk *bot.Ticket) {
				tk.Team, tk.Routed, tk.Channel, tk.Moves = "Müşteri İlişkileri", "language:tr", "C0TR", 3
			},
			func(tk *bot.Ticket) { tk.Team, tk.Routed, tk.Channel, tk.Moves = "", "", "", 4 }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := fullTicket()
			tk.Conversation = fmt.Sprintf("conversation-%d", i)
			tk.Customer.ID = fmt.Sprintf("customer-%d", i)
			tk.DeskThread = fmt.Sprintf("T-%d", i)
			tt.team(&tk)
			tk = createTicket(t, s, tk)
			checkEveryLookup(t, s, tk)

			oldThread := tk.DeskThread
			tt.moved(&tk)
			tk.DeskThread = fmt.Sprintf("T-%d-moved", i)
			update(t, s, func(tx bot.Tx) error { return tx.SaveTicket(tk) })
			checkEveryLookup(t, s, tk)
			view(t, s, func(tx bot.Tx) error {
				_, err := tx.TicketByThread(oldThread)
				wantNotFound(t, "TicketByThread of the thread a ticket moved from", err)
				return nil
			})
		})
	}
}

// checkEveryLookup checks that each way of reading a ticket gives want.
func checkEveryLookup(t *testing.T, s bot.Store, want bot.Ticket) {
	t.Helper()
	lookups := []struct {
		name string
		get  func(bot.Tx) (bot.Ticket, error)
	}{
		{"Ticket", func(tx bot.Tx) (bot.Ticket, error) { return tx.Ticket(want.ID) }},
		{"TicketByThread", func(tx bot.Tx) (bot.Ticket, error) { return tx.TicketByThread(want.DeskThread) }},
		{"LatestTicket", func(tx bot.Tx) (bot.Ticket, error) {
			return tx.LatestTicket(want.Source, want.Conversation, want.Customer.ID)
		}},
		{"CustomerTicket", func(tx bot.Tx) (bot.Ticket, error) { return tx.CustomerTicket(want.Source, want.Customer.ID) }},
		{"TicketsOpened", func(tx bot.Tx) (bot.Ticket, error) {
			return only(tx.TicketsOpened(want.OpenedAt, want.OpenedAt.Add(time.Microsecond), want.ID-1, 1))
		}},
	}
	for _, l := range lookups {
		view(t, s, func(tx bot.Tx) error {
			got, err := l.get(tx)
			if err != nil {
				return fmt.Errorf("%s: %w", l.name, err)
			}
			if got.Team != want.Team || got.Routed != want.Routed || got.Channel != want.Channel || got.Moves != want.Moves {
				t.Errorf("%s: team %q, routed %q, channel %q, moves %d; want %q, %q, %q, %d", l.name,
					got.Team, got.Routed, got.Channel, got.Moves, want.Team, want.Routed, want.Channel, want.Moves)
			}
			checkTicket(t, got, want)
			return nil
		})
	}
}

// only is the first of a listing, or ENOTFOUND when it is empty.
func only(ts []bot.Ticket, err error) (bot.Ticket, error) {
	if err != nil {
		return bot.Ticket{}, err
	}
	if len(ts) == 0 {
		return bot.Ticket{}, bot.Errorf(bot.ENOTFOUND, "The listing is empty.")
	}
	return ts[0], nil
}

// testOpenTicketsOfTeams: OpenTickets with teams lists the open tickets of
// those teams only, in the order of the whole list; "" is the team of the
// tickets no team owns.
func testOpenTicketsOfTeams(t *testing.T, s bot.Store) {
	mk := func(team string, state bot.State, opened time.Time) bot.Ticket {
		t.Helper()
		tk := bareTicket()
		tk.Team, tk.State, tk.OpenedAt = team, state, opened
		if team != "" {
			tk.Channel = "C-" + team
		}
		return createTicket(t, s, tk)
	}
	billingLater := mk("billing", bot.Open, t0.Add(2*time.Hour))
	mk("billing", bot.Resolved, t0)
	shipping := mk("shipping", bot.Claimed, t0.Add(time.Hour))
	noTeam := mk("", bot.Open, t0.Add(time.Hour)) // ties with shipping: by number
	billing := mk("billing", bot.Claimed, t0.Add(30*time.Minute))
	noTeamLater := mk("", bot.Open, t0.Add(3*time.Hour))
	// A ticket moved from shipping to billing is billing's only.
	moved := mk("shipping", bot.Open, t0.Add(90*time.Minute))
	moved.Team, moved.Channel, moved.Moves = "billing", "C-billing", 1
	update(t, s, func(tx bot.Tx) error { return tx.SaveTicket(moved) })
	// Neither is a ticket resolved after it was opened.
	resolvedLater := mk("shipping", bot.Open, t0)
	resolvedLater.State = bot.Resolved
	update(t, s, func(tx bot.Tx) error { return tx.SaveTicket(resolvedLater) })

	tests := []struct {
		name  string
		limit int
		teams []string
		want  []bot.Ticket
	}{
		{"all teams", 10, nil, []bot.Ticket{billing, shipping, noTeam, moved, billingLater, noTeamLater}},
		{"one team", 10, []string{"billing"}, []bot.Ticket{billing, moved, billingLater}},
		{"one team, limited", 2, []string{"billing"}, []bot.Ticket{billing, moved}},
		{"the team a ticket moved from", 10, []string{"shipping"}, []bot.Ticket{shipping}},
		{"two teams, in the order of the whole list", 10, []string{"shipping", "billing"}, []bot.Ticket{billing, shipping, moved, billingLater}},
		{"no team", 10, []string{""}, []bot.Ticket{noTeam, noTeamLater}},
		{"no team and a team", 10, []string{"", "shipping"}, []bot.Ticket{shipping, noTeam, noTeamLater}},
		{"a team named twice", 10, []string{"billing", "billing"}, []bot.Ticket{billing, moved, billingLater}},
		{"a team without tickets", 10, []string{"vip"}, nil},
		{"no limit, nothing", 0, []string{"billing"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bot.Ticket
			view(t, s, func(tx bot.Tx) (err error) { got, err = tx.OpenTickets(tt.limit, tt.teams...); return err })
			if !slices.Equal(ticketIDs(got), ticketIDs(tt.want)) {
				t.Fatalf("OpenTickets(%d, %q) = %v, want %v", tt.limit, tt.teams, ticketIDs(got), ticketIDs(tt.want))
			}
			for i := range got {
				checkTicket(t, got[i], tt.want[i])
			}
		})
	}
}

// testRotaChangesOfTeams: a change keeps its team, and an undo for teams
// takes back the newest change of those teams, whatever the others made
// since; ENOTFOUND, changing nothing, when they have none left.
func testRotaChangesOfTeams(t *testing.T, s bot.Store) {
	changes := []bot.RotaChange{
		{Kind: "override", By: "U1", At: t0, Summary: "billing 1", Team: "billing"},
		{Kind: "swap", By: "U2", At: t0.Add(time.Minute), Summary: "shipping 1", Team: "shipping"},
		{Kind: "override", By: "U3", At: t0.Add(2 * time.Minute), Summary: "the desk's own", Team: ""},
		{Kind: "override", By: "U1", At: t0.Add(3 * time.Minute), Summary: "billing 2", Team: "billing",
			Overrides: []bot.Override{{Layer: bot.Primary, Agent: "UBOB", From: t0, Until: t0.Add(12 * time.Hour)}}},
		{Kind: "swap", By: "U2", At: t0.Add(4 * time.Minute), Summary: "shipping 2", Team: "shipping"},
	}
	update(t, s, func(tx bot.Tx) error {
		for i := range changes {
			if err := tx.AddRotaChange(&changes[i]); err != nil {
				return err
			}
		}
		return nil
	})
	inForce := func() []string {
		t.Helper()
		var got []bot.RotaChange
		view(t, s, func(tx bot.Tx) (err error) { got, err = tx.RotaChanges(); return err })
		var out []string
		for _, c := range got {
			out = append(out, c.Team+": "+c.Summary)
		}
		return out
	}
	if got, want := inForce(), []string{"billing: billing 1", "shipping: shipping 1", ": the desk's own",
		"billing: billing 2", "shipping: shipping 2"}; !slices.Equal(got, want) {
		t.Fatalf("changes in force %q, want %q", got, want)
	}

	// Each step undoes for teams and names the change it takes back (-1:
	// none, ENOTFOUND); the steps run in order, on what the last left.
	steps := []struct {
		teams []string
		want  int
	}{
		{[]string{"billing"}, 3},
		{[]string{"billing"}, 0},
		{[]string{"billing"}, -1},
		{[]string{"vip"}, -1},
		{[]string{""}, 2},
		{[]string{""}, -1},
		{[]string{"billing", "shipping"}, 4},
		{nil, 1}, // any team
		{nil, -1},
	}
	left := []int{0, 1, 2, 3, 4}
	for i, st := range steps {
		var undone bot.RotaChange
		err := s.Update(t.Context(), func(tx bot.Tx) (err error) {
			undone, err = tx.UndoRotaChange(t0.Add(time.Hour), st.teams...)
			return err
		})
		what := fmt.Sprintf("step %d: UndoRotaChange(%q)", i+1, st.teams)
		switch {
		case st.want < 0:
			wantNotFound(t, what, err)
		case err != nil:
			t.Fatalf("%s: %v", what, err)
		default:
			if want := changes[st.want]; undone.ID != want.ID || undone.Team != want.Team || undone.Summary != want.Summary ||
				len(undone.Overrides) != len(want.Overrides) {
				t.Errorf("%s took back %+v, want %+v", what, undone, want)
			}
			left = slices.DeleteFunc(left, func(j int) bool { return j == st.want })
		}
		var want []string
		for _, j := range left {
			want = append(want, changes[j].Team+": "+changes[j].Summary)
		}
		if got := inForce(); !slices.Equal(got, want) {
			t.Errorf("after %s: changes in force %q, want %q", what, got, want)
		}
	}
}

// testFormerThreads: a thread a ticket left when it moved to another
// team's channel finds the ticket, however many it left; a thread
// recorded again changes nothing, its first ticket kept; a thread no
// ticket left, "" and a ticket's current thread among them, is ENOTFOUND.
func testFormerThreads(t *testing.T, s bot.Store) {
	// Two tickets, each posted in the thread it has now.
	var tickets [2]bot.Ticket
	for i := range tickets {
		tk := bareTicket()
		tk.DeskThread = fmt.Sprintf("now-%d", i)
		tickets[i] = createTicket(t, s, tk)
	}
	const missing = -1 // no ticket: one that does not exist, or ENOTFOUND
	type record struct {
		thread string
		ticket int // an index into tickets, or missing
	}
	tests := []struct {
		name string
		// updates are recorded in order, each inner list in one Update; a
		// record of a missing ticket wants ENOTFOUND, any other no error.
		updates [][]record
		find    map[string]int // thread → the ticket FormerThread finds, or missing
	}{
		{"add and find",
			[][]record{{{"T-moved", 0}}},
			map[string]int{"T-moved": 0}},
		{"the same thread twice in one update, the first ticket kept",
			[][]record{{{"T-first", 0}, {"T-first", 1}}},
			map[string]int{"T-first": 0}},
		{"the same thread again later, the first ticket kept",
			[][]record{{{"T-later", 1}}, {{"T-later", 0}}, {{"T-later", 1}}},
			map[string]int{"T-later": 1}},
		{"the same thread twice by the same ticket",
			[][]record{{{"T-again", 0}, {"T-again", 0}}},
			map[string]int{"T-again": 0}},
		{"two threads of one ticket",
			[][]record{{{"T-one", 1}}, {{"T-two", 1}}},
			map[string]int{"T-one": 1, "T-two": 1}},
		{"a thread no ticket left",
			nil,
			map[string]int{"T-never": missing}},
		{"a ticket's current thread",
			nil,
			map[string]int{"now-0": missing, "now-1": missing}},
		{"no thread, not recorded",
			[][]record{{{"", 0}}},
			map[string]int{"": missing}},
		{"a ticket that does not exist, and the update goes on",
			[][]record{{{"T-ghost", missing}, {"T-after-ghost", 0}}},
			map[string]int{"T-ghost": missing, "T-after-ghost": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, records := range tt.updates {
				update(t, s, func(tx bot.Tx) error {
					for _, r := range records {
						addFormerThread(t, tx, r.thread, r.ticket, tickets[:])
					}
					return nil
				})
			}
			view(t, s, func(tx bot.Tx) error {
				for thread, want := range tt.find {
					got, err := tx.FormerThread(thread)
					what := fmt.Sprintf("FormerThread(%q)", thread)
					switch {
					case want == missing:
						wantNotFound(t, what, err)
					case err != nil:
						t.Errorf("%s: %v", what, err)
					case got != tickets[want].ID:
						t.Errorf("%s = #%d, want #%d", what, got, tickets[want].ID)
					}
				}
				return nil
			})
		})
	}
}

// addFormerThread records thread as a former thread of tickets[i], or of a
// ticket that does not exist when i is negative, which wants ENOTFOUND.
func addFormerThread(t *testing.T, tx bot.Tx, thread string, i int, tickets []bot.Ticket) {
	t.Helper()
	what := fmt.Sprintf("AddFormerThread(%q)", thread)
	if i < 0 {
		wantNotFound(t, what+" of a ticket that does not exist", tx.AddFormerThread(thread, tickets[len(tickets)-1].ID+1))
		return
	}
	if err := tx.AddFormerThread(thread, tickets[i].ID); err != nil {
		t.Errorf("%s of ticket #%d: %v", what, tickets[i].ID, err)
	}
}
