package spike

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"caredesk/bot"
	"caredesk/handlers"
)

// Alerter posts a surge's alert, once: bot.Bot is one.
type Alerter interface {
	// Alert queues text in the desk's own channel and private to the
	// people of ping ("lead", "on_duty" or agent ids), when every one of
	// keys is new, runs also in the same transaction, and reports whether
	// it did.
	Alert(ctx context.Context, keys []string, text, private string, ping []string, also func(bot.Tx) error) (bool, error)
}

// Watch reads the store every so often and tells the desk when a source's
// complaints surge, and when they calm down. One Watch runs per desk (on
// the leading replica). What it announced is kept in the store as surges
// (bot.Surge), recorded in the transaction that queues the alert: a
// surge is open from its alert to its calm, so a restart or a new leader
// carries on where the last one was, never announcing a surge twice nor
// leaving one without its calm.
type Watch struct {
	Store   bot.Store
	Alerter Alerter
	Policy  Policy
	// Ping is who gets a direct message with each alert: "lead",
	// "on_duty", or agent ids.
	Ping []string
	// HighReach is the follower count from which an author is named in
	// the alert; 0 for never.
	HighReach int
	// Location is the desk's clock: a past week is the same hour on it,
	// across a change of summer time. nil is UTC.
	Location *time.Location
	Now      func() time.Time
	Log      *slog.Logger

	mu    sync.Mutex
	first map[string]time.Time // each source's first complaint, once known
	peaks map[int64]int        // the highest count of each open surge seen here
}

// termsUsualCap bounds the usual messages the words are compared with,
// and readCap the surge's own.
const (
	termsUsualCap = 5_000
	readCap       = 20_000
)

// sparkSpan and sparkStep are the little chart of an alert: the last six
// hours in quarters of an hour.
const (
	sparkSpan = 6 * time.Hour
	sparkStep = 15 * time.Minute
)

// Check reads every source once and posts what has to be posted. It
// returns what it posted, for the log and for tests.
func (w *Watch) Check(ctx context.Context) ([]string, error) {
	now := w.now()
	s, err := w.survey(ctx, now)
	if err != nil {
		return nil, err
	}
	var posted []string
	for _, r := range s.readings {
		open := s.surges[r.Source]
		state, event := Step(w.state(open), r, w.Policy)
		switch event {
		case None:
			if open.ID != 0 {
				w.mu.Lock()
				w.peaks[open.ID] = max(w.peaks[open.ID], state.Peak)
				w.mu.Unlock()
			}
		case Spike:
			text, private, about, err := w.alert(ctx, r, now)
			if err != nil {
				return posted, err
			}
			// The key stops a second leader that looks in the same window.
			key := fmt.Sprintf("spike:%s:%d", r.Source, now.Truncate(w.Policy.Window).Unix())
			ok, err := w.Alerter.Alert(ctx, []string{key}, text, private, w.Ping, func(tx bot.Tx) error {
				return tx.AddSurge(&bot.Surge{Source: r.Source, Started: now.UTC(), Peak: r.Count, Usual: r.Usual, About: about})
			})
			if err != nil {
				return posted, fmt.Errorf("alert of a surge on %s: %w", r.Source, err)
			}
			if ok {
				posted = append(posted, text)
			}
		case Calm:
			text := fmt.Sprintf("📉 Complaints on %s are calming down: %d in the last %s, usually %s at this hour (the peak was %d).",
				network(r.Source), r.Count, span(w.Policy.Window), usual(r.Usual), state.Peak)
			key := fmt.Sprintf("spike-calm:%s:%d", r.Source, open.Started.Unix())
			ok, err := w.Alerter.Alert(ctx, []string{key}, text, "", nil, func(tx bot.Tx) error {
				return tx.EndSurge(r.Source, now.UTC(), state.Peak)
			})
			if err != nil {
				return posted, fmt.Errorf("calm after a surge on %s: %w", r.Source, err)
			}
			if ok {
				posted = append(posted, text)
			}
		}
	}
	return posted, nil
}

// state is what Step knows of a source from its newest surge: open (Since
// set) or ended within the cool-down.
func (w *Watch) state(newest bot.Surge) State {
	if newest.ID == 0 {
		return State{}
	}
	s := State{Alerted: newest.Started, Peak: newest.Peak}
	if newest.Ended.IsZero() {
		s.Since = newest.Started
		w.mu.Lock()
		s.Peak = max(s.Peak, w.peaks[newest.ID])
		w.mu.Unlock()
	}
	return s
}

func (w *Watch) now() time.Time {
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	return w.Now().In(loc)
}

// Run checks every interval until ctx ends, logging what fails.
func (w *Watch) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("spike watch: could not read or post; trying again at the next check", "err", err)
		}
	}
}

// Rates is what /desk spike answers: each source's complaints now against
// the usual at this hour of the week.
func (w *Watch) Rates(ctx context.Context) (string, error) {
	s, err := w.survey(ctx, w.now())
	if err != nil {
		return "", err
	}
	if len(s.readings) == 0 {
		return fmt.Sprintf("No complaints in the last %s, nor at this hour in the past %d weeks.", span(w.Policy.Window), w.Policy.Weeks), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Complaints in the last %s, against the usual at this hour of the week (a spike is %s× and at least %d):",
		span(w.Policy.Window), strconv.FormatFloat(w.Policy.Factor, 'f', -1, 64), w.Policy.Min)
	for _, r := range s.readings {
		fmt.Fprintf(&b, "\n• %s: %d, usually %s", network(r.Source), r.Count, usual(r.Usual))
		if r.History < w.Policy.Weeks {
			fmt.Fprintf(&b, " (%s of history)", weeks(r.History))
		}
		if open := s.surges[r.Source]; open.ID != 0 && open.Ended.IsZero() {
			fmt.Fprintf(&b, " — 🚨 surging since %s", bot.At(open.Started, "t"))
		} else if r.Over {
			b.WriteString(" — 🚨 a spike")
		}
	}
	return b.String(), nil
}

// survey is one look at the store: each source's reading, and its newest
// surge that is open or ended within the cool-down.
type survey struct {
	readings []Reading
	surges   map[string]bot.Surge
}

func (w *Watch) survey(ctx context.Context, now time.Time) (survey, error) {
	s := survey{surges: map[string]bot.Surge{}}
	counts := map[int64]map[string]int{} // by the window's start
	sources := map[string]bool{}
	err := w.Store.View(ctx, func(tx bot.Tx) error {
		for k := 0; k <= w.Policy.Weeks; k++ {
			until := now.AddDate(0, 0, -7*k)
			from := until.Add(-w.Policy.Window)
			c, err := tx.CountOpened(from, until)
			if err != nil {
				return fmt.Errorf("count the complaints of %s–%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
			}
			counts[from.UnixNano()] = c
			for src := range c {
				sources[src] = true
			}
		}
		surges, err := tx.Surges(now.Add(-w.Policy.CoolDown), now.Add(time.Millisecond)) // the stores keep microseconds
		if err != nil {
			return fmt.Errorf("read the surges: %w", err)
		}
		for _, sg := range surges { // oldest first: the newest of each source stays
			s.surges[sg.Source] = sg
			sources[sg.Source] = true // an open surge is read even when nothing came: that is how it calms down
		}
		return w.learnFirsts(tx, sources)
	})
	if err != nil {
		return s, err
	}
	count := func(source string, from, _ time.Time) (int, error) { return counts[from.UnixNano()][source], nil }
	for _, src := range slices.Sorted(maps.Keys(sources)) {
		w.mu.Lock()
		since := w.first[src]
		w.mu.Unlock()
		if since.IsZero() {
			continue
		}
		r, err := Read(count, w.Policy, src, since, now)
		if err != nil {
			return s, err
		}
		s.readings = append(s.readings, r)
	}
	return s, nil
}

// learnFirsts finds when each source brought its first complaint, once:
// a source connected last week has a week of history, whatever the desk's.
func (w *Watch) learnFirsts(tx bot.Tx, sources map[string]bool) error {
	w.mu.Lock()
	if w.first == nil {
		w.first, w.peaks = map[string]time.Time{}, map[int64]int{}
	}
	var unknown []string
	for src := range sources {
		if _, ok := w.first[src]; !ok {
			unknown = append(unknown, src)
		}
	}
	w.mu.Unlock()
	for _, src := range unknown {
		at, err := tx.FirstOpened(src)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return fmt.Errorf("the first complaint from %s: %w", src, err)
		}
		w.mu.Lock()
		w.first[src] = at
		w.mu.Unlock()
	}
	return nil
}

// opened is the tickets opened in [from, until), at most limit.
func opened(ctx context.Context, tx bot.Tx, from, until time.Time, limit int) ([]bot.Ticket, error) {
	var out []bot.Ticket
	err := bot.EachOpened(ctx, tx, from, until, min(1000, limit), func(t bot.Ticket) bool {
		out = append(out, t)
		return len(out) < limit
	})
	if err != nil {
		return out, fmt.Errorf("tickets opened %s–%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
	}
	return out, nil
}

// alert is the channel's message about r's surge, the direct message to
// the people it pings, and what the surge is about, for the digest. It
// reads the surge's complaints, the usual ones and the last hours' counts
// only now: once per alert, not at every look.
func (w *Watch) alert(ctx context.Context, r Reading, now time.Time) (text, private, about string, err error) {
	var spikeDocs, usualDocs []Doc
	var loud []bot.Ticket
	slots := make([]int, int(sparkSpan/sparkStep))
	where := network(r.Source) // or as its complaints name it: "X (Twitter)"
	err = w.Store.View(ctx, func(tx bot.Tx) error {
		ts, err := opened(ctx, tx, r.From, r.Until, readCap)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.Source != r.Source {
				continue
			}
			if len(spikeDocs) == 0 {
				where = bot.NetworkOf(t)
			}
			spikeDocs = append(spikeDocs, Doc{Language: t.Language, Text: t.Text})
			if t.HighReach(w.HighReach) {
				loud = append(loud, t)
			}
		}
		for k := 1; k <= w.Policy.Weeks && len(usualDocs) < termsUsualCap; k++ {
			until := now.AddDate(0, 0, -7*k)
			ts, err := opened(ctx, tx, until.Add(-w.Policy.Window), until, readCap)
			if err != nil {
				return err
			}
			for _, t := range ts {
				if t.Source == r.Source && len(usualDocs) < termsUsualCap {
					usualDocs = append(usualDocs, Doc{Language: t.Language, Text: t.Text})
				}
			}
		}
		start := now.Add(-sparkSpan)
		for i := range slots {
			c, err := tx.CountOpened(start.Add(time.Duration(i)*sparkStep), start.Add(time.Duration(i+1)*sparkStep))
			if err != nil {
				return err
			}
			slots[i] = c[r.Source]
		}
		return nil
	})
	if err != nil {
		return "", "", "", fmt.Errorf("read the surge on %s: %w", r.Source, err)
	}
	times := "a spike"
	if r.Usual > 0 {
		times = fmt.Sprintf("%.1f×", float64(r.Count)/r.Usual)
	}
	head := fmt.Sprintf("Complaints are surging on %s: %d in the last %s, usually %s at this hour (%s).",
		where, r.Count, span(w.Policy.Window), usual(r.Usual), times)
	var b strings.Builder
	b.WriteString("🚨 " + bot.Here + " " + head)
	if terms := Terms(spikeDocs, usualDocs, 5); len(terms) > 0 {
		about = Summary(terms, len(terms))
		b.WriteString("\nAbout: " + about + ".")
	}
	if len(loud) > 0 {
		slices.SortStableFunc(loud, func(x, y bot.Ticket) int { return cmp.Compare(y.Customer.Followers, x.Customer.Followers) })
		var parts []string
		for _, t := range loud[:min(3, len(loud))] {
			parts = append(parts, fmt.Sprintf("#%d %s (%s followers)", t.ID, bot.Quote(name(t.Customer)), handlers.Thousands(t.Customer.Followers)))
		}
		fmt.Fprintf(&b, "\nHigh reach among them: %s.", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "\nThe last 6 hours, each mark a quarter: %s", spark(slots))
	private = "🚨 " + head
	if about != "" {
		private += " About: " + about + "."
	}
	return b.String(), private + " The desk channel has the rest.", about, nil
}

// spark draws counts as a line of bars, with the tallest's count.
func spark(counts []int) string {
	top := slices.Max(counts)
	marks := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, c := range counts {
		i := 0
		if top > 0 {
			i = c * (len(marks) - 1) / top
		}
		b.WriteRune(marks[i])
	}
	return fmt.Sprintf("%s (at most %d a quarter)", b.String(), top)
}

func network(source string) string {
	if source == "" {
		return "every network"
	}
	return bot.NetworkOf(bot.Ticket{Source: source})
}

func name(c bot.Customer) string {
	if c.Handle != "" {
		return "@" + c.Handle
	}
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// usual writes a usual count the way people say it: 5, 5.5.
func usual(u float64) string { return strconv.FormatFloat(u, 'f', -1, 64) }

func weeks(n int) string {
	if n == 1 {
		return "1 week"
	}
	return fmt.Sprintf("%d weeks", n)
}

// span writes a window: 30 min, 1 h, 1 h 30 min.
func span(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
