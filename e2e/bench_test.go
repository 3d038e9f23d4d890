package e2e_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkComplaintToThread measures, on the built binary, the time from a
// customer's message reaching Telegram to its thread appearing in Slack, one
// complaint at a time (p50 and p99 in ms).
func BenchmarkComplaintToThread(b *testing.B) {
	r := newRig(b, rigOptions{env: map[string]string{"CAREDESK_LOG_LEVEL": "warn"}})
	r.start()
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		c := customer(int64(1_000_000+i), "Bench", "bench")
		start := time.Now()
		r.tg.CustomerWrites(c.ID, c, "benchmark complaint")
		if err := r.slack.Wait(ctx, func() bool { return r.slack.CountRoots(isTicket) > i }); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(peakRSS(b, r), "peak-RSS-MB")
}

// BenchmarkSustainedComplaints measures throughput: b.N customers write at
// once and the benchmark ends when every complaint has its thread.
func BenchmarkSustainedComplaints(b *testing.B) {
	r := newRig(b, rigOptions{env: map[string]string{"CAREDESK_LOG_LEVEL": "warn"}})
	r.start()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range b.N {
		wg.Go(func() {
			c := customer(int64(2_000_000+i), "Bench", "bench")
			r.tg.CustomerWrites(c.ID, c, fmt.Sprintf("complaint %d", i))
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := r.slack.Wait(ctx, func() bool { return r.slack.CountRoots(isTicket) >= b.N }); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "complaints/s")
	b.ReportMetric(peakRSS(b, r), "peak-RSS-MB")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// peakRSS reads caredesk's high-water resident set size from Linux's
// /proc/<pid>/status, in MiB.
func peakRSS(b *testing.B, r *rig) float64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}

// BenchmarkIngest measures how fast complaints are stored: b.N customers
// write at once, and the benchmark ends when Telegram's offset confirms
// every update, which caredesk does only once it is on disk; on SQLite,
// and on PostgreSQL when CAREDESK_TEST_POSTGRES names a server.
func BenchmarkIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { ingest(b, map[string]string{}) })
	b.Run("postgres", func(b *testing.B) {
		ingest(b, map[string]string{"CAREDESK_DB": postgresDatabase(b)})
	})
}

func ingest(b *testing.B, env map[string]string) {
	env["CAREDESK_LOG_LEVEL"] = "warn"
	r := newRig(b, rigOptions{env: env})
	r.start()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	last := 0
	for i := range b.N {
		wg.Go(func() {
			c := customer(int64(5_000_000+i), "Bench", "bench")
			id := r.tg.CustomerWrites(c.ID, c, fmt.Sprintf("complaint %d", i))
			mu.Lock()
			last = max(last, id)
			mu.Unlock()
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := r.tg.Wait(ctx, func() bool { return r.tg.Offset() > last }); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "complaints/s")
	b.ReportMetric(peakRSS(b, r), "peak-RSS-MB")
}
