package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"caredesk/config"
	"caredesk/sim/slacksim"
	"caredesk/sim/telegramsim"
)

// demoToken is a well-formed token that only the local simulator accepts.
const demoToken = "123456789:DEMO-local-simulator-token"

// demo runs the real bot, configured through the same settings as in
// production, against local Telegram and Slack simulators, and plays one
// complaint from arrival to resolution. It checks each step happened and
// exits non-zero if one did not.
func demo(ctx context.Context, stdout, stderr io.Writer) int {
	d, err := startDemo(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "caredesk demo could not start: %v\n", err)
		return 1
	}
	defer d.stop()
	if err := d.play(ctx, stdout); err != nil {
		fmt.Fprintf(stderr, "\ncaredesk demo failed: %v\n", err)
		return 1
	}
	return 0
}

type demoRun struct {
	tg    *telegramsim.Server
	slack *slacksim.Server
	dir   string
	start time.Time
	out   io.Writer
	stop  func()
}

func startDemo(ctx context.Context, stderr io.Writer) (*demoRun, error) {
	tg, err := telegramsim.New(demoToken)
	if err != nil {
		return nil, fmt.Errorf("start the Telegram simulator: %w", err)
	}
	sl, err := slacksim.New(slacksim.Options{EchoBotMessages: true})
	if err != nil {
		tg.Close()
		return nil, fmt.Errorf("start the Slack simulator: %w", err)
	}
	sl.AddUser("UALICE", "alice")
	sl.AddUser("UBOB", "bob")
	sl.AddChannel(demoRoCare, "ro-care", true)
	dir, err := os.MkdirTemp("", "caredesk-demo-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	o := sl.Options()
	// The customer is asked how it went a second after the ticket is
	// resolved rather than ten minutes, so the demo shows it. Romanian
	// customers have a team of their own, in a channel of its own.
	yaml := filepath.Join(dir, "caredesk.yaml")
	file := "csat:\n  delay: 1s\nreports:\n  weekly_digest: off\n" +
		"teams:\n  - {name: ro-care, channel: " + demoRoCare + "}\n  - {name: care, channel: " + o.ChannelID + "}\n" +
		"routes:\n  - {team: ro-care, language: ro}\n"
	if err := os.WriteFile(yaml, []byte(file), 0o600); err != nil {
		return nil, err
	}
	env := map[string]string{
		"CAREDESK_CONFIG":      yaml,
		"CAREDESK_TICK":        "250ms",
		"CAREDESK_DB":          filepath.Join(dir, "caredesk.db"),
		"CAREDESK_LOG_LEVEL":   "warn",
		"TELEGRAM_BOT_TOKEN":   demoToken,
		"TELEGRAM_API_URL":     tg.URL(),
		"SLACK_BOT_TOKEN":      o.BotToken,
		"SLACK_SIGNING_SECRET": o.SigningSecret,
		"SLACK_CHANNEL_ID":     o.ChannelID,
		"SLACK_API_URL":        sl.APIURL(),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	sl.SetRequestURL(base + "/slack/events")

	ctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, newLogger(cfg, stderr), ln) }()
	d := &demoRun{tg: tg, slack: sl, dir: dir, start: time.Now(), stop: func() {
		cancel()
		<-served
		sl.Close()
		tg.Close()
		os.RemoveAll(dir)
	}}
	if err := waitHealthy(ctx, base+"/healthz", served); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

// waitHealthy waits until the bot answers /healthz, or stopped trying.
func waitHealthy(ctx context.Context, url string, served <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-served:
			return fmt.Errorf("the bot stopped before it was serving: %w", err)
		case <-ctx.Done():
			return errors.New("the bot did not become healthy within 15 s")
		case <-tick.C:
		}
	}
}

func (d *demoRun) say(who, format string, args ...any) {
	fmt.Fprintf(d.out, "%6.2fs  %-10s %s\n", time.Since(d.start).Seconds(), who, readable(fmt.Sprintf(format, args...), demoNames))
}

// demoNames are the demo's support team.
var demoNames = map[string]string{"UALICE": "alice", "UBOB": "bob"}

func (d *demoRun) show(text string) {
	for line := range strings.SplitSeq(strings.TrimSpace(readable(text, demoNames)), "\n") {
		fmt.Fprintf(d.out, "%20s│ %s\n", "", line)
	}
}

// until waits for what the story expects next; what is expected is named so
// a failure says what did not happen.
func (d *demoRun) until(ctx context.Context, what string, wait func(context.Context, func() bool) error, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := wait(ctx, cond); err != nil {
		return fmt.Errorf("waited 10 s for %s: %w", what, err)
	}
	return nil
}

func (d *demoRun) play(ctx context.Context, out io.Writer) error {
	d.out = out
	jane := telegramsim.User{ID: 4242, FirstName: "Jane", LastName: "Doe", Username: "jane_doe"}
	fmt.Fprintln(out, "caredesk demo: the real bot between a local Telegram and a local Slack (no tokens, no internet).")
	fmt.Fprintln(out)

	complaint := "Hi, my order #5521 was due on Monday and still has not arrived. <!channel> can anyone help?"
	d.tg.CustomerWrites(jane.ID, jane, complaint)
	d.say("telegram", "Jane Doe (@jane_doe) writes to @%s: %q", telegramsim.BotUsername, complaint)

	var root slacksim.Message
	if err := d.until(ctx, "the complaint to appear in Slack", d.slack.Wait, func() bool {
		roots := d.slack.Roots()
		if len(roots) > 0 {
			root = roots[0]
		}
		return len(roots) > 0
	}); err != nil {
		return err
	}
	d.say("slack", "caredesk opens a ticket in #care-desk (the customer's <!channel> is shown as text, it pings nobody):")
	d.show(root.Rendered())
	if err := d.until(ctx, "Jane to be told her complaint arrived", d.tg.Wait, func() bool { return len(d.tg.Sent()) > 0 }); err != nil {
		return err
	}
	d.say("telegram", "Jane is told at once, with the real deadline: %q", d.tg.Sent()[0].Text)
	if err := d.photo(ctx, jane, root.TS); err != nil {
		return err
	}

	resp, err := d.slack.SlashCommand("UALICE", "alice", "/desk", "list")
	if err != nil {
		return err
	}
	d.say("slack", "alice types /desk list and sees, only for her:")
	d.show(resp.Text)

	if err := d.slack.ClickButton("UALICE", "alice", root.TS, "caredesk:claim", "1"); err != nil {
		return err
	}
	d.say("slack", "alice clicks Claim")
	if err := d.until(ctx, "the ticket to show alice as its owner", d.slack.Wait, func() bool {
		m, _ := d.slack.Message(root.TS)
		return strings.Contains(m.Rendered(), "Claimed by")
	}); err != nil {
		return err
	}
	m, _ := d.slack.Message(root.TS)
	d.say("slack", "the ticket's root now reads:")
	d.show(m.Rendered())

	if _, _, err := d.slack.UserPosts("UBOB", root.TS, "I think the courier lost a whole van on Monday."); err != nil {
		return err
	}
	d.say("slack", "bob writes in the thread: \"I think the courier lost a whole van on Monday.\"")
	if err := d.until(ctx, "bob to be told his message stayed internal", d.slack.Wait, func() bool {
		return slices.ContainsFunc(d.slack.Ephemerals(), func(e slacksim.Ephemeral) bool { return e.User == "UBOB" })
	}); err != nil {
		return err
	}
	for _, e := range d.slack.Ephemerals() {
		if e.User == "UBOB" {
			d.say("slack", "caredesk tells only bob: %s", e.Text)
		}
	}

	reply := "Hi Jane, I'm sorry! The courier lost that parcel; a new one leaves today and arrives tomorow."
	replyTS, _, err := d.slack.UserPosts("UALICE", root.TS, reply)
	if err != nil {
		return err
	}
	d.say("slack", "alice answers in the thread: %q", reply)
	if err := d.until(ctx, "Jane to receive alice's answer on Telegram", d.tg.Wait, func() bool { return len(d.tg.Sent()) > 1 }); err != nil {
		return err
	}
	answer := d.tg.Sent()[1]
	d.say("telegram", "Jane receives it, signed: %q", answer.Text)
	if err := d.until(ctx, "the ✔ on alice's message", d.slack.Wait, func() bool {
		return slices.ContainsFunc(d.slack.Reactions(), func(r slacksim.Reaction) bool { return r.Name == "heavy_check_mark" })
	}); err != nil {
		return err
	}
	d.say("slack", "caredesk marks alice's message :heavy_check_mark: delivered; the first-response clock stops")
	fixed := strings.Replace(reply, "tomorow", "tomorrow", 1)
	if _, err := d.slack.EditMessage("UALICE", replyTS, fixed); err != nil {
		return err
	}
	d.say("slack", "alice spots her typo and edits her message: \"tomorow\" → \"tomorrow\"")
	if err := d.until(ctx, "Jane's copy to be corrected", d.tg.Wait, func() bool {
		m, _ := d.tg.Message(jane.ID, answer.MessageID)
		return strings.Contains(m.Text, "tomorrow.")
	}); err != nil {
		return err
	}
	corrected, _ := d.tg.Message(jane.ID, answer.MessageID)
	d.say("telegram", "Jane's copy changes in place: %q", corrected.Text)

	d.tg.CustomerWrites(jane.ID, jane, "Thank you, that's great!")
	d.say("telegram", "Jane writes: \"Thank you, that's great!\"")
	if err := d.until(ctx, "Jane's thanks in the thread", d.slack.Wait, func() bool {
		return slices.ContainsFunc(d.slack.Thread(root.TS), func(m slacksim.Message) bool { return strings.Contains(m.Text, "Thank you") })
	}); err != nil {
		return err
	}
	d.say("slack", "it appears in the ticket's thread")

	if _, err := d.slack.AddReaction("UALICE", root.TS, "white_check_mark"); err != nil {
		return err
	}
	d.say("slack", "alice puts :white_check_mark: on the ticket")
	if err := d.until(ctx, "the ticket to be resolved", d.slack.Wait, func() bool {
		m, _ := d.slack.Message(root.TS)
		return strings.Contains(m.Rendered(), "Resolved")
	}); err != nil {
		return err
	}
	m, _ = d.slack.Message(root.TS)
	d.say("slack", "the ticket is resolved:")
	d.show(m.Rendered())
	if err := d.rate(ctx, jane, root.TS); err != nil {
		return err
	}
	if err := d.report(ctx); err != nil {
		return err
	}
	if err := d.teams(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Done: one complaint arrived with a photo, became a thread, was claimed, answered, corrected, delivered, resolved and rated, and the figures show it; a Romanian one went to its own team's channel.")
	fmt.Fprintln(out, "Run caredesk for real with the settings in README.md.")
	return nil
}

// demoRoCare is the channel of the demo's Romanian team.
const demoRoCare = "C0ROCARE"

// teams plays a Romanian customer, whom the routes send to the Romanian
// team's own channel.
func (d *demoRun) teams(ctx context.Context) error {
	ioana := telegramsim.User{ID: 4343, FirstName: "Ioana", LastName: "Pop", LanguageCode: "ro"}
	text := "Bună ziua, coletul meu nu a ajuns."
	d.tg.CustomerWrites(ioana.ID, ioana, text)
	d.say("telegram", "Ioana Pop, whose Telegram speaks Romanian, writes: %q", text)
	var root slacksim.Message
	if err := d.until(ctx, "Ioana's complaint in #ro-care", d.slack.Wait, func() bool {
		for _, m := range d.slack.Messages() {
			if m.Channel == demoRoCare && m.IsRoot() && strings.Contains(m.Rendered(), "Ioana") {
				root = m
			}
		}
		return root.TS != ""
	}); err != nil {
		return err
	}
	d.say("slack", "the routes give it to the ro-care team: its ticket opens in #ro-care, not #care-desk:")
	d.show(root.Rendered())
	resp, err := d.slack.SlashCommandIn(demoRoCare, "UBOB", "bob", "/desk", "list")
	if err != nil {
		return err
	}
	d.say("slack", "bob types /desk list in #ro-care and sees that team's tickets:")
	d.show(resp.Text)
	return nil
}

// rate plays the customer's answer to the satisfaction question.
func (d *demoRun) rate(ctx context.Context, jane telegramsim.User, rootTS string) error {
	var q telegramsim.SentMessage
	if err := d.until(ctx, "Jane to be asked how it went", d.tg.Wait, func() bool {
		for _, m := range d.tg.Sent() {
			if len(m.Keyboard) > 0 {
				q = m
			}
		}
		return q.MessageID != 0
	}); err != nil {
		return err
	}
	var labels []string
	for _, b := range q.Keyboard[0] {
		labels = append(labels, "["+b.Text+"]")
	}
	d.say("telegram", "a second later Jane is asked: %q %s", q.Text, strings.Join(labels, " "))
	d.tg.PressButton(jane.ID, q.MessageID, q.Keyboard[0][len(q.Keyboard[0])-1].CallbackData, jane)
	d.say("telegram", "Jane taps 5")
	if err := d.until(ctx, "the score on the ticket", d.slack.Wait, func() bool {
		m, _ := d.slack.Message(rootTS)
		return strings.Contains(m.Rendered(), "5/5")
	}); err != nil {
		return err
	}
	m, _ := d.slack.Message(rootTS)
	d.say("slack", "the ticket's root shows it:")
	d.show(m.Rendered())
	return nil
}

// photo plays the customer sending a photo, which caredesk downloads from
// Telegram and shares in the ticket's thread.
func (d *demoRun) photo(ctx context.Context, jane telegramsim.User, rootTS string) error {
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for x := range 320 {
		for y := range 200 {
			img.Set(x, y, color.RGBA{uint8(x * 255 / 320), uint8(y * 255 / 200), 180, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		return err
	}
	d.tg.CustomerSendsPhoto(jane.ID, jane, buf.Bytes(), "This is my order confirmation")
	d.say("telegram", "Jane sends a photo of her order confirmation (%d KB JPEG), captioned \"This is my order confirmation\"", buf.Len()/1024)
	inThread := func(f slacksim.File) bool { return f.ThreadTS == rootTS }
	if err := d.until(ctx, "the photo in the ticket's thread", d.slack.Wait, func() bool { return slices.ContainsFunc(d.slack.Files(), inThread) }); err != nil {
		return err
	}
	i := slices.IndexFunc(d.slack.Files(), inThread)
	f := d.slack.Files()[i]
	same := "the same bytes"
	if !bytes.Equal(f.Data, buf.Bytes()) {
		same = "OTHER bytes than Jane sent"
	}
	d.say("slack", "caredesk downloads it from Telegram and shares it in the ticket's thread: %s, %d KB, %s", f.Name, len(f.Data)/1024, same)
	return nil
}

// report plays a manager asking for today's figures.
func (d *demoRun) report(ctx context.Context) error {
	resp, err := d.slack.SlashCommand("UBOB", "bob", "/desk", "report today")
	if err != nil {
		return err
	}
	d.say("slack", "bob types /desk report today and sees, only for him:")
	d.show(resp.Text)
	toBob := func(f slacksim.File) bool { return f.Channel != d.slack.Options().ChannelID }
	charts := func() []slacksim.File {
		var out []slacksim.File
		for _, f := range d.slack.Files() {
			if toBob(f) {
				out = append(out, f)
			}
		}
		return out
	}
	if err := d.until(ctx, "the charts in bob's direct messages", d.slack.Wait, func() bool { return len(charts()) >= 3 }); err != nil {
		return err
	}
	for _, f := range charts() {
		d.say("slack", "bob receives a chart, %s (%d KB PNG): %s", f.Name, len(f.Data)/1024, f.AltText)
	}
	return nil
}

// slackMarkup matches what Slack draws instead of showing: dates (shown
// with their fallback text here) and user mentions.
var slackMarkup = regexp.MustCompile(`<!date\^[^|>]*\|([^>]*)>|<@([A-Z0-9]+)>`)

// readable is Slack message text the way a person sees it in Slack.
func readable(text string, names map[string]string) string {
	text = slackMarkup.ReplaceAllStringFunc(text, func(m string) string {
		sub := slackMarkup.FindStringSubmatch(m)
		if sub[1] != "" {
			return sub[1]
		}
		if name, ok := names[sub[2]]; ok {
			return "@" + name
		}
		return "@" + sub[2]
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "\u2060", "").Replace(text)
}
