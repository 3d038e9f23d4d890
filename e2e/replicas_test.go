package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"caredesk/sim/discordsim"
	"caredesk/sim/slacksim"
)

// cluster is several caredesk replicas on one PostgreSQL database, between
// one simulated Telegram and one Slack, with a load balancer in front that
// sends Slack's requests to any replica that takes them, as a Kubernetes
// Service or a cloud load balancer does.
type cluster struct {
	t    testing.TB
	reps []*rig
	lb   *httptest.Server

	mu sync.Mutex
	up []bool // which replicas the load balancer sends to
	rr int    // its round robin
}

// takeover is CAREDESK_LEADER_TAKEOVER in these tests: short, so that a
// test with two leaders killed does not take a minute.
const takeover = 3 * time.Second

func newCluster(t testing.TB, n int, env map[string]string) *cluster {
	t.Helper()
	db := postgresDatabase(t)
	c := &cluster{t: t, up: make([]bool, n)}
	c.lb = httptestServer(t, c)
	base := map[string]string{"CAREDESK_DB": db, "CAREDESK_REPLICA": "replica-1",
		"CAREDESK_LEADER_TAKEOVER": takeover.String(), "CAREDESK_LOG_LEVEL": "info"}
	maps.Copy(base, env)
	first := newRig(t, rigOptions{env: base})
	first.slack.SetRequestURL(c.lb.URL + "/slack/events")
	c.reps = append(c.reps, first)
	for i := 2; i <= n; i++ {
		r := &rig{t: t, tg: first.tg, slack: first.slack, env: maps.Clone(first.env), logs: &syncBuffer{}}
		r.base = "http://" + freeAddr(t)
		r.env["CAREDESK_ADDR"] = strings.TrimPrefix(r.base, "http://")
		r.env["CAREDESK_REPLICA"] = fmt.Sprintf("replica-%d", i)
		t.Cleanup(func() {
			if r.cmd != nil {
				r.kill9()
			}
			if t.Failed() {
				t.Logf("replica-%d's log:\n%s", i, r.logs.String())
			}
		})
		c.reps = append(c.reps, r)
	}
	return c
}

// httptestServer is c's load balancer, closed when the test ends.
func httptestServer(t testing.TB, c *cluster) *httptest.Server {
	t.Helper()
	lb := httptest.NewServer(http.HandlerFunc(c.balance))
	t.Cleanup(lb.Close)
	return lb
}

// start starts replica i and puts it behind the load balancer once ready.
func (c *cluster) start(i int) {
	c.t.Helper()
	c.reps[i].start()
	c.mu.Lock()
	c.up[i] = true
	c.mu.Unlock()
}

// kill9 kills replica i the hard way; the load balancer finds out by
// failing to reach it.
func (c *cluster) kill9(i int) {
	c.t.Helper()
	c.reps[i].kill9()
	c.mu.Lock()
	c.up[i] = false
	c.mu.Unlock()
}

// stop takes replica i out of the load balancer and sends it SIGTERM, as
// Kubernetes does in a rolling update; it fails unless caredesk exits 0.
func (c *cluster) stop(i int) {
	c.t.Helper()
	c.mu.Lock()
	c.up[i] = false
	c.mu.Unlock()
	if err := c.reps[i].stop(); err != nil {
		c.t.Fatalf("replica-%d after SIGTERM: %v, want exit 0", i+1, err)
	}
}

// balance forwards a request to the next replica in turn, and to the one
// after when a replica cannot be reached (killed, or stopping).
func (c *cluster) balance(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for range 2 * len(c.reps) {
		c.mu.Lock()
		c.rr = (c.rr + 1) % len(c.reps)
		i, up := c.rr, c.up[c.rr]
		c.mu.Unlock()
		if !up {
			continue
		}
		out, err := http.NewRequestWithContext(req.Context(), req.Method, c.reps[i].base+req.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out.Header = req.Header.Clone()
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			continue // not reachable: the next one
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no replica reachable", http.StatusBadGateway)
}

// role is the role line of replica i's /readyz, "" when it does not answer.
func (c *cluster) role(i int) string {
	resp, err := http.Get(c.reps[i].base + "/readyz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "role: "); ok {
			return v
		}
	}
	return ""
}

// leader waits up to d for exactly one of the replicas in among to say it
// leads, and returns it.
func (c *cluster) leader(among []int, d time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		var leaders []int
		for _, i := range among {
			if strings.HasPrefix(c.role(i), "leader") {
				leaders = append(leaders, i)
			}
		}
		if len(leaders) == 1 {
			return leaders[0]
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("after %s, replicas %v lead, want exactly one of %v", d, leaders, among)
		}
		time.Sleep(20 * time.Millisecond) // polling /readyz, which has no push
	}
}

// waitAll waits up to d for cond, checked after every change of either
// simulator.
func (c *cluster) waitAll(what string, d time.Duration, cond func() bool) {
	c.t.Helper()
	r := c.reps[0]
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- r.slack.Wait(ctx, cond) }()
	go func() { done <- r.tg.Wait(ctx, cond) }()
	if err := <-done; err != nil {
		c.t.Fatalf("waited %s for %s: %v", d, what, err)
	}
	cancel()
	<-done
}

// rootsBy counts, for each customer's name, the ticket roots that name them.
func rootsBy(roots []slacksim.Message, names []string) map[string][]slacksim.Message {
	by := map[string][]slacksim.Message{}
	for _, m := range roots {
		text := m.Rendered()
		for _, name := range names {
			if strings.Contains(text, name) { // names are all as long: none holds another
				by[name] = append(by[name], m)
			}
		}
	}
	return by
}

// TestReplicasOnPostgres: three replicas on one database take a storm of
// 500 complaints while the leader, which holds Telegram's long poll, is
// killed with kill -9, and then the next leader too. Every complaint gets
// exactly one thread; the last replica standing takes over within
// CAREDESK_LEADER_TAKEOVER each time. Then the killed replicas come back,
// agents answer through the load balancer during a rolling restart with
// SIGTERM, and every answer reaches its customer once, with no error shown
// to an agent.
func TestReplicasOnPostgres(t *testing.T) {
	c := newCluster(t, 3, nil)
	r := c.reps[0]
	for i := range c.reps {
		c.start(i)
	}
	first := c.leader([]int{0, 1, 2}, 2*takeover)
	others := func(dead ...int) []int {
		var out []int
		for i := range c.reps {
			alive := true
			for _, d := range dead {
				alive = alive && i != d
			}
			if alive {
				out = append(out, i)
			}
		}
		return out
	}

	const storm = 500
	names := make([]string, storm)
	var last atomic.Int64
	send := func(from, to int) {
		var wg sync.WaitGroup
		for i := from; i < to; i++ {
			names[i] = fmt.Sprintf("Cust%04d", i)
			wg.Go(func() {
				cu := customer(int64(7_000_000+i), names[i], fmt.Sprintf("cust%04d", i))
				id := r.tg.CustomerWrites(cu.ID, cu, fmt.Sprintf("Order %d never arrived", i))
				for {
					old := last.Load()
					if int64(id) <= old || last.CompareAndSwap(old, int64(id)) {
						break
					}
				}
			})
		}
		wg.Wait()
	}
	// takeoverAfter kills the leader and measures until another says it
	// leads and until Telegram's updates are taken again.
	takeoverAfter := func(leader int, among []int) (int, time.Duration, time.Duration) {
		t.Helper()
		offset := r.tg.Offset()
		killed := time.Now()
		c.kill9(leader)
		next := c.leader(among, takeover+5*time.Second)
		elected := time.Since(killed)
		c.waitAll("updates taken by the new leader", takeover+10*time.Second, func() bool { return r.tg.Offset() > offset })
		return next, elected, time.Since(killed)
	}

	send(0, 150)
	second, elected1, polling1 := takeoverAfter(first, others(first))
	send(150, 350)
	_, elected2, polling2 := takeoverAfter(second, others(first, second))
	send(350, storm)
	t.Logf("takeover after kill -9 of the leader: a new leader after %s, Telegram polled again after %s; the second time %s and %s (CAREDESK_LEADER_TAKEOVER=%s)",
		elected1.Round(time.Millisecond), polling1.Round(time.Millisecond), elected2.Round(time.Millisecond), polling2.Round(time.Millisecond), takeover)
	for _, took := range []time.Duration{elected1, elected2} {
		if took > takeover+time.Second {
			t.Errorf("a replica took over %s after the leader died, want within CAREDESK_LEADER_TAKEOVER (%s)", took, takeover)
		}
	}

	c.waitAll("every complaint confirmed and threaded", 2*time.Minute, func() bool {
		return r.tg.Offset() > int(last.Load()) && len(r.roots()) >= storm
	})
	by := rootsBy(r.roots(), names)
	for _, name := range names {
		if n := len(by[name]); n != 1 {
			t.Errorf("%s's complaint has %d threads, want 1", name, n)
		}
	}
	if n := len(r.roots()); n != storm {
		t.Errorf("%d ticket threads for %d complaints, want one each", n, storm)
	}

	// The dead come back, and agents answer while the replicas restart
	// one after another with SIGTERM.
	c.start(first)
	c.start(second)
	const answered = 30
	var agentErrors []string
	var errMu sync.Mutex
	answers := make(chan int)
	var agents sync.WaitGroup
	agents.Go(func() {
		for i := range answers {
			root := by[names[i]][0]
			n := ticketNumber(root.Rendered())
			resp, err := r.slack.SlashCommand("UALICE", "alice", "/desk", fmt.Sprintf("claim %d", n))
			if err != nil || resp.Status != http.StatusOK || !strings.Contains(resp.Text, fmt.Sprintf("#%d", n)) {
				errMu.Lock()
				agentErrors = append(agentErrors, fmt.Sprintf("claim %d: %v %d %q", n, err, resp.Status, resp.Text))
				errMu.Unlock()
			}
			if _, _, err := r.slack.UserPosts("UALICE", root.TS, fmt.Sprintf("So sorry, %s! A new parcel leaves today.", names[i])); err != nil {
				errMu.Lock()
				agentErrors = append(agentErrors, fmt.Sprintf("reply to %s: %v", names[i], err))
				errMu.Unlock()
			}
		}
	})
	next := 0
	answer := func(k int) {
		for ; next < k; next++ {
			answers <- next
		}
	}
	for i := range c.reps {
		answer((i + 1) * answered / (len(c.reps) + 1))
		c.stop(i)
		c.start(i)
	}
	answer(answered)
	close(answers)
	agents.Wait()
	for _, e := range agentErrors {
		t.Errorf("an agent saw an error: %s", e)
	}
	c.waitAll("every answer at its customer", time.Minute, func() bool {
		for i := range answered {
			if len(r.sentTo(int64(7_000_000+i))) == 0 {
				return false
			}
		}
		return true
	})
	for i := range answered {
		if got := r.sentTo(int64(7_000_000 + i)); len(got) != 1 {
			t.Errorf("%s received %q, want the answer once", names[i], got)
		}
	}
	for _, m := range r.slack.Messages() {
		if strings.Contains(m.Rendered(), "⚠️") {
			t.Errorf("the desk shows a warning: %q", m.Rendered())
		}
	}
	now := c.leader([]int{0, 1, 2}, 2*takeover)
	for i, rep := range c.reps {
		want := "0"
		if i == now {
			want = "1"
		}
		if got := metric(t, rep.base+"/metrics", "caredesk_leader"); got != want {
			t.Errorf("replica-%d's caredesk_leader is %q, want %s", i+1, got, want)
		}
		if got := metric(t, rep.base+"/metrics", `caredesk_outbox_leases{holder="all"}`); got == "" {
			t.Errorf("replica-%d shows no caredesk_outbox_leases", i+1)
		}
	}
}

// ticketNumber reads N from a root's "#N · ".
func ticketNumber(root string) int {
	i := strings.Index(root, "#")
	var n int
	if i >= 0 {
		fmt.Sscanf(root[i+1:], "%d", &n)
	}
	return n
}

// TestPausedLeader: a leader stopped with SIGSTOP (a VM paused, a process
// swapped out) is taken over; when it wakes it acts on nothing it received
// under its old term, follows, and no complaint gets two threads.
func TestPausedLeader(t *testing.T) {
	c := newCluster(t, 2, nil)
	r := c.reps[0]
	c.start(0)
	c.start(1)
	old := c.leader([]int{0, 1}, 2*takeover)
	other := 1 - old
	write := func(from, to int) {
		for i := from; i < to; i++ {
			cu := customer(int64(8_000_000+i), fmt.Sprintf("Paused%03d", i), "p")
			r.tg.CustomerWrites(cu.ID, cu, "Where is my refund?")
		}
	}
	write(0, 10)
	c.waitAll("the first threads", 30*time.Second, func() bool { return len(r.roots()) == 10 })
	if err := c.reps[old].cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	write(10, 20) // the paused leader's long poll may hold these when it stops
	if got := c.leader([]int{other}, takeover+5*time.Second); got != other {
		t.Fatalf("replica %d leads, want %d", got, other)
	}
	write(20, 30)
	if err := c.reps[old].cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	write(30, 40)
	c.waitAll("a thread for every complaint", time.Minute, func() bool { return len(r.roots()) >= 40 })
	if role := c.role(old); !strings.HasPrefix(role, "follower") {
		t.Errorf("the woken leader says %q, want follower", role)
	}
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("Paused%03d", i)
	}
	by := rootsBy(r.roots(), names)
	for _, name := range names {
		if n := len(by[name]); n != 1 {
			t.Errorf("%s's complaint has %d threads, want 1", name, n)
		}
	}
}

// TestDiscordLeaderHandover: with the desk on Discord, whose gateway only
// the leader holds, an agent keeps answering while the leader stops with
// SIGTERM and another takes over; the answers written in between, which
// no gateway session brought, are read again by the new leader, and each
// reaches the customer once, in order.
func TestDiscordLeaderHandover(t *testing.T) {
	d := newDiscord(t)
	o := d.Options()
	c := newCluster(t, 2, map[string]string{
		"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL_ID": "", "SLACK_SIGNING_SECRET": "",
		"DISCORD_BOT_TOKEN": o.Token, "DISCORD_APPLICATION_ID": o.ApplicationID, "DISCORD_GUILD_ID": o.GuildID,
		"DISCORD_DESK_CHANNEL_ID": o.DeskChannelID, "DISCORD_API_URL": d.URL(),
	})
	r := c.reps[0]
	c.start(0)
	c.start(1)
	old := c.leader([]int{0, 1}, 2*takeover)
	jane := customer(71, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "The parcel is damaged")
	waitDiscord(t, d, "the ticket's thread", func() bool { return len(d.Threads(o.DeskChannelID)) == 1 })
	// The thread shows a moment before caredesk records it as the ticket's:
	// a claim typed in that moment would find no ticket there.
	waitRecorded(t, 1, c.reps[0].base, c.reps[1].base)
	thread := d.Threads(o.DeskChannelID)[0]
	if _, err := d.SlashCommand("400000000000000001", "claim", nil, thread.ID).Wait(context.Background(), discordsim.Response.Done); err != nil {
		t.Fatal(err)
	}
	var sent []string
	answer := func() {
		text := fmt.Sprintf("answer %d", len(sent))
		d.UserWrites(thread.ID, "400000000000000001", text)
		sent = append(sent, text)
	}
	answer()
	c.waitAll("the first answer at Jane", 15*time.Second, func() bool { return len(r.sentTo(jane.ID)) == 1 })

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		c.stop(old)
	}()
	var newLeader time.Time
	for newLeader.IsZero() || time.Since(newLeader) < time.Second {
		answer()
		time.Sleep(100 * time.Millisecond) // an agent typing, not a wait for caredesk
		if newLeader.IsZero() && strings.HasPrefix(c.role(1-old), "leader") {
			newLeader = time.Now()
		}
	}
	<-stopped
	c.waitAll("every answer at Jane", 30*time.Second, func() bool { return len(r.sentTo(jane.ID)) >= len(sent) })
	// In the order written: what no session brought is read before what
	// the new session brings.
	if got := r.sentTo(jane.ID); !slices.Equal(got, sent) {
		t.Errorf("Jane received %d answers %q, want the %d written, once each and in order", len(got), got, len(sent))
	}
}
