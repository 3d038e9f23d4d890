package discord_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"caredesk/adapters/discord"
	"caredesk/bot"
	"caredesk/handlers"
	"caredesk/sim/change"
	"caredesk/sim/discordsim"
)

// now is the desk's clock in every test: a Saturday night in Istanbul.
var now = time.Date(2024, 3, 2, 0, 30, 0, 0, time.UTC)

// People of the tests, as Discord knows them.
const (
	alice = "400000000000000001" // an agent
	bob   = "400000000000000002" // another agent
	jane  = "500000000000000001" // a customer
	other = "600000000000000001" // another app's bot
)

// core is a recording stand-in for caredesk's core behind the Runner.
// answer, when set, decides each result; by default every action succeeds
// with "ok".
type core struct {
	mu      sync.Mutex
	actions []bot.Action
	answer  func(n int, a bot.Action) (bot.Result, error) // n counts calls from 0
	changed change.Signal
}

func (c *core) Act(_ context.Context, a bot.Action) (bot.Result, error) {
	c.mu.Lock()
	n := len(c.actions)
	c.actions = append(c.actions, a)
	answer := c.answer
	c.mu.Unlock()
	defer c.changed.Notify()
	if answer != nil {
		return answer(n, a)
	}
	return bot.Result{Text: "ok"}, nil
}

func (c *core) got() []bot.Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.actions)
}

// waitFor waits until the core got at least n actions and returns them.
func (c *core) waitFor(t *testing.T, n int) []bot.Action {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.changed.Wait(ctx, func() bool { return len(c.got()) >= n }); err != nil {
		t.Fatalf("waiting for %d actions, the core got %+v", n, c.got())
	}
	return c.got()
}

// inbox is a recording stand-in for the core's Receive. fail, when set,
// decides each answer.
type inbox struct {
	mu      sync.Mutex
	calls   []bot.Inbound
	fail    func(n int, in bot.Inbound) error
	changed change.Signal
}

func (r *inbox) Receive(_ context.Context, in bot.Inbound) error {
	r.mu.Lock()
	n := len(r.calls)
	r.calls = append(r.calls, in)
	fail := r.fail
	r.mu.Unlock()
	defer r.changed.Notify()
	if fail != nil {
		return fail(n, in)
	}
	return nil
}

func (r *inbox) got() []bot.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// waitFor waits until Receive was called at least n times.
func (r *inbox) waitFor(t *testing.T, n int) []bot.Inbound {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.changed.Wait(ctx, func() bool { return len(r.got()) >= n }); err != nil {
		t.Fatalf("waiting for %d messages, the core received %+v", n, r.got())
	}
	return r.got()
}

// errInternal is a failure inside the core, such as a locked database.
var errInternal = errors.New("database is locked")

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newSim starts a simulator with a quick heartbeat and the test's people.
func newSim(t *testing.T, o discordsim.Options) *discordsim.Server {
	t.Helper()
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = time.Second
	}
	sim, err := discordsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	sim.AddUser(discordsim.User{ID: alice, Username: "alice", GlobalName: "Alice Agent"})
	sim.AddUser(discordsim.User{ID: bob, Username: "bob"})
	sim.AddUser(discordsim.User{ID: jane, Username: "jane", GlobalName: "Jane Doe"})
	sim.AddUser(discordsim.User{ID: other, Username: "otherbot", Bot: true})
	return sim
}

// options connect the Discord side to sim as desk and source.
func options(sim *discordsim.Server) discord.Options {
	o := sim.Options()
	return discord.Options{
		Token: o.Token, ApplicationID: o.ApplicationID, GuildID: o.GuildID,
		DeskChannelID: o.DeskChannelID, SourceChannelIDs: o.SourceChannelIDs, AcceptDMs: true,
		APIURL: sim.URL(), Backoff: 5 * time.Millisecond, Logger: quiet(),
		Now: func() time.Time { return now },
	}
}

func newDiscord(t *testing.T, sim *discordsim.Server, edit ...func(*discord.Options)) *discord.Discord {
	t.Helper()
	o := options(sim)
	for _, e := range edit {
		e(&o)
	}
	d, err := discord.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// run registers /desk and runs d's gateway for c and in until the test
// ends, and waits until the session is up.
func run(t *testing.T, sim *discordsim.Server, d *discord.Discord, c *core, in *inbox) {
	t.Helper()
	if err := d.RegisterCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var r handlers.Runner
	if c != nil {
		r = handlers.Runner{Actor: c, Log: quiet()}
	}
	var rcv discord.Receiver
	if in != nil {
		rcv = in
	}
	go func() { done <- d.Run(ctx, r, rcv) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after its context ended: %v", err)
		}
	})
	wait(t, sim, "the gateway session", func() bool { return sim.Identifies() >= 1 && sim.Connected() })
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
func posted(t *testing.T, d *discord.Discord) bot.Ticket {
	t.Helper()
	tk := ticket()
	thread, err := d.PostTicket(context.Background(), tk)
	if err != nil {
		t.Fatal(err)
	}
	tk.DeskThread = thread
	return tk
}

func wait(t *testing.T, sim *discordsim.Server, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sim.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitResponse waits until the agent sees the bot's final answer to in.
func waitResponse(t *testing.T, in discordsim.Interaction) discordsim.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := in.Wait(ctx, discordsim.Response.Done)
	if err != nil {
		t.Fatalf("waiting for the answer to an interaction: %v; so far %+v", err, r)
	}
	return r
}

// logBuffer is a logger that keeps what it writes, to check for secrets.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed change.Signal
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.changed.Notify()
	return l.buf.Write(p)
}

// waitFor waits until the log holds s.
func (l *logBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.changed.Wait(ctx, func() bool { return strings.Contains(l.String(), s) }); err != nil {
		t.Fatalf("waiting for %q in the log:\n%s", s, l)
	}
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sent reads the ref Send returned, "channel/t1,t2+f1": the channel, and
// the ids of the messages it sent, in order (those of the text's parts,
// then those of files alone).
func sent(t *testing.T, ref string) (channel string, ids []string) {
	t.Helper()
	channel, rest, ok := strings.Cut(ref, "/")
	if !ok {
		t.Fatalf("Send returned %q, which names no channel", ref)
	}
	text, files, _ := strings.Cut(rest, "+")
	ids = strings.Split(text, ",")
	if files != "" {
		ids = append(ids, strings.Split(files, ",")...)
	}
	return channel, ids
}

// lastSent is the id of the last message Send sent for ref.
func lastSent(t *testing.T, ref string) string {
	t.Helper()
	_, ids := sent(t, ref)
	return ids[len(ids)-1]
}
