package slack_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	slackdesk "caredesk/adapters/slack"
	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/sim/slacksim"
)

// now is the desk's clock in every test: a Saturday night in Istanbul.
var now = time.Date(2024, 3, 2, 0, 30, 0, 0, time.UTC)

// core is a recording stand-in for caredesk's core behind the Runner.
// answer, when set, decides each result; by default every action succeeds
// with "ok".
type core struct {
	mu      sync.Mutex
	actions []bot.Action
	answer  func(n int, a bot.Action) (bot.Result, error) // n counts calls from 0
}

func (c *core) Act(_ context.Context, a bot.Action) (bot.Result, error) {
	c.mu.Lock()
	n := len(c.actions)
	c.actions = append(c.actions, a)
	answer := c.answer
	c.mu.Unlock()
	if answer != nil {
		return answer(n, a)
	}
	return bot.Result{Text: "ok"}, nil
}

func (c *core) got() []bot.Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bot.Action(nil), c.actions...)
}

// errInternal is a failure inside the core, such as a locked database.
var errInternal = errors.New("database is locked")

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newSim(t *testing.T, o slacksim.Options) *slacksim.Server {
	t.Helper()
	sim, err := slacksim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// deskOptions are the options that connect a desk to sim.
func deskOptions(sim *slacksim.Server) slackdesk.Options {
	o := sim.Options()
	return slackdesk.Options{
		BotToken: o.BotToken, SigningSecret: o.SigningSecret, AppToken: o.AppToken, ChannelID: o.ChannelID,
		APIURL: sim.APIURL(), Logger: quiet(), Now: func() time.Time { return now },
	}
}

func newDesk(t *testing.T, sim *slacksim.Server) *slackdesk.Desk {
	t.Helper()
	d, err := slackdesk.New(context.Background(), deskOptions(sim))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// serve runs the desk's HTTP handler for c at /slack/events and points
// the simulator at it, as Event Subscriptions would. It returns the URL.
func serve(t *testing.T, sim *slacksim.Server, d *slackdesk.Desk, c *core) string {
	t.Helper()
	return serveWith(t, sim, d, c, slackdesk.HTTPOptions{})
}

// serveWith is serve with the handler's guards o.
func serveWith(t *testing.T, sim *slacksim.Server, d *slackdesk.Desk, c *core, o slackdesk.HTTPOptions) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/slack/events", d.Handler(handlers.Runner{Actor: c, Log: quiet()}, o))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sim.SetRequestURL(srv.URL + "/slack/events")
	return srv.URL + "/slack/events"
}

// ticket is #12 from Telegram, opened half an hour ago, due in half an hour.
func ticket() bot.Ticket {
	return bot.Ticket{
		ID: 12, Source: "telegram", Conversation: "5551234",
		Customer: bot.Customer{ID: "777", Name: "Jane Doe", Handle: "jane"},
		Text:     "My order #4411 never arrived.", State: bot.Open,
		OpenedAt: now.Add(-30 * time.Minute), Deadline: now.Add(30 * time.Minute),
	}
}

// posted is ticket() shown on the desk.
func posted(t *testing.T, d *slackdesk.Desk) bot.Ticket {
	t.Helper()
	tk := ticket()
	ts, err := d.PostTicket(context.Background(), tk)
	if err != nil {
		t.Fatal(err)
	}
	tk.DeskThread = ts
	return tk
}

func wait(t *testing.T, sim *slacksim.Server, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sim.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
