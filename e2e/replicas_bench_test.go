package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"caredesk/sim/bridgesim"
)

// BenchmarkReplicas: complaints per second through a load balancer to
// one, two and three replicas, from a webhook bridge with 64 posts in
// flight, until every complaint is acknowledged (202: stored, on disk).
// Webhooks, not Telegram: Telegram's long poll is the leader's alone,
// while HTTP reaches every replica. For PostgreSQL it also reports the
// server's commits per complaint, every replica's included (the desk's
// posts of the threads too, as they go on at the same time).
func BenchmarkReplicas(b *testing.B) {
	b.Run("sqlite/1", func(b *testing.B) { replicas(b, 1, false) })
	for n := 1; n <= 3; n++ {
		b.Run(fmt.Sprintf("postgres/%d", n), func(b *testing.B) { replicas(b, n, true) })
	}
}

func replicas(b *testing.B, n int, pg bool) {
	forum, err := bridgesim.New(bridgesim.Options{Secret: forumSecret})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(forum.Close)
	path := filepath.Join(b.TempDir(), "caredesk.yaml")
	yaml := "customers:\n  acknowledge: off\n  signature: false\nsources:\n  webhook:\n    - name: forum\n      secret_env: FORUM_HOOK_SECRET\n      reply_url: " + forum.ReplyURL() + "\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{"CAREDESK_CONFIG": path, "FORUM_HOOK_SECRET": forumSecret, "CAREDESK_LOG_LEVEL": "warn"}
	var c *cluster
	if pg {
		c = newCluster(b, n, env)
	} else {
		c = newSQLiteCluster(b, env)
	}
	for i := range c.reps {
		c.start(i)
	}
	commits := func() int64 { return 0 }
	if pg {
		conn, err := pgx.Connect(context.Background(), c.reps[0].env["CAREDESK_DB"])
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close(context.Background()) })
		commits = func() int64 {
			var v int64
			// Statistics reach the view within a second of a backend's
			// commits; a benchmark run lasts longer than that.
			if err := conn.QueryRow(context.Background(), `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&v); err != nil {
				b.Fatal(err)
			}
			return v
		}
	}
	before := commits()
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				status, _, err := forum.SendComplaint(c.lb.URL, "forum", bridgesim.Complaint{
					ID: fmt.Sprintf("post-%d", i), Author: bridgesim.Author{ID: fmt.Sprintf("u%d", i), Name: "Bench"}, Text: fmt.Sprintf("complaint %d", i)})
				if err != nil || status != http.StatusAccepted {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d complaints not accepted", f, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "complaints/s")
	if pg {
		time.Sleep(1500 * time.Millisecond) // for the statistics to arrive, not for a result of caredesk's
		b.ReportMetric(float64(commits()-before)/float64(b.N), "commits/complaint")
	}
}

// newSQLiteCluster is one caredesk on a SQLite file behind the same load
// balancer, to compare with.
func newSQLiteCluster(t testing.TB, env map[string]string) *cluster {
	t.Helper()
	c := &cluster{t: t, up: make([]bool, 1)}
	c.lb = httptestServer(t, c)
	r := newRig(t, rigOptions{env: env})
	r.slack.SetRequestURL(c.lb.URL + "/slack/events")
	c.reps = []*rig{r}
	return c
}
