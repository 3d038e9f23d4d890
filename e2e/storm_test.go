package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
)

// stormRig is caredesk on a Slack channel that takes rate posts a second,
// bursts of 5, in storm mode from behind (a duration) at that rate.
func stormRig(t testing.TB, rate float64, behind string) *rig {
	t.Helper()
	yaml := fmt.Sprintf("customers:\n  acknowledge: off\n  signature: false\nspikes: off\nstorm:\n  behind: %s\n  rate: %g\n", behind, rate)
	path := filepath.Join(t.TempDir(), "storm.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return newRig(t, rigOptions{postRate: rate, postBurst: 5, env: map[string]string{
		"CAREDESK_CONFIG": path,
		"CAREDESK_TICK":   "200ms",
	}})
}

// digests are the storm digest posts in the desk channel.
func (r *rig) digests() []slacksim.Message {
	var out []slacksim.Message
	for _, m := range r.slack.Roots() {
		if strings.Contains(string(m.Metadata), "caredesk_digest") {
			out = append(out, m)
		}
	}
	return out
}

var digestLine = regexp.MustCompile(`(?m)^\*#(\d+)\* · `)

// listed counts each ticket's lines over every digest post.
func (r *rig) listed() map[int]int {
	out := map[int]int{}
	for _, m := range r.digests() {
		for _, sub := range digestLine.FindAllStringSubmatch(m.Rendered(), -1) {
			n, _ := strconv.Atoi(sub[1])
			out[n]++
		}
	}
	return out
}

// rooted counts each ticket's roots in the desk channel.
func (r *rig) rooted() map[int]int {
	out := map[int]int{}
	for _, m := range r.roots() {
		out[ticketNumber(m.Rendered())]++
	}
	return out
}

// lineOf is ticket n's line in the digests, its status included, ""
// when it has none.
func (r *rig) lineOf(n int) (slacksim.Message, string) {
	prefix := fmt.Sprintf("*#%d* · ", n)
	for _, m := range r.digests() {
		lines := strings.Split(m.Rendered(), "\n")
		for i, l := range lines {
			if !strings.HasPrefix(l, prefix) {
				continue
			}
			if i+1 < len(lines) && !digestLine.MatchString(lines[i+1]) {
				l += "\n" + lines[i+1]
			}
			return m, l
		}
	}
	return slacksim.Message{}, ""
}

var stormName = regexp.MustCompile(`Storm(\d{3})`)

// customerOf is the customer of ticket n, as its digest line names them:
// tickets are numbered in the order caredesk read the messages, which
// need not be the order they were written in.
func (r *rig) customerOf(n int) telegramsim.User {
	r.t.Helper()
	_, l := r.lineOf(n)
	m := stormName.FindStringSubmatch(l)
	if m == nil {
		r.t.Fatalf("no customer on #%d's digest line %q", n, l)
	}
	i, _ := strconv.Atoi(m[1])
	return stormCustomer(i)
}

// visible reports whether tickets 1 to n are each on the desk: a root or
// a digest line.
func (r *rig) visible(n int) bool {
	listed, rooted := r.listed(), r.rooted()
	for i := 1; i <= n; i++ {
		if listed[i] == 0 && rooted[i] == 0 {
			return false
		}
	}
	return true
}

func (r *rig) announced(s string) bool {
	for _, m := range r.slack.Roots() {
		if strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}

func stormCustomer(i int) telegramsim.User {
	return customer(int64(7_000_000+i), fmt.Sprintf("Storm%03d", i), fmt.Sprintf("storm%03d", i))
}

// TestStormDesk: 120 complaints at once on a channel that takes ten posts
// a second. The desk goes into storm mode and says so; every complaint is
// on the desk within seconds, each listed once; a claim from a digest's
// button opens that ticket's thread at once, /desk claim does the same
// for another whose customer wrote again meanwhile (the follow-up is in
// its thread), one resolved as spam from the digest shows so, an answer
// mid-storm reaches its customer, and the storm ends by itself, saying so,
// with every complaint's thread open once.
func TestStormDesk(t *testing.T) {
	r := stormRig(t, 10, "5s")
	r.start()
	const n = 120
	for i := 1; i <= n; i++ {
		u := stormCustomer(i)
		r.tg.CustomerWrites(u.ID, u, fmt.Sprintf("My order %d never came", i))
	}
	r.waitLong("every complaint on the desk", func() bool { return r.visible(n) })
	if !r.announced("Storm mode") {
		t.Error("the channel was not told of storm mode")
	}
	for num, c := range r.listed() {
		if c != 1 {
			t.Errorf("#%d is on %d digest lines, want one", num, c)
		}
	}

	// The digest's first button claims its ticket, and its thread opens.
	d := r.digests()[0]
	b := d.Buttons()[0]
	clicked, _ := strconv.Atoi(b.Value)
	if err := r.slack.ClickButton("UALICE", "alice", d.TS, b.ActionID, b.Value); err != nil {
		t.Fatal(err)
	}
	r.waitLong("the thread of the ticket claimed from the digest", func() bool { return r.rooted()[clicked] == 1 })
	r.waitLong("the digest line saying alice owns it", func() bool {
		_, l := r.lineOf(clicked)
		return strings.Contains(l, "<@UALICE>") && strings.Contains(l, "|thread>")
	})

	// Another parked ticket: its customer writes again, then bob claims it
	// by command; the thread shows the follow-up.
	listed := r.listed()
	other, spam := 0, 0
	for i := n; i > 0 && (other == 0 || spam == 0); i-- {
		if listed[i] == 1 && r.rooted()[i] == 0 && i != clicked {
			if other == 0 {
				other = i
			} else {
				spam = i
			}
		}
	}
	if other == 0 || spam == 0 {
		t.Fatalf("no parked tickets left to claim (listed %v)", listed)
	}
	u := r.customerOf(other)
	r.tg.CustomerWrites(u.ID, u, "Hello? Still nothing!")
	r.waitLong("the digest line saying the customer wrote again", func() bool {
		_, l := r.lineOf(other)
		return strings.Contains(l, "wrote again")
	})
	if got := r.command("UBOB", "bob", fmt.Sprintf("claim %d", other)); !strings.Contains(got, fmt.Sprintf("#%d", other)) {
		t.Errorf("/desk claim %d answers %q", other, got)
	}
	r.waitLong("the follow-up in the claimed ticket's thread", func() bool {
		for _, m := range r.roots() {
			if ticketNumber(m.Rendered()) == other {
				for _, reply := range r.slack.Thread(m.TS) {
					if strings.Contains(reply.Text, "Hello? Still nothing!") {
						return true
					}
				}
			}
		}
		return false
	})
	if got := r.command("UCAROL", "carol", fmt.Sprintf("resolve %d", spam)); !strings.Contains(got, fmt.Sprintf("#%d", spam)) {
		t.Errorf("/desk resolve %d answers %q", spam, got)
	}
	r.waitLong("the spam's digest line saying it is resolved", func() bool {
		_, l := r.lineOf(spam)
		return strings.Contains(l, "resolved")
	})

	// An answer mid-storm reaches the customer.
	var thread string
	for _, m := range r.roots() {
		if ticketNumber(m.Rendered()) == clicked {
			thread = m.TS
		}
	}
	r.post("UALICE", thread, "So sorry, your parcel is on its way")
	cu := r.customerOf(clicked)
	r.waitLong("the answer at the customer", func() bool {
		for _, s := range r.sentTo(cu.ID) {
			if strings.Contains(s, "parcel is on its way") {
				return true
			}
		}
		return false
	})

	r.waitLong("the end of storm mode", func() bool { return r.announced("Storm mode is over") })
	r.waitLong("every complaint's thread", func() bool { return r.visibleAsRoots(n) })
	for i := 1; i <= n; i++ {
		if c := r.rooted()[i]; c != 1 {
			t.Errorf("#%d has %d threads after the storm, want one", i, c)
		}
	}
	if err := r.stop(); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}

// TestStormCrash: caredesk is killed (kill -9) while digests fill; after
// the restart every complaint is listed exactly once, a ticket claimed
// from a digest has one thread, and every thread opens once.
func TestStormCrash(t *testing.T) {
	r := stormRig(t, 10, "5s")
	r.start()
	const n = 150
	for i := 1; i <= n; i++ {
		u := stormCustomer(i)
		r.tg.CustomerWrites(u.ID, u, fmt.Sprintf("Charged twice, order %d", i))
	}
	r.waitLong("the first digest", func() bool { return len(r.digests()) > 0 })
	r.kill9()
	r.start()
	r.waitLong("every complaint on the desk", func() bool { return r.visible(n) })
	for num, c := range r.listed() {
		if c != 1 {
			t.Errorf("#%d is on %d digest lines, want one", num, c)
		}
	}
	d := r.digests()[len(r.digests())-1]
	if bs := d.Buttons(); len(bs) > 0 {
		b := bs[0]
		claimed, _ := strconv.Atoi(b.Value)
		if err := r.slack.ClickButton("UALICE", "alice", d.TS, b.ActionID, b.Value); err != nil {
			t.Fatal(err)
		}
		r.waitLong("the claimed ticket's thread", func() bool { return r.rooted()[claimed] > 0 })
	}
	r.waitLong("the end of storm mode", func() bool { return r.announced("Storm mode is over") })
	r.waitLong("every complaint's thread", func() bool { return r.visibleAsRoots(n) })
	for i := 1; i <= n; i++ {
		if c := r.rooted()[i]; c != 1 {
			t.Errorf("#%d has %d threads, want one", i, c)
		}
	}
}

// visibleAsRoots reports whether tickets 1 to n each have a root.
func (r *rig) visibleAsRoots(n int) bool {
	rooted := r.rooted()
	for i := 1; i <= n; i++ {
		if rooted[i] == 0 {
			return false
		}
	}
	return true
}
