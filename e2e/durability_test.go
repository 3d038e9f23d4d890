package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"caredesk/sim/slacksim"
)

// TestOutageKillAndRestart: Telegram is down when alice answers, caredesk is
// killed with SIGKILL while it retries, Telegram comes back, caredesk
// restarts: Jane gets the answer, once.
func TestOutageKillAndRestart(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	jane := customer(777, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "Where is my refund?")
	r.wait("the thread", func() bool { return len(r.roots()) == 1 })
	root := r.root(1)
	r.command("UALICE", "alice", "claim 1")

	r.tg.SetDown(true)
	before := r.tg.Calls("sendMessage")
	r.post("UALICE", root.TS, "Your refund was sent this morning.")
	r.wait("caredesk to try Telegram twice during the outage", func() bool { return r.tg.Calls("sendMessage") >= before+2 })
	r.kill9()
	r.tg.SetDown(false)
	r.start()

	r.wait("the answer after the restart", func() bool { return len(r.sentTo(jane.ID)) == 1 })
	r.post("UALICE", root.TS, "Anything else?")
	r.wait("the next answer", func() bool { return len(r.sentTo(jane.ID)) == 2 })
	if got := r.sentTo(jane.ID); !slices.Equal(got, []string{"Your refund was sent this morning.", "Anything else?"}) {
		t.Errorf("Jane received %q, want each answer once, in order", got)
	}
	r.wait("both answers marked delivered", func() bool { return countReactions(r.slack, "heavy_check_mark") == 2 })
}

// TestKillDuringStorm: 60 customers write at once and caredesk is killed
// while it is still opening their threads. After the restart every
// complaint has exactly one thread.
func TestKillDuringStorm(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	const n = 60
	for i := range n {
		c := customer(int64(10_000+i), fmt.Sprintf("Customer%d", i), fmt.Sprintf("cust%d", i))
		r.tg.CustomerWrites(c.ID, c, fmt.Sprintf("complaint number %d", i))
	}
	r.wait("the first threads", func() bool { return len(r.roots()) >= 5 })
	r.kill9()
	r.start()
	r.wait("every complaint's thread", func() bool { return len(r.roots()) >= n })
	assertOneThreadEach(t, r.roots(), n)
	if got := r.tg.Pending(); got != 0 {
		t.Errorf("%d Telegram updates are still unconfirmed", got)
	}
}

// TestLostSlackAnswer: Slack posts the root but its answer never arrives;
// caredesk must not post the ticket a second time.
func TestLostSlackAnswer(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	r.slack.FailNext("chat.postMessage", 1, slacksim.LostAnswer())
	jane := customer(31, "Jane", "jane")
	r.tg.CustomerWrites(jane.ID, jane, "hello?")
	r.tg.CustomerWrites(jane.ID, jane, "anyone?")
	r.wait("the follow-up in the thread", func() bool {
		roots := r.roots()
		return len(roots) > 0 && len(r.slack.Thread(roots[0].TS)) == 1
	})
	if n := len(r.roots()); n != 1 {
		t.Errorf("one complaint has %d threads after a lost answer, want 1", n)
	}
}

// TestHundredCustomersAtOnce: 100 customers write at the same moment; each
// gets one thread, and each gets the answer meant for them.
func TestHundredCustomersAtOnce(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.start()
	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := customer(int64(20_000+i), fmt.Sprintf("Customer%d", i), fmt.Sprintf("cust%d", i))
			r.tg.CustomerWrites(c.ID, c, fmt.Sprintf("complaint number %d", i))
		})
	}
	wg.Wait()
	r.wait("100 threads", func() bool { return len(r.roots()) >= n })
	assertOneThreadEach(t, r.roots(), n)

	// Answer each through its own ticket number and check it lands with
	// the customer who wrote that ticket.
	for num := 1; num <= n; num++ {
		i := complaintOf(t, r.root(num))
		r.command("UCAROL", "carol", fmt.Sprintf("reply %d Answer for complaint %d", num, i))
	}
	r.wait("100 answers", func() bool { return len(r.tg.Sent()) >= n })
	for i := range n {
		got := r.sentTo(int64(20_000 + i))
		if want := fmt.Sprintf("Answer for complaint %d", i); !slices.Equal(got, []string{want}) {
			t.Errorf("customer %d received %q, want %q", i, got, want)
		}
	}
}

// assertOneThreadEach checks that the roots are tickets #1..#n, one per
// complaint "complaint number i", i in [0,n).
func assertOneThreadEach(t *testing.T, roots []slacksim.Message, n int) {
	t.Helper()
	if len(roots) != n {
		t.Errorf("%d threads for %d complaints", len(roots), n)
	}
	seen := map[int]int{}
	for _, m := range roots {
		seen[complaintOf(t, m)]++
	}
	for i := range n {
		if seen[i] != 1 {
			t.Errorf("complaint %d has %d threads, want 1", i, seen[i])
		}
	}
}

func complaintOf(t *testing.T, m slacksim.Message) int {
	t.Helper()
	shown := m.Rendered()
	at := strings.Index(shown, "complaint number ")
	var i int
	if at < 0 {
		t.Fatalf("root is no complaint:\n%s", shown)
	}
	fmt.Sscanf(shown[at:], "complaint number %d", &i)
	return i
}
