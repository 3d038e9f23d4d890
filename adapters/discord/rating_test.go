package discord_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/sim/change"
	"caredesk/sim/discordsim"
)

// rater is a Rater that answers as the core does for ticket #12, Jane's:
// anyone else is refused, the first score counts and a repeat changes
// nothing. Planned errors come first, one per call.
type rater struct {
	gate    chan struct{} // when set, Rate waits until it is closed
	mu      sync.Mutex
	calls   []bot.Rating
	planned []error
	score   int
	changed change.Signal
}

func (r *rater) Rate(ctx context.Context, rt bot.Rating) error {
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.changed.Notify()
	r.calls = append(r.calls, rt)
	switch {
	case len(r.planned) > 0:
		err := r.planned[0]
		r.planned = r.planned[1:]
		return err
	case rt.TicketID != 12 || rt.CustomerID != jane:
		return bot.Errorf(bot.ENOTFOUND, "There is no question about ticket %d for that customer on discord.", rt.TicketID)
	case r.score == 0:
		r.score = rt.Score
	}
	return nil
}

func (r *rater) got() ([]bot.Rating, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls), r.score
}

// asking is the question about ticket #12 where Jane wrote: in her DM, or
// in #support under her message.
type asking struct {
	name    string
	channel func(sim *discordsim.Server) (channel, customersMessage string)
}

var places = []asking{
	{"in the DM", func(sim *discordsim.Server) (string, string) {
		id := sim.UserDMs(jane, "It came, thanks!")
		return sim.DMChannel(jane), id
	}},
	{"in a server channel", func(sim *discordsim.Server) (string, string) {
		support := sim.Options().SourceChannelIDs[0]
		return support, sim.UserWrites(support, jane, "It came, thanks!")
	}},
}

// ask sends the question about #12 in channel, answering the customer's
// message, and returns the question's id.
func ask(t *testing.T, d *discord.Discord, channel, replyTo string) string {
	t.Helper()
	ref, err := d.Send(context.Background(), bot.Outgoing{
		Ticket: bot.Ticket{ID: 12, Source: "discord", Conversation: channel}, Conversation: channel, ReplyTo: replyTo,
		Text: "How did we do?", Purpose: bot.ForRating, Key: "caredesk-90",
	})
	if err != nil {
		t.Fatalf("sending the question: %v", err)
	}
	return lastSent(t, ref)
}

// runAll runs d's gateway as desk (with c) and source until the test ends.
func runAll(t *testing.T, sim *discordsim.Server, d *discord.Discord, c *core) {
	t.Helper()
	runGateway(t, sim, d, handlers.Runner{Actor: c, Log: quiet()})
}

// runGateway runs d's gateway with r until the test ends.
func runGateway(t *testing.T, sim *discordsim.Server, d *discord.Discord, r handlers.Runner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, r, &inbox{}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after its context ended: %v", err)
		}
	})
	wait(t, sim, "the gateway session", func() bool { return sim.Identifies() >= 1 && sim.Connected() })
}

func TestTheQuestionGoesWithFiveButtons(t *testing.T) {
	t.Parallel()
	for _, place := range places {
		t.Run(place.name, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, discordsim.Options{})
			d := newDiscord(t, sim)
			channel, customers := place.channel(sim)
			m, ok := sim.Message(ask(t, d, channel, customers))
			if !ok || m.ChannelID != channel || m.Content != "How did we do?" || m.Reference == nil || m.Reference.MessageID != customers {
				t.Fatalf("the customer sees %+v, want the question answering their message", m)
			}
			rows := m.Rows()
			if len(rows) != 1 || len(rows[0]) != 5 {
				t.Fatalf("buttons %+v, want one row of five", rows)
			}
			for i, b := range rows[0] {
				if b.Label != strconv.Itoa(i+1) || b.CustomID != bot.RatingData(12, i+1) || b.Style != 2 || b.Disabled {
					t.Errorf("button %d is %+v", i+1, b)
				}
			}
		})
	}
}

func TestTheQuestionFailsLikeAReply(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	d := newDiscord(t, sim)
	sim.UserDMs(jane, "thanks")
	dm := sim.DMChannel(jane)
	sim.SetDMsClosed(jane, true)
	tests := []struct {
		name string
		out  bot.Outgoing
		says string
	}{
		{"the customer takes no DMs", bot.Outgoing{Ticket: bot.Ticket{ID: 12}, Conversation: dm, Text: "How did we do?", Purpose: bot.ForRating}, "takes no direct messages"},
		{"no ticket to ask about", bot.Outgoing{Conversation: dm, Text: "How did we do?", Purpose: bot.ForRating}, "names no ticket"},
	}
	for _, tc := range tests {
		if _, err := d.Send(context.Background(), tc.out); !bot.IsPermanent(err) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want a permanent error saying %q", tc.name, err, tc.says)
		}
	}
}

func TestPressingAButtonRatesTheTicket(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		noRater bool
		planned []error
		presser string
		answer  int    // the interaction response's type
		private string // what the presser reads, only them; "" for an update
		shown   bool   // the buttons gave way to the answer
	}{
		{"stored", false, nil, jane, discordsim.ResponseUpdateMessage, "", true},
		{"someone else presses", false, nil, bob, discordsim.ResponseMessage, discord.RatingRefused, false},
		{"the store fails", false, []error{errInternal}, jane, discordsim.ResponseMessage, discord.RatingNotSaved, false},
		{"no Rater", true, nil, jane, discordsim.ResponseDeferredUpdate, "", false},
	}
	for _, place := range places {
		for _, tc := range tests {
			if place.name == "in the DM" && tc.presser != jane {
				continue // nobody else sees her DM
			}
			t.Run(place.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				sim := newSim(t, discordsim.Options{})
				r := &rater{planned: tc.planned}
				d := newDiscord(t, sim, func(o *discord.Options) {
					if !tc.noRater {
						o.Rater = r
					}
				})
				c := &core{}
				runAll(t, sim, d, c)
				channel, customers := place.channel(sim)
				question := ask(t, d, channel, customers)

				click := sim.ClickButton(tc.presser, channel, question, bot.RatingData(12, 4))
				resp := waitResponse(t, click)
				if resp.Type != tc.answer || resp.Content != tc.private || (tc.private != "") != resp.Ephemeral || len(resp.Refused) != 0 {
					t.Errorf("the presser saw %+v; want type %d with %q, in time", resp, tc.answer, tc.private)
				}
				calls, _ := r.got()
				want := bot.Rating{Source: "discord", TicketID: 12, CustomerID: tc.presser, Score: 4, EventID: click.ID}
				if tc.noRater != (len(calls) == 0) || (len(calls) > 0 && (len(calls) != 1 || calls[0] != want)) {
					t.Errorf("Rate got %+v, want %+v", calls, want)
				}
				m, _ := sim.Message(question)
				if tc.shown && (m.Content != "How did we do?\n\nYour answer: 4 of 5. Thank you!" || m.Components != nil) {
					t.Errorf("the question became %q with %s, want the answer and no buttons", m.Content, m.Components)
				}
				if !tc.shown && (m.Content != "How did we do?" || len(m.Buttons()) != 5) {
					t.Errorf("the question became %q with %+v, want it as it was", m.Content, m.Buttons())
				}
				if got := c.got(); len(got) != 0 {
					t.Errorf("the desk acted on a customer's press: %+v", got)
				}
			})
		}
	}
}

func TestPressingAgainAfterAFailureCounts(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	r := &rater{planned: []error{errInternal}}
	d := newDiscord(t, sim, func(o *discord.Options) { o.Rater = r })
	runAll(t, sim, d, &core{})
	channel, customers := places[0].channel(sim)
	question := ask(t, d, channel, customers)

	first := sim.ClickButton(jane, channel, question, bot.RatingData(12, 5))
	if resp := waitResponse(t, first); resp.Content != discord.RatingNotSaved {
		t.Fatalf("after a failure the customer read %q, want %q", resp.Content, discord.RatingNotSaved)
	}
	second := sim.ClickButton(jane, channel, question, bot.RatingData(12, 5))
	if resp := waitResponse(t, second); resp.Type != discordsim.ResponseUpdateMessage {
		t.Fatalf("the second press got %+v, want the question updated", resp)
	}
	calls, score := r.got()
	if len(calls) != 2 || calls[0].EventID == calls[1].EventID || score != 5 {
		t.Errorf("Rate got %+v, score %d; want both presses, each its own event, and 5 kept", calls, score)
	}
}

func TestTwoQuickPressesShowTheOneThatCounts(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	// The core holds the first press until the second is made, as when
	// the customer taps twice before the buttons go.
	r := &rater{gate: make(chan struct{})}
	d := newDiscord(t, sim, func(o *discord.Options) { o.Rater = r })
	runAll(t, sim, d, &core{})
	channel, customers := places[1].channel(sim)
	question := ask(t, d, channel, customers)
	clicks := []discordsim.Interaction{
		sim.ClickButton(jane, channel, question, bot.RatingData(12, 2)),
		sim.ClickButton(jane, channel, question, bot.RatingData(12, 5)),
	}
	close(r.gate)
	types := []int{waitResponse(t, clicks[0]).Type, waitResponse(t, clicks[1]).Type}
	slices.Sort(types)
	if !slices.Equal(types, []int{discordsim.ResponseDeferredUpdate, discordsim.ResponseUpdateMessage}) {
		t.Errorf("response types %v, want one press shown and the other only acknowledged", types)
	}
	_, score := r.got()
	if m, _ := sim.Message(question); !strings.HasSuffix(m.Content, "Your answer: "+strconv.Itoa(score)+" of 5. Thank you!") || m.Edits != 1 {
		t.Errorf("the question shows %q after %d edits; the core kept %d", m.Content, m.Edits, score)
	}
}

func TestRatingsWhenDiscordIsOnlyASource(t *testing.T) {
	t.Parallel()
	sim := newSim(t, discordsim.Options{})
	r := &rater{}
	d := newDiscord(t, sim, func(o *discord.Options) { o.DeskChannelID, o.Rater = "", r })
	runGateway(t, sim, d, handlers.Runner{})
	channel, customers := places[0].channel(sim)
	question := ask(t, d, channel, customers)
	if resp := waitResponse(t, sim.ClickButton(jane, channel, question, bot.RatingData(12, 3))); resp.Type != discordsim.ResponseUpdateMessage {
		t.Errorf("the press got %+v, want the question updated", resp)
	}
	if _, score := r.got(); score != 3 {
		t.Errorf("score %d, want 3", score)
	}
}
