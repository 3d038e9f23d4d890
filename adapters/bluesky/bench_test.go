package bluesky

// The benchmarks are in the package itself, not in bluesky_test: a poll
// is measured by calling l.poll, as Run does between its waits, since the
// package has no export_test.go hook like the feed's PollOnce and Run's
// wait is a real timer.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"caredesk/bot"
	"caredesk/listen"
	"caredesk/sim/blueskysim"
)

const (
	benchHandle   = "acme.bsky.social"
	benchPassword = "abcd-efgh-ijkl-mnop"
)

// benchMeter counts what a listener's HTTP client asked and was sent:
// requests, response bodies, and the bytes on the wire both ways
// (status lines, headers and chunking included).
type benchMeter struct {
	requests, body, wireIn, wireOut atomic.Int64
}

// client is a listen.Client that does not hold back requests and counts
// them in m.
func (m *benchMeter) client() *listen.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &benchConn{Conn: c, m: m}, nil
		},
		MaxIdleConnsPerHost: 4,
	}
	return &listen.Client{PerHost: rate.Inf, HTTP: &http.Client{Timeout: 30 * time.Second, Transport: benchTransport{tr, m}}}
}

type benchSnapshot struct{ requests, body, wireIn, wireOut int64 }

func (m *benchMeter) snapshot() benchSnapshot {
	return benchSnapshot{m.requests.Load(), m.body.Load(), m.wireIn.Load(), m.wireOut.Load()}
}

// report reports what was counted since from, per n units of what.
func (m *benchMeter) report(b *testing.B, from benchSnapshot, n float64, what string) {
	now := m.snapshot()
	b.ReportMetric(float64(now.requests-from.requests)/n, "req/"+what)
	b.ReportMetric(float64(now.body-from.body)/n, "resp-B/"+what)
	b.ReportMetric(float64(now.wireIn-from.wireIn)/n, "wire-in-B/"+what)
	b.ReportMetric(float64(now.wireOut-from.wireOut)/n, "wire-out-B/"+what)
}

type benchTransport struct {
	base http.RoundTripper
	m    *benchMeter
}

func (t benchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.m.requests.Add(1)
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		resp.Body = &benchBody{ReadCloser: resp.Body, m: t.m}
	}
	return resp, err
}

type benchBody struct {
	io.ReadCloser
	m *benchMeter
}

func (b *benchBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.m.body.Add(int64(n))
	return n, err
}

type benchConn struct {
	net.Conn
	m *benchMeter
}

func (c *benchConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.m.wireIn.Add(int64(n))
	return n, err
}

func (c *benchConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.m.wireOut.Add(int64(n))
	return n, err
}

// benchCPU is the CPU time (user and system) the process used so far:
// the listener's and the simulator's, since both run here.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTickets is the core as the benchmarks see it: each distinct post
// opens one ticket, and a post handed again opens none.
type benchTickets struct {
	handed  int
	tickets map[string]bool
}

func (t *benchTickets) Receive(_ context.Context, in bot.Inbound) error {
	t.handed++
	if t.tickets == nil {
		t.tickets = map[string]bool{}
	}
	t.tickets[in.MessageID] = true
	return nil
}

// benchSearch is the one search of the benchmarks: the brand's name,
// which finds the mentions too.
const benchSearch = "acme"

// benchPost adds the k-th post of a day to s: even ones mention the
// brand (found by the notifications and by the search), odd ones only
// name it (found by the search alone). Every post is by a new customer,
// whose followers the listener asks for once (getProfile).
func benchPost(s *blueskysim.Server, day, k int) string {
	who := fmt.Sprintf("customer%d-%d.bsky.social", day, k)
	if k%2 == 0 {
		return s.Mention(who, fmt.Sprintf("my card was charged twice (%d/%d) and nobody answers the phone, please help", day, k), blueskysim.Langs("en"))
	}
	return s.Post(who, fmt.Sprintf("Acme refund still missing after three weeks (%d/%d), the app says the card is blocked", day, k), blueskysim.Langs("en"))
}

// benchListener is a listener of s with one search, the filter a desk
// would have, and a counting client.
func benchListener(b *testing.B, s *blueskysim.Server, m *benchMeter) *Listener {
	b.Helper()
	filter, err := listen.Filter{Include: []string{"acme"}, Exclude: []string{"hiring"}}.Compile("bench")
	if err != nil {
		b.Fatal(err)
	}
	l, err := New(Options{
		Name: "acme", Service: s.URL(), Handle: benchHandle, AppPassword: benchPassword,
		Searches: []string{benchSearch}, Filter: filter, Client: m.client(), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// benchNetwork is a simulated Bluesky carrying yesterday: 200 posts about
// the brand, 100 of them in its notifications.
func benchNetwork(b *testing.B) *blueskysim.Server {
	b.Helper()
	s, err := blueskysim.New(blueskysim.Options{Handle: benchHandle, AppPassword: benchPassword})
	if err != nil {
		b.Fatal(err)
	}
	for k := range 200 {
		benchPost(s, 0, k)
	}
	return s
}

// BenchmarkPoll measures one poll (the notifications, one search, and
// the direct messages: requests, then accepted conversations) of a
// network that carries a day of posts about the brand: the requests and
// the bytes per poll, and the time and allocations of the whole round
// trip, the simulator's share included (cpu-ns/poll is the process's CPU
// time, both sides). The first poll, which logs in and hands yesterday,
// is not measured.
//
//   - nothing-new: no post since the last poll; Bluesky has no cursor for
//     "newer than", so the first page of notifications (50) and of the
//     search (25) are read again, and nothing is handed.
//   - new-post: one new mention per poll (deleted after it, so that
//     the network keeps a day's posts), by a new customer, which the
//     notifications and the search both find; it is handed once, after
//     a getProfile for the customer's followers.
func BenchmarkPoll(b *testing.B) {
	for _, mode := range []string{"nothing-new", "new-post"} {
		b.Run(mode, func(b *testing.B) {
			s := benchNetwork(b)
			defer s.Close()
			m := &benchMeter{}
			l := benchListener(b, s, m)
			ctx := context.Background()
			handed := &benchTickets{}
			if err := l.poll(ctx, handed); err != nil {
				b.Fatal(err)
			}
			first := handed.handed
			from := m.snapshot()
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				id := ""
				if mode == "new-post" {
					b.StopTimer()
					id = benchPost(s, 1, 2*i) // a mention
					b.StartTimer()
				}
				c := benchCPU()
				if err := l.poll(ctx, handed); err != nil {
					b.Fatal(err)
				}
				cpu += benchCPU() - c
				if id != "" {
					// Gone again, so that the instance holds a day's
					// posts however long the benchmark runs, and a
					// poll's time does not grow with b.N.
					b.StopTimer()
					s.Delete(id)
					b.StartTimer()
				}
			}
			n := float64(b.N)
			m.report(b, from, n, "poll")
			b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/poll")
			b.ReportMetric(float64(handed.handed-first)/n, "handed/poll")
		})
	}
}

// benchPostsPerDay are the mentions and search hits about the brand in
// the day BenchmarkDay plays.
const benchPostsPerDay = 200

// BenchmarkDay plays a day of the brand on Bluesky, compressed: the polls
// of a day at DefaultEvery (1440 at one a minute), with the day's 200
// posts (half mentions, half search hits, each by a new customer) made
// between them, on a network that carries yesterday's 200, already handed
// by the poll before the day. One op is one day. It reports what a day
// costs, and the same per hour: requests, response bytes, CPU time (ns/op
// is the day's wall time; cpu-ms/h is the process's CPU time, listener
// and simulator), and tickets: distinct posts handed, which should be the
// day's 200, once each, though every post stays in the first pages of the
// notifications and the search for many polls (missed/day says how many
// were not). The "even" day spreads the posts evenly; the "burst" day
// makes 60 of them in one minute, 30 of them search hits: more than one
// page of searchPosts (25).
func BenchmarkDay(b *testing.B) {
	polls := int(24 * time.Hour / DefaultEvery)
	for _, day := range []string{"even", "burst"} {
		b.Run(day, func(b *testing.B) { benchDay(b, polls, benchSchedule(day, polls)) })
	}
}

// benchSchedule says how many of the day's posts are made before each of
// its polls: "even" spreads them evenly; "burst" spreads 140 evenly and
// makes the other 60 (30 mentions, 30 search hits) in the minute before
// the poll at noon, as a post that goes viral does.
func benchSchedule(day string, polls int) []int {
	due := make([]int, polls)
	switch day {
	case "even":
		for p := range polls {
			due[p] = (p + 1) * benchPostsPerDay / polls
		}
	case "burst":
		const burst = 60
		for p := range polls {
			due[p] = (p + 1) * (benchPostsPerDay - burst) / polls
			if p >= polls/2 {
				due[p] += burst
			}
		}
	}
	return due
}

// benchDay plays days whose posts are made before each poll as due says.
func benchDay(b *testing.B, polls int, due []int) {
	var (
		m               benchMeter
		sum             benchSnapshot // of the days' polls only
		cpu             time.Duration
		tickets, handed int
	)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s := benchNetwork(b)
		l := benchListener(b, s, &m)
		if err := l.poll(ctx, &benchTickets{}); err != nil { // the poll before the day
			b.Fatal(err)
		}
		day := &benchTickets{}
		from := m.snapshot()
		posted := 0
		b.StartTimer()
		for p := range polls {
			if due[p] > posted { // the posts made since the last poll
				b.StopTimer()
				for ; posted < due[p]; posted++ {
					benchPost(s, 1, posted)
				}
				b.StartTimer()
			}
			c := benchCPU()
			if err := l.poll(ctx, day); err != nil {
				b.Fatal(err)
			}
			cpu += benchCPU() - c
		}
		b.StopTimer()
		to := m.snapshot()
		sum.requests += to.requests - from.requests
		sum.body += to.body - from.body
		sum.wireIn += to.wireIn - from.wireIn
		sum.wireOut += to.wireOut - from.wireOut
		tickets += len(day.tickets)
		handed += day.handed
		s.Close()
		b.StartTimer()
	}
	days := float64(b.N)
	b.ReportMetric(float64(polls), "polls/day")
	b.ReportMetric(float64(tickets)/days, "tickets/day")
	b.ReportMetric(float64(benchPostsPerDay)-float64(tickets)/days, "missed/day")
	b.ReportMetric(float64(handed)/days, "handed/day")
	b.ReportMetric(float64(sum.requests)/days/24, "req/h")
	b.ReportMetric(float64(sum.body)/days/24, "resp-B/h")
	b.ReportMetric(float64(sum.wireIn)/days/24, "wire-in-B/h")
	b.ReportMetric(float64(sum.wireOut)/days/24, "wire-out-B/h")
	b.ReportMetric(float64(cpu.Nanoseconds())/days/24/1e6, "cpu-ms/h")
}
