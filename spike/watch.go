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
)

// Alerter posts a surge's alert, once: bot.Bot is one.
type Alerter interface {
	// Alert queues text in the desk's own channel and private to the
	// people of ping ("lead", "on_duty" or agent ids), when every one of
	// keys is new, and reports whether it did.
	Alert(ctx context.Context, keys []string, text, private string, ping []string) (bool, error)
}

// Watch reads the store every so often and tells the desk when a source's
// complaints surge, and when they calm down. One Watch runs per desk (on
// the leading replica); what it posted is recorded through the Alerter,
// so a restart or a new leader does not post it again.
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
	Now       func() time.Time
	Log       *slog.Logger

	mu     sync.Mutex
	states map[string]State // by source
}

// readCap bounds the complaints one window reads: a storm's hour, not a
// year.
const readCap = 50_000

// termsUsualCap bounds the usual messages the words are compared with.
const termsUsualCap = 5_000

// sparkSpan and sparkStep are the little chart of an alert: the last six
// hours in quarters of an hour.
const (
	sparkSpan = 6 * time.Hour
	sparkStep = 15 * time.Minute
)

// Check reads every source once and posts what has to be posted. It
// returns what it posted, for the log and for tests.
func (w *Watch) Check(ctx context.Context) ([]string, error) {
	now := w.Now().UTC()
	w.mu.Lock()
	if w.states == nil {
		w.states = map[string]State{}
	}
	var surging []string // read even when nothing came: that is how they calm down
	for src, st := range w.states {
		if !st.Since.IsZero() {
			surging = append(surging, src)
		}
	}
	w.mu.Unlock()
	s, err := w.survey(ctx, now, surging)
	if err != nil {
		return nil, err
	}
	var posted []string
	for _, r := range s.readings {
		w.mu.Lock()
		state, event := Step(w.states[r.Source], r, w.Policy)
		w.states[r.Source] = state
		w.mu.Unlock()
		switch event {
		case Spike:
			text, private, about := s.alert(r, w.Policy, w.HighReach)
			// At most one alert per source in a cool-down, even across
			// restarts and replicas: the cool-down's bucket and the one
			// before it must both be free.
			bucket := now.UnixNano() / int64(w.Policy.CoolDown)
			keys := []string{fmt.Sprintf("spike:%s:%d", r.Source, bucket-1), fmt.Sprintf("spike:%s:%d", r.Source, bucket)}
			ok, err := w.Alerter.Alert(ctx, keys, text, private, w.Ping)
			if err != nil {
				return posted, fmt.Errorf("alert of a surge on %s: %w", r.Source, err)
			}
			if !ok {
				continue
			}
			posted = append(posted, text)
			// Kept for the weekly digest.
			if err := w.Store.Update(ctx, func(tx bot.Tx) error {
				return tx.AddSurge(&bot.Surge{Source: r.Source, Started: now, Peak: r.Count, Usual: r.Usual, About: about})
			}); err != nil {
				return posted, fmt.Errorf("record the surge on %s: %w", r.Source, err)
			}
		case Calm:
			text := fmt.Sprintf("📉 Complaints on %s are calming down: %d in the last %s, usually %s at this hour (the peak was %d).",
				network(r.Source), r.Count, span(w.Policy.Window), usual(r.Usual), state.Peak)
			ok, err := w.Alerter.Alert(ctx, []string{fmt.Sprintf("spike-calm:%s:%d", r.Source, state.Alerted.Unix())}, text, "", nil)
			if err != nil {
				return posted, fmt.Errorf("calm after a surge on %s: %w", r.Source, err)
			}
			if !ok {
				continue
			}
			posted = append(posted, text)
			if err := w.Store.Update(ctx, func(tx bot.Tx) error { return tx.EndSurge(r.Source, now, state.Peak) }); err != nil {
				return posted, fmt.Errorf("record the end of the surge on %s: %w", r.Source, err)
			}
		}
	}
	return posted, nil
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
	now := w.Now().UTC()
	s, err := w.survey(ctx, now, nil)
	if err != nil {
		return "", err
	}
	if len(s.readings) == 0 {
		return fmt.Sprintf("No complaints in the last %s, nor at this hour in the past %d weeks.", span(w.Policy.Window), w.Policy.Weeks), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Complaints in the last %s, against the usual at this hour of the week (a spike is %s× and at least %d):",
		span(w.Policy.Window), strconv.FormatFloat(w.Policy.Factor, 'f', -1, 64), w.Policy.Min)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range s.readings {
		fmt.Fprintf(&b, "\n• %s: %d, usually %s", network(r.Source), r.Count, usual(r.Usual))
		if r.History < w.Policy.Weeks {
			fmt.Fprintf(&b, " (%s of history)", weeks(r.History))
		}
		if since := w.states[r.Source].Since; !since.IsZero() {
			fmt.Fprintf(&b, " — 🚨 surging since %s", bot.At(since, "t"))
		} else if r.Over {
			b.WriteString(" — 🚨 a spike")
		}
	}
	return b.String(), nil
}

// survey is one look at the store: the complaints of the window now and
// in the past weeks, by source.
type survey struct {
	readings []Reading
	now      []bot.Ticket // the window's complaints, oldest first
	usual    []bot.Ticket // the same window's in past weeks, at most termsUsualCap
	recent   []bot.Ticket // the last sparkSpan's, for the chart
	at       time.Time
}

func (w *Watch) survey(ctx context.Context, now time.Time, also []string) (survey, error) {
	s := survey{at: now}
	counts := map[time.Time]map[string]int{} // by window start
	var since time.Time
	err := w.Store.View(ctx, func(tx bot.Tx) error {
		first, err := tx.TicketsOpened(time.Unix(0, 0), now, 0, 1) // a zero time is "never" to the stores
		if err != nil {
			return err
		}
		if len(first) == 0 {
			return nil
		}
		since = first[0].OpenedAt
		for k := 0; k <= w.Policy.Weeks; k++ {
			until := now.AddDate(0, 0, -7*k)
			from := until.Add(-w.Policy.Window)
			if until.Before(since) {
				break
			}
			ts, err := opened(tx, from, until, readCap)
			if err != nil {
				return err
			}
			c := map[string]int{}
			for _, t := range ts {
				c[t.Source]++
			}
			counts[from] = c
			if k == 0 {
				s.now = ts
			} else if room := termsUsualCap - len(s.usual); room > 0 {
				s.usual = append(s.usual, ts[:min(room, len(ts))]...)
			}
		}
		s.recent, err = opened(tx, now.Add(-sparkSpan), now, readCap)
		return err
	})
	if err != nil || since.IsZero() {
		return s, err
	}
	sources := map[string]bool{}
	for _, src := range also {
		sources[src] = true
	}
	for _, c := range counts {
		for src := range c {
			sources[src] = true
		}
	}
	count := func(source string, from, _ time.Time) (int, error) { return counts[from][source], nil }
	for _, src := range slices.Sorted(maps.Keys(sources)) {
		r, err := Read(count, w.Policy, src, since, now)
		if err != nil {
			return s, err
		}
		s.readings = append(s.readings, r)
	}
	return s, nil
}

// opened is the tickets opened in [from, until), at most limit.
func opened(tx bot.Tx, from, until time.Time, limit int) ([]bot.Ticket, error) {
	var out []bot.Ticket
	after, afterID := from, int64(0)
	for len(out) < limit {
		n := min(1000, limit-len(out))
		page, err := tx.TicketsOpened(after, until, afterID, n)
		if err != nil {
			return out, fmt.Errorf("tickets opened %s–%s: %w", from.Format(time.RFC3339), until.Format(time.RFC3339), err)
		}
		out = append(out, page...)
		if len(page) < n {
			break
		}
		last := page[len(page)-1]
		after, afterID = last.OpenedAt, last.ID
	}
	return out, nil
}

// alert is the channel's message about r's surge, the direct message to
// the people it pings, and what the surge is about, for the digest.
func (s survey) alert(r Reading, p Policy, highReach int) (text, private, about string) {
	var spikeDocs, usualDocs []Doc
	var loud []bot.Ticket
	for _, t := range s.now {
		if t.Source != r.Source {
			continue
		}
		spikeDocs = append(spikeDocs, Doc{Language: t.Language, Text: t.Text})
		if t.HighReach(highReach) {
			loud = append(loud, t)
		}
	}
	for _, t := range s.usual {
		if t.Source == r.Source {
			usualDocs = append(usualDocs, Doc{Language: t.Language, Text: t.Text})
		}
	}
	times := "a spike"
	if r.Usual > 0 {
		times = fmt.Sprintf("%.1f×", float64(r.Count)/r.Usual)
	}
	head := fmt.Sprintf("Complaints are surging on %s: %d in the last %s, usually %s at this hour (%s).",
		network(r.Source), r.Count, span(p.Window), usual(r.Usual), times)
	var b strings.Builder
	b.WriteString("🚨 " + bot.Here + " " + head)
	if terms := Terms(spikeDocs, usualDocs, 5); len(terms) > 0 {
		var parts []string
		for _, t := range terms {
			parts = append(parts, fmt.Sprintf("“%s” (%d)", bot.Quote(t.Text), t.Spike))
		}
		about = strings.Join(parts, ", ")
		b.WriteString("\nAbout: " + about + ".")
	}
	if len(loud) > 0 {
		slices.SortStableFunc(loud, func(x, y bot.Ticket) int { return cmp.Compare(y.Customer.Followers, x.Customer.Followers) })
		var parts []string
		for _, t := range loud[:min(3, len(loud))] {
			parts = append(parts, fmt.Sprintf("#%d %s (%s followers)", t.ID, bot.Quote(name(t.Customer)), thousands(t.Customer.Followers)))
		}
		fmt.Fprintf(&b, "\nHigh reach among them: %s.", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "\nThe last 6 hours, each mark a quarter: %s", s.spark(r.Source))
	private = "🚨 " + head
	if about != "" {
		private += " About: " + about + "."
	}
	return b.String(), private + " The desk channel has the rest.", about
}

// spark draws the source's complaints of the last six hours, a quarter
// of an hour a mark.
func (s survey) spark(source string) string {
	n := int(sparkSpan / sparkStep)
	slots := make([]int, n)
	start := s.at.Add(-sparkSpan)
	for _, t := range s.recent {
		if t.Source != source || t.OpenedAt.Before(start) {
			continue
		}
		if i := int(t.OpenedAt.Sub(start) / sparkStep); i >= 0 && i < n {
			slots[i]++
		}
	}
	top := slices.Max(slots)
	marks := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, c := range slots {
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

// thousands writes 48200 as 48,200.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
