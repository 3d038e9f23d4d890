package e2e_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"caredesk/sim/discordsim"
)

// stormDiscord is caredesk in storm mode from behind at rate posts a
// second (stormRig's configuration) with its desk on a simulated Discord.
type stormDiscord struct {
	*rig
	d    *discordsim.Server
	desk string // the desk channel's id
	bot  string // caredesk's user id
}

func newStormDiscord(t *testing.T, rate float64, behind string) *stormDiscord {
	t.Helper()
	r := stormRig(t, rate, behind) // its Slack stays unused: the desk moves to Discord
	d := newDiscord(t)
	o := d.Options()
	for k, v := range map[string]string{
		"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL_ID": "", "SLACK_SIGNING_SECRET": "",
		"DISCORD_BOT_TOKEN": o.Token, "DISCORD_APPLICATION_ID": o.ApplicationID, "DISCORD_GUILD_ID": o.GuildID,
		"DISCORD_DESK_CHANNEL_ID": o.DeskChannelID, "DISCORD_API_URL": d.URL(),
	} {
		r.env[k] = v
	}
	return &stormDiscord{rig: r, d: d, desk: o.DeskChannelID, bot: o.BotUserID}
}

// waitLong fails the test unless cond holds within a minute; cond is
// checked after every change of the Discord simulator.
func (s *stormDiscord) waitLong(what string, cond func() bool) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.d.Wait(ctx, cond); err != nil {
		s.t.Fatalf("waited a minute for %s: %v\nthe desk channel has:\n%s", what, err, s.channel())
	}
}

// posts are caredesk's live messages in the desk channel.
func (s *stormDiscord) posts() []discordsim.Message {
	var out []discordsim.Message
	for _, m := range s.d.ChannelMessages(s.desk) {
		if m.AuthorID == s.bot && !m.Deleted {
			out = append(out, m)
		}
	}
	return out
}

// channel is the desk channel as text, one message a line, for failures.
func (s *stormDiscord) channel() string {
	var b strings.Builder
	for _, m := range s.posts() {
		first, _, _ := strings.Cut(m.Rendered(), "\n")
		fmt.Fprintf(&b, "  %s: %s\n", m.ID, first)
	}
	return b.String()
}

// digestMark is the footer caredesk puts on a digest's embed
// (adapters/discord/digest.go): the digest's id and creation.
var digestMark = regexp.MustCompile(`^caredesk · digest (\d+) · (\d+)$`)

// digests are the storm digest messages in the desk channel.
func (s *stormDiscord) digests() []discordsim.Message {
	var out []discordsim.Message
	for _, m := range s.posts() {
		if e, ok := m.Embed(); ok && digestMark.MatchString(e.Footer) {
			out = append(out, m)
		}
	}
	return out
}

var discordDigestLine = regexp.MustCompile(`^\*\*#(\d+)\*\* · `)

// listed counts each ticket's lines over every digest message.
func (s *stormDiscord) listed() map[int]int {
	out := map[int]int{}
	for _, m := range s.digests() {
		e, _ := m.Embed()
		for l := range strings.SplitSeq(e.Description, "\n") {
			if sub := discordDigestLine.FindStringSubmatch(l); sub != nil {
				n, _ := strconv.Atoi(sub[1])
				out[n]++
			}
		}
	}
	return out
}

// lineOf is ticket n's line in the digests and the message it is in; ""
// when it has none.
func (s *stormDiscord) lineOf(n int) (discordsim.Message, string) {
	prefix := fmt.Sprintf("**#%d** · ", n)
	for _, m := range s.digests() {
		e, _ := m.Embed()
		for l := range strings.SplitSeq(e.Description, "\n") {
			if strings.HasPrefix(l, prefix) {
				return m, l
			}
		}
	}
	return discordsim.Message{}, ""
}

var starterTitle = regexp.MustCompile(`^#(\d+) · `)

// started counts each ticket's starter messages (roots) in the desk
// channel: the embed titled "#N · …".
func (s *stormDiscord) started() map[int]int {
	out := map[int]int{}
	for _, m := range s.posts() {
		if e, ok := m.Embed(); ok {
			if sub := starterTitle.FindStringSubmatch(e.Title); sub != nil {
				n, _ := strconv.Atoi(sub[1])
				out[n]++
			}
		}
	}
	return out
}

// threads are the desk channel's ticket threads by ticket number, their
// names read as "#N · …".
func (s *stormDiscord) threads() map[int][]discordsim.Channel {
	out := map[int][]discordsim.Channel{}
	for _, th := range s.d.Threads(s.desk) {
		if sub := starterTitle.FindStringSubmatch(th.Name); sub != nil {
			n, _ := strconv.Atoi(sub[1])
			out[n] = append(out[n], th)
		}
	}
	return out
}

// visible reports whether tickets 1 to n are each on the desk: a starter
// message or a digest line.
func (s *stormDiscord) visible(n int) bool {
	listed, started := s.listed(), s.started()
	for i := 1; i <= n; i++ {
		if listed[i] == 0 && started[i] == 0 {
			return false
		}
	}
	return true
}

// announced reports whether caredesk said text in the desk channel.
func (s *stormDiscord) announced(text string) bool {
	for _, m := range s.posts() {
		if strings.Contains(m.Content, text) {
			return true
		}
	}
	return false
}

var overCount = regexp.MustCompile(`Storm mode is over.*? The (\d+) complaints listed in digests`)

// overCount is the number of complaints the end of storm mode says were
// listed in digests; -1 when it was not announced.
func (s *stormDiscord) overCount() int {
	for _, m := range s.posts() {
		if sub := overCount.FindStringSubmatch(m.Content); sub != nil {
			n, _ := strconv.Atoi(sub[1])
			return n
		}
	}
	return -1
}

// TestStormDiscordDesk: 80 complaints at once with the desk on Discord and
// storm mode from five queued posts. The desk goes into storm mode and
// says so; every complaint is on the desk, as a thread's starter or as a
// line of a digest (25 to a message, a Claim button each), none on two
// lines and no digest posted twice; a click on a digest's Claim button
// claims that ticket and opens its thread ahead of those still waiting,
// the line then naming its owner and linking the thread; and the storm
// ends by itself, saying so, with each complaint's thread open once.
func TestStormDiscordDesk(t *testing.T) {
	const alice = "400000000000000001"
	s := newStormDiscord(t, 5, "1s")
	s.start()
	waitDiscord(t, s.d, "the gateway connection", s.d.Connected)
	const n = 80
	for i := 1; i <= n; i++ {
		u := stormCustomer(i)
		s.tg.CustomerWrites(u.ID, u, fmt.Sprintf("My order %d never came", i))
	}
	s.waitLong("every complaint on the desk", func() bool { return s.visible(n) })
	if !s.announced("Storm mode") || !s.announced("complaints arrive faster than this channel can show them") {
		t.Error("the desk channel was not told of storm mode")
	}
	listed := s.listed()
	if len(listed) == 0 {
		t.Fatalf("no complaint is listed in a digest; the desk has:\n%s", s.channel())
	}
	for num, c := range listed {
		if c != 1 {
			t.Errorf("#%d is on %d digest lines, want one", num, c)
		}
	}
	marks := map[string]int{}
	for _, m := range s.digests() {
		e, _ := m.Embed()
		marks[e.Footer]++
		if got := len(m.Buttons()); got > 25 {
			t.Errorf("digest %s has %d buttons, Discord allows 25", m.ID, got)
		}
	}
	for mark, c := range marks {
		if c != 1 {
			t.Errorf("%q is on %d messages, want one", mark, c)
		}
	}

	// The newest digest's last Claim button: the ticket the drain would
	// open last. Alice's click claims it, and its thread opens at once.
	var claim discordsim.Message
	var button discordsim.Button
	for _, m := range s.digests() {
		if bs := m.Buttons(); len(bs) > 0 {
			claim, button = m, bs[len(bs)-1]
		}
	}
	if button.CustomID == "" {
		t.Fatalf("no digest has a Claim button; the desk has:\n%s", s.channel())
	}
	clicked, err := strconv.Atoi(strings.TrimPrefix(button.CustomID, "caredesk:claim:"))
	if err != nil || button.Label != fmt.Sprintf("Claim #%d", clicked) {
		t.Fatalf("the button %+v is no digest line's Claim button", button)
	}
	click := s.d.ClickButton(alice, s.desk, claim.ID, button.CustomID)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if r, err := click.Wait(ctx, discordsim.Response.Done); err != nil {
		t.Fatalf("the click on %s was not answered: %v (%+v)", button.CustomID, err, r)
	}
	var waiting int // tickets still without a thread when the claimed one's opened
	s.waitLong(fmt.Sprintf("the thread of #%d, claimed from the digest", clicked), func() bool {
		threads := s.threads()
		if len(threads[clicked]) == 0 {
			return false
		}
		waiting = n - len(threads)
		return true
	})
	t.Logf("%d complaints listed in %d digests; #%d's thread opened with %d tickets still waiting for theirs", len(listed), len(s.digests()), clicked, waiting)
	if waiting == 0 {
		t.Errorf("#%d's thread opened only with every other: the claim did not open it ahead of the drain", clicked)
	}
	th := s.threads()[clicked][0]
	s.waitLong(fmt.Sprintf("#%d's digest line naming alice and linking the thread", clicked), func() bool {
		_, l := s.lineOf(clicked)
		return strings.Contains(l, "<@"+alice+">") && strings.Contains(l, "<#"+th.ID+">")
	})
	if m, _ := s.lineOf(clicked); slices.ContainsFunc(m.Buttons(), func(b discordsim.Button) bool { return b.CustomID == button.CustomID }) {
		t.Errorf("#%d's digest still has its Claim button after the claim", clicked)
	}

	s.waitLong("the end of storm mode", func() bool { return s.announced("Storm mode is over") })
	if over := s.overCount(); over != len(listed) {
		t.Errorf("the end of storm mode counts %d complaints listed in digests; the digests have %d", over, len(listed))
	}
	s.waitLong("every complaint's thread", func() bool { return len(s.threads()) >= n })
	threads, started := s.threads(), s.started()
	for i := 1; i <= n; i++ {
		if c := len(threads[i]); c != 1 {
			t.Errorf("#%d has %d threads after the storm, want one", i, c)
		}
		if c := started[i]; c != 1 {
			t.Errorf("#%d has %d starter messages after the storm, want one", i, c)
		}
	}
	// Each customer's complaint, by name: one thread each.
	byName := map[string]int{}
	for _, th := range s.d.Threads(s.desk) {
		if m := stormName.FindStringSubmatch(th.Name); m != nil {
			byName[m[0]]++
		}
	}
	for i := 1; i <= n; i++ {
		if name := stormCustomer(i).FirstName; byName[name] != 1 {
			t.Errorf("%s's complaint has %d threads, want one", name, byName[name])
		}
	}
	if len(s.threads()[clicked]) != 1 {
		t.Errorf("#%d, claimed from the digest, has %d threads, want one", clicked, len(s.threads()[clicked]))
	}
	if err := s.stop(); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}
