package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"caredesk/bot"
	"caredesk/store/sqlite"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// desk records what the core shows the team, as a desk would display it.
type desk struct {
	mu        sync.Mutex
	n         int
	roots     map[string]bot.Ticket // root id → the ticket as last rendered
	thread    map[string][]bot.Message
	whispers  []string // "agent: text"
	marked    []string // desk refs marked delivered
	announced []string // channel announcements
	dms       []string // "agent: text"
	clock     *clock   // stamps the transcript
	log       []string // everything the team saw, in order, with the time
	fail      error    // every call fails with this while set
	lose      int      // the next PostTicket calls post, then lose the answer
	loseMsg   int      // the next PostMessage calls post, then lose the answer
}

// FindMessage makes the fake desk a bot.MessageFinder.
func (d *desk) FindMessage(_ context.Context, t bot.Ticket, m bot.Message) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, posted := range d.thread[t.DeskThread] {
		if posted.ID == m.ID {
			return posted.DeskRef, nil
		}
	}
	return "", nil
}

// FindTicket makes the fake desk a bot.RootFinder.
func (d *desk) FindTicket(_ context.Context, t bot.Ticket) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ref, root := range d.roots {
		if root.ID == t.ID {
			return ref, nil
		}
	}
	return "", nil
}

func newDesk() *desk {
	return &desk{roots: map[string]bot.Ticket{}, thread: map[string][]bot.Message{}}
}

func (d *desk) PostTicket(_ context.Context, t bot.Ticket) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return "", d.fail
	}
	d.n++
	ref := fmt.Sprintf("root-%d", d.n)
	d.roots[ref] = t
	d.saw("#%d opened: %s", t.ID, t.Text)
	if d.lose > 0 {
		d.lose--
		return "", fmt.Errorf("connection reset before the answer arrived")
	}
	return ref, nil
}

func (d *desk) UpdateTicket(_ context.Context, t bot.Ticket) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.roots[t.DeskThread] = t
	return nil
}

func (d *desk) PostMessage(_ context.Context, t bot.Ticket, m bot.Message) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return "", d.fail
	}
	d.n++
	m.DeskRef = fmt.Sprintf("msg-%d", d.n)
	d.thread[t.DeskThread] = append(d.thread[t.DeskThread], m)
	d.saw("  #%d thread: %s", t.ID, m.Text)
	if d.loseMsg > 0 {
		d.loseMsg--
		return "", fmt.Errorf("connection reset before the answer arrived")
	}
	return m.DeskRef, nil
}

func (d *desk) Whisper(_ context.Context, _ bot.Ticket, agent, text string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.whispers = append(d.whispers, agent+": "+text)
	return nil
}

func (d *desk) MarkDelivered(_ context.Context, _ bot.Ticket, m bot.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.marked = append(d.marked, m.DeskRef)
	return nil
}

func (d *desk) Announce(_ context.Context, channel, text string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	if channel != "" {
		text = "<#" + channel + "> " + text // which team's channel heard it
	}
	d.announced = append(d.announced, text)
	d.saw("channel: %s", text)
	return nil
}

func (d *desk) DirectMessage(_ context.Context, agent, text string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.dms = append(d.dms, agent+": "+text)
	d.saw("  DM to %s: %s", agent, text)
	return nil
}

// saw adds a line to the transcript; the caller holds d.mu.
func (d *desk) saw(format string, args ...any) {
	when := ""
	if d.clock != nil {
		when = d.clock.Now().Format("Mon 15:04") + "  "
	}
	d.log = append(d.log, when+fmt.Sprintf(format, args...))
}

func (d *desk) setFail(err error) { d.mu.Lock(); d.fail = err; d.mu.Unlock() }

// customers records what customers receive on a source.
type customers struct {
	mu   sync.Mutex
	got  []bot.Outgoing
	errs []error // returned by the next calls, in order
}

func (c *customers) Send(_ context.Context, m bot.Outgoing) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) > 0 {
		err := c.errs[0]
		c.errs = c.errs[1:]
		return "", err
	}
	c.got = append(c.got, m)
	return fmt.Sprintf("tg-%d", len(c.got)), nil
}

func (c *customers) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s []string
	for _, m := range c.got {
		s = append(s, m.Text)
	}
	return s
}

// world is the core with its store, clock, desk and one source.
type world struct {
	t       *testing.T
	db      *sqlite.DB
	clock   *clock
	desk    *desk
	tg      *customers
	dc      *opener // a Discord-like source, for worlds that wire it
	bot     *bot.Bot
	courier *bot.Courier
}

var (
	alice = bot.Agent{ID: "UALICE", Name: "alice"}
	bob   = bot.Agent{ID: "UBOB", Name: "bob"}
	carol = bot.Agent{ID: "UCAROL", Name: "carol"}
	jane  = bot.Customer{ID: "1001", Name: "Jane Doe", Handle: "jane"}
)

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, bot.DefaultPolicy(), time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC))
}

// newWorldWith is a world whose core keeps policy, starting at now.
func newWorldWith(t *testing.T, policy bot.Policy, now time.Time) *world {
	t.Helper()
	db, err := sqlite.Open(t.TempDir() + "/caredesk.db")
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{t: t, db: db, clock: &clock{now: now}, desk: newDesk(), tg: &customers{}, dc: &opener{}}
	w.desk.clock = w.clock
	quiet := slog.New(slog.DiscardHandler)
	w.courier = bot.NewCourier(db, w.desk, map[string]bot.Source{"telegram": w.tg},
		bot.CourierClock(w.clock), bot.CourierLogger(quiet), bot.CourierRetry(bot.Retry{Min: time.Second, Max: time.Minute, GiveUpAfter: time.Hour}))
	w.bot = bot.New(db, bot.WithClock(w.clock), bot.WithPolicy(policy), bot.WithLogger(quiet))
	return w
}

// writes is a customer message arriving from Telegram, then everything due
// delivered.
func (w *world) writes(c bot.Customer, id int, text string) {
	w.t.Helper()
	w.receive(c, id, text)
	w.flush()
}

func (w *world) flush() {
	w.t.Helper()
	if err := w.courier.Flush(context.Background()); err != nil {
		w.t.Fatalf("flush: %v", err)
	}
}

// act runs an agent's action and delivers what it queued.
func (w *world) act(a bot.Action) (string, error) {
	w.t.Helper()
	res, err := w.bot.Act(context.Background(), a)
	w.flush()
	return res.Text, err
}

func (w *world) ticket(n int64) bot.Ticket {
	w.t.Helper()
	var t bot.Ticket
	err := w.db.View(context.Background(), func(tx bot.Tx) (err error) {
		t, err = tx.Ticket(n)
		return err
	})
	if err != nil {
		w.t.Fatalf("ticket #%d: %v", n, err)
	}
	return t
}

func (w *world) outbox() int {
	w.t.Helper()
	n, err := w.db.OutboxLen(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}
