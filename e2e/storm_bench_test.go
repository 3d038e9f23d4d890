package e2e_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"caredesk/sim/telegramsim"
)

// The storm benchmark runs 10× faster than the clock on the wall: the
// Slack simulator takes 10 posts a second per channel (Slack: 1), storm
// mode starts 3 s behind at that rate (30 posts: Slack's 30 s), and the
// 2,000 complaints arrive within one second (10 s). Latencies are
// reported in scaled seconds, as they would be against Slack; the answer
// mid-storm in real milliseconds, as it is not paced by the desk.
const (
	stormScale      = 10
	stormComplaints = 2000
)

// BenchmarkStorm: 2,000 complaints within (scaled) 10 s against a Slack
// channel that takes one post a second, bursts of 5: how long until each
// is on the desk and claimable (a root, or a digest line with its Claim
// button), with storm mode and without, and how long an agent's answer
// written mid-storm takes to reach its customer. Run it alone:
//
//	go test ./e2e -run '^$' -bench Storm -benchtime 1x -timeout 20m
func BenchmarkStorm(b *testing.B) {
	for _, mode := range []struct {
		name   string
		behind string
	}{{"storm-mode", "3s"}, {"one-root-each", "1h"}} {
		b.Run(mode.name, func(b *testing.B) {
			for range b.N {
				stormRun(b, mode.behind)
			}
		})
	}
}

var benchName = regexp.MustCompile(`Bench(\d{4})`)

func stormRun(b *testing.B, behind string) {
	r := stormRig(b, stormScale, behind)
	r.env["CAREDESK_LOG_LEVEL"] = "warn"
	r.start()
	who := func(i int) telegramsim.User {
		return customer(int64(9_000_000+i), fmt.Sprintf("Bench%04d", i), fmt.Sprintf("bench%04d", i))
	}
	// One customer has a thread before the storm, and the answer to it is
	// written in the thick of it.
	first := who(stormComplaints)
	r.tg.CustomerWrites(first.ID, first, "Where is my refund?")
	r.wait("the thread before the storm", func() bool { return len(r.roots()) == 1 })
	r.recorded(1)
	thread := r.roots()[0].TS
	r.command("UALICE", "alice", "claim 1")

	b.ResetTimer()
	arrived := make([]time.Time, stormComplaints)
	seen := make([]time.Time, stormComplaints)
	start := time.Now()
	spread := time.Second * 10 / stormScale
	for i := range stormComplaints {
		// Spread over the (scaled) 10 s, in order.
		if d := time.Until(start.Add(spread * time.Duration(i) / stormComplaints)); d > 0 {
			time.Sleep(d) // the customers' pace, not a wait for caredesk
		}
		u := who(i)
		arrived[i] = time.Now()
		r.tg.CustomerWrites(u.ID, u, fmt.Sprintf("You charged me twice for order %d", i))
	}
	answered := time.Now()
	r.post("UALICE", thread, "Your refund left today")
	var answer time.Duration
	lost := 0
	deadline := time.Now().Add(15 * time.Minute)
	for left := stormComplaints; left > 0; {
		if time.Now().After(deadline) {
			lost = left
			break
		}
		now := time.Now()
		if answer == 0 && slices.ContainsFunc(r.sentTo(first.ID), func(s string) bool { return strings.Contains(s, "refund left today") }) {
			answer = now.Sub(answered)
		}
		for _, m := range r.slack.Roots() {
			text := m.Rendered()
			isRoot, isDigest := isTicket(&m), strings.Contains(string(m.Metadata), "caredesk_digest")
			if !isRoot && !isDigest {
				continue
			}
			claimable := map[string]bool{}
			for _, bt := range m.Buttons() {
				if strings.HasSuffix(bt.ActionID, ":claim") {
					claimable[bt.Value] = true
				}
			}
			for _, line := range strings.Split(text, "\n") {
				name := benchName.FindStringSubmatch(line)
				if name == nil {
					continue
				}
				i, _ := strconv.Atoi(name[1])
				if i >= stormComplaints || !seen[i].IsZero() {
					continue
				}
				n := ticketNumber(line)
				if isRoot {
					n = ticketNumber(text)
				}
				if claimable[strconv.Itoa(n)] {
					seen[i] = now
					left--
				}
			}
		}
		time.Sleep(25 * time.Millisecond) // polling the simulator, not waiting for caredesk
	}
	b.StopTimer()
	if answer == 0 {
		r.wait("the answer written mid-storm at its customer", func() bool {
			return slices.ContainsFunc(r.sentTo(first.ID), func(s string) bool { return strings.Contains(s, "refund left today") })
		})
		answer = time.Since(answered)
	}
	if answer == 0 {
		b.Errorf("the answer written mid-storm did not reach its customer")
	}
	var lat []time.Duration
	for i := range seen {
		if !seen[i].IsZero() {
			lat = append(lat, seen[i].Sub(arrived[i])*stormScale)
		}
	}
	slices.Sort(lat)
	listed := r.listed()
	dup := 0
	for _, c := range listed {
		dup += c - 1
	}
	for _, c := range r.rooted() {
		dup += c - 1
	}
	if lost > 0 || dup > 0 {
		b.Errorf("%d complaints never showed, %d shown twice", lost, dup)
	}
	if len(lat) > 0 {
		b.ReportMetric(lat[len(lat)/2].Seconds(), "p50-visible-s")
		b.ReportMetric(lat[len(lat)*99/100].Seconds(), "p99-visible-s")
		b.ReportMetric(lat[len(lat)-1].Seconds(), "max-visible-s")
	}
	b.ReportMetric(ms(answer), "answer-ms")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(float64(dup), "duplicated")
	b.ReportMetric(float64(r.slack.Limited()), "429s")
	b.ReportMetric(float64(len(r.digests())), "digests")
	_ = r.stop()
}
