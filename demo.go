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
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// say narrates one step; what it quotes from Slack goes through seen.
func (d *demoRun) say(who, format string, args ...any) {
	fmt.Fprintf(d.out, "%6.2fs  %-10s %s\n", time.Since(d.start).Seconds(), who, fmt.Sprintf(format, args...))
}

// seen is Slack text as the demo's team reads it in Slack.
func (d *demoRun) seen(text string) string {
	return readable(text, map[string]string{
		"UALICE": "alice", "UBOB": "bob",
		d.slack.Options().ChannelID: d.slack.Options().ChannelName, demoRoCare: "ro-care",
	})
}

// show prints Slack text as a reader sees it, indented under the step.
func (d *demoRun) show(text string) {
	for line := range strings.SplitSeq(strings.TrimSpace(d.seen(text)), "\n") {
		fmt.Fprintf(d.out, "%20s│ %s\n", "", line)
	}
}

// showMessage prints a message as a reader sees it, its buttons side by
// side as Slack draws them.
func (d *demoRun) showMessage(m slacksim.Message) {
	lines := strings.Split(m.Rendered(), "\n")
	var texts, labels []string
	for _, b := range m.Buttons() {
		texts, labels = append(texts, b.Text), append(labels, "["+b.Text+"]")
	}
	// Rendered ends with the actions block's buttons, one a line.
	if n := len(lines) - len(texts); len(texts) > 0 && n >= 0 && slices.Equal(lines[n:], texts) {
		lines = append(lines[:n], strings.Join(labels, " "))
	}
	d.show(strings.Join(lines, "\n"))
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
	d.showMessage(root)
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
	d.showMessage(m)

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
			d.say("slack", "caredesk tells only bob: %s", d.seen(e.Text))
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
	d.say("slack", "caredesk marks alice's message ✔️ delivered; the first-response clock stops")
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
	d.say("slack", "alice puts ✅ on the ticket")
	if err := d.until(ctx, "the ticket to be resolved", d.slack.Wait, func() bool {
		m, _ := d.slack.Message(root.TS)
		return strings.Contains(m.Rendered(), "Resolved")
	}); err != nil {
		return err
	}
	m, _ = d.slack.Message(root.TS)
	d.say("slack", "the ticket is resolved:")
	d.showMessage(m)
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
	d.showMessage(root)
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
	d.showMessage(m)
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

// slackMarkup is Slack's control sequences in message text: <@U…>,
// <#C…>, <!here>, <!date^…|…>, <url|label>. Outside text reaches Slack
// escaped (&lt; &gt;), so every "<" left in it opens one of caredesk's.
var slackMarkup = regexp.MustCompile(`<([^<>]*)>`)

// emojiCode is an emoji's name between colons, as Slack text writes it.
var emojiCode = regexp.MustCompile(`:([a-z0-9_+-]+):`)

// demoEmoji are the emoji the demo's messages use, as Slack draws them.
var demoEmoji = map[string]string{
	"heavy_check_mark": "✔️", "white_check_mark": "✅", "rotating_light": "🚨",
	"raising_hand": "🙋", "mega": "📣", "wave": "👋", "bar_chart": "📊",
	"warning": "⚠️", "hourglass": "⌛", "star": "⭐",
}

// readable is Slack message text the way a person sees it in Slack: dates
// as the reader's clock shows them, mentions and links by name, emphasis
// and quote marks as the look they give, emoji drawn, and what was
// escaped as the characters it is. names are the workspace's people and
// channels by id.
func readable(text string, names map[string]string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		quote := ""
		// A quote block: Slack draws a bar and hides the mark.
		if rest, ok := strings.CutPrefix(line, ">"); ok {
			quote, line = "▎ ", strings.TrimPrefix(rest, " ")
		}
		line = slackMarkup.ReplaceAllStringFunc(line, func(m string) string {
			return controlText(m[1:len(m)-1], names)
		})
		line = emojiCode.ReplaceAllStringFunc(line, func(m string) string {
			if e, ok := demoEmoji[m[1:len(m)-1]]; ok {
				return e
			}
			return m
		})
		for _, mark := range "*_~`" {
			line = unwrap(line, mark)
		}
		lines[i] = quote + line
	}
	text = strings.Join(lines, "\n")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "\u2060", "").Replace(text)
}

// controlText is what Slack shows for the control sequence <c>.
func controlText(c string, names map[string]string) string {
	target, label, labelled := strings.Cut(c, "|")
	name := func(id string) string {
		switch {
		case labelled:
			return strings.TrimPrefix(label, "@")
		case names[id] != "":
			return names[id]
		}
		return id
	}
	switch {
	case strings.HasPrefix(target, "@"):
		return "@" + name(target[1:])
	case strings.HasPrefix(target, "#"):
		return "#" + name(target[1:])
	case strings.HasPrefix(target, "!date^"):
		// <!date^UNIX^FORMAT(^LINK)|fallback>: {ago} is relative to now,
		// every other format is the fallback, already in UTC.
		parts := strings.Split(target, "^")
		if len(parts) >= 3 && parts[2] == "{ago}" {
			if unix, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
				return ago(time.Until(time.Unix(unix, 0)))
			}
		}
		return label
	case strings.HasPrefix(target, "!subteam^"):
		return "@" + name(strings.TrimPrefix(target, "!subteam^"))
	case strings.HasPrefix(target, "!"):
		return "@" + target[1:] // <!here>, <!channel>, <!everyone>
	case labelled:
		return label // a link, by its label
	}
	return target
}

// ago says how far away a time d from now is, as Slack's {ago} does.
func ago(d time.Duration) string {
	n, unit := d.Abs().Round(time.Minute), "minute"
	count := int(n / time.Minute)
	switch {
	case n >= 36*time.Hour:
		count, unit = int((n+12*time.Hour)/(24*time.Hour)), "day"
	case n >= time.Hour:
		count, unit = int((n+30*time.Minute)/time.Hour), "hour"
	case n < time.Minute:
		return "just now"
	}
	if count != 1 {
		unit += "s"
	}
	if d < 0 {
		return fmt.Sprintf("%d %s ago", count, unit)
	}
	return fmt.Sprintf("in %d %s", count, unit)
}

// unwrap drops the marks of Slack's emphasis (*bold*, _italic_, ~strike~,
// `code`), which a reader sees as a look rather than characters. As in
// Slack, a mark opens only at the start of a word and closes only at the
// end of one, so @jane_doe and 2*3*4 keep theirs.
func unwrap(line string, mark rune) string {
	m := string(mark)
	var b strings.Builder
	for rest := line; rest != ""; {
		i := strings.Index(rest, m)
		if i < 0 {
			b.WriteString(rest)
			break
		}
		before := line[:len(line)-len(rest)+i]
		inner := rest[i+1:]
		j := closing(inner, m)
		if j < 0 || wordy(lastRune(before)) || strings.HasPrefix(inner, " ") {
			b.WriteString(rest[:i+1])
			rest = inner
			continue
		}
		b.WriteString(rest[:i] + inner[:j])
		rest = inner[j+1:]
	}
	return b.String()
}

// closing is where the mark m that closes emphasis opened just before s
// is, or -1: after some text, not after a space, and at a word's end.
func closing(s, m string) int {
	for j := 1; j < len(s); j++ {
		if s[j:j+1] == m && s[j-1] != ' ' {
			if r, _ := utf8.DecodeRuneInString(s[j+1:]); j+1 == len(s) || !wordy(r) {
				return j
			}
		}
	}
	return -1
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func wordy(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
