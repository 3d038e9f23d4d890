package slack

import (
	"caredesk/adapters/chunk"
	"caredesk/outside"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"caredesk/bot"
	"caredesk/handlers"
)

// Slack's limits on what a message may carry.
const (
	maxBlocks      = 50   // blocks in one message
	maxSectionText = 3000 // characters of one section's text
	maxHeaderText  = 150  // characters of a header
	maxFallback    = 3000 // the notification text kept short, though Slack allows 40,000
)

// actionPrefix starts the action_id of caredesk's buttons, so that a
// click names its verb ("caredesk:claim") and other apps' ids never match.
const actionPrefix = "caredesk:"

// escaper turns text into Slack text that shows exactly those characters:
// a customer's "<!channel>" or "<http://evil|bank.com>" is printed, not
// obeyed.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// broadcast matches the words that ping a whole channel when an app sends
// text with link_names or a reader pastes it back. A word joiner after the
// "@" keeps the look and removes the ping.
var broadcast = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)

// escape makes outside text safe to show on the desk: cleaned of control
// characters, escape sequences and bidi overrides (outside.Clean), then
// escaped, so it shows as the characters it is.
func escape(s string) string {
	s = escaper.Replace(outside.Clean(s))
	return broadcast.ReplaceAllString(s, "@\u2060$1")
}

// token matches what the core writes for the desk to render (see
// bot.Mention, bot.Here and bot.At): user mentions, which also come from
// agents' own words, the channel ping, a team's channel (<#C…>, a link
// that pings nobody), and times in Discord's <t:UNIX:style> form, which
// Slack shows in each reader's own zone.
var token = regexp.MustCompile(`<#[CG][A-Z0-9]+>|<@[A-Z0-9]+(?:\|[^<>&|]*)?>|<!here>|<t:(-?[0-9]+):([tTdDfFR])>|<https://[a-z0-9-]+\.slack\.com/archives/[CG][A-Z0-9]+/p[0-9]+\|[a-z ]+>`)

// threadLink matches bot.ThreadLink.
var threadLink = regexp.MustCompile(`<thread:([CG][A-Z0-9]*)?/([0-9]+)\.([0-9]+)>`)

// links writes the core's thread links in text as permalinks into the
// workspace (https://WORKSPACE.slack.com/archives/CHANNEL/pTS), which own
// then leaves live; without the workspace's address, as words.
// Outside text the core quoted is left as it is.
func (d *Desk) links(text string) string { return d.linksAs(text, "the earlier thread") }

// linksAs is links with the links' words: lower-case letters and spaces,
// as the desk's tokens allow.
func (d *Desk) linksAs(text, label string) string {
	var b strings.Builder
	for _, sp := range outside.Spans(text) {
		if sp.Outside {
			b.WriteString(outside.Quote(sp.Text))
			continue
		}
		b.WriteString(threadLink.ReplaceAllStringFunc(sp.Text, func(tok string) string {
			m := threadLink.FindStringSubmatch(tok)
			if !strings.HasPrefix(d.workspace, "https://") || !strings.HasSuffix(d.workspace, ".slack.com/") {
				return label
			}
			return "<" + d.workspace + "archives/" + d.or(m[1]) + "/p" + m[2] + m[3] + "|" + label + ">"
		}))
	}
	return b.String()
}

// safe makes caredesk's own sentences (the core's answers, notices, an
// agent's words re-rendered) safe for the desk: the core's tokens are
// rendered, every other control sequence is escaped, and outside text the
// core quoted (bot.Quote) is shown escaped on one line, its tokens
// included, so a customer's name "<!here>" is printed, not obeyed.
func safe(s string) string {
	var b strings.Builder
	for _, sp := range outside.Spans(s) {
		if sp.Outside {
			b.WriteString(escape(outside.Line(sp.Text)))
		} else {
			b.WriteString(own(sp.Text))
		}
	}
	return b.String()
}

// own renders caredesk's own words: its tokens live, the rest escaped.
func own(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range token.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(escape(s[last:m[0]]))
		if m[2] >= 0 {
			unix, _ := strconv.ParseInt(s[m[2]:m[3]], 10, 64)
			b.WriteString(slackTime(time.Unix(unix, 0), s[m[4]:m[5]]))
		} else {
			b.WriteString(s[m[0]:m[1]])
		}
		last = m[1]
	}
	b.WriteString(escape(s[last:]))
	return b.String()
}

// slackTime renders a core time token in Slack's date formatting, keeping
// the style: t/T a time, d/D a date, f/F both, R relative ("in 40 minutes").
func slackTime(t time.Time, style string) string {
	format, fallback := "{date_short_pretty} {time}", "2006-01-02 15:04 UTC"
	switch style {
	case "t", "T":
		format, fallback = "{time}", "15:04 UTC"
	case "d", "D":
		format, fallback = "{date_short_pretty}", "2006-01-02"
	case "R":
		format = "{ago}"
	}
	return fmt.Sprintf("<!date^%d^%s|%s>", t.Unix(), format, t.UTC().Format(fallback))
}

// slackDate shows t in each reader's own time zone, with a UTC fallback
// for clients that cannot.
func slackDate(t time.Time) string { return slackTime(t, "f") }

// ticketMessage renders the root of a ticket: its blocks and the plain
// text that notifications and old clients show.
func ticketMessage(v handlers.View) (blocks []slackapi.Block, fallback string) {
	customer := preview(escape(outside.Line(v.Customer)), 200)
	text := escape(v.Text)
	quote := quoted(text)
	if strings.TrimSpace(v.Text) == "" {
		text, quote = "_(no text)_", "_(no text)_"
	}

	blocks = append(blocks, slackapi.NewHeaderBlock(plain(clip(v.Title(), maxHeaderText))))
	blocks = append(blocks, section("*"+customer+"* wrote:"+reach(v), true))
	// Header, customer, context, status and actions leave the rest of the
	// 50 blocks for the customer's text.
	for _, chunk := range fit(split(quote, maxSectionText), maxBlocks-5) {
		blocks = append(blocks, section(chunk, true))
	}
	blocks = append(blocks, slackapi.NewContextBlock("", mrkdwn(timeLine(v), false)))
	blocks = append(blocks, section(safe(v.Status), false))
	if len(v.Buttons) > 0 {
		var buttons []slackapi.BlockElement
		for _, b := range v.Buttons {
			e := slackapi.NewButtonBlockElement(actionPrefix+string(b.Verb), b.Value, plain(b.Label))
			e.Style = slackapi.Style(b.Style)
			buttons = append(buttons, e)
		}
		blocks = append(blocks, slackapi.NewActionBlock("", buttons...))
	}
	return blocks, escape(v.Title()) + " — " + customer + ": " + preview(outside.Line(text), 150)
}

// reach is what the root says of the author's audience and where the post
// is: followers, a badge when they are many, links to the post and profile.
func reach(v handlers.View) string {
	var parts []string
	if v.Followers > 0 {
		parts = append(parts, v.FollowerCount()+" followers")
	}
	if v.HighReach {
		parts = append(parts, ":mega: *high reach*")
	}
	if l := link(v.PostURL, "original post"); l != "" {
		parts = append(parts, l)
	}
	if l := link(v.ProfileURL, "profile"); l != "" {
		parts = append(parts, l)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, " · ") + ")"
}

// link is a Slack link to u labelled label, or "" when u is empty. A URL
// that could break out of Slack's <url|label> is shown as text instead.
func link(u, label string) string {
	u = outside.Clean(u) // a bridge's address may hide a bidi override
	switch {
	case u == "":
		return ""
	case strings.ContainsAny(u, "<>| \n") || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")):
		return escape(u)
	}
	return "<" + strings.ReplaceAll(u, "&", "&amp;") + "|" + label + ">"
}

// preview is the start of Slack text s, at most n characters and a "…".
func preview(s string, n int) string {
	p := split(s, n)[0]
	if p != strings.TrimSpace(s) {
		p += "…"
	}
	return p
}

// timeLine says when the ticket was opened and by when, or when, it was
// answered.
func timeLine(v handlers.View) string {
	var parts []string
	if !v.Opened.IsZero() {
		parts = append(parts, "Opened "+slackDate(v.Opened))
	}
	if !v.Deadline.IsZero() {
		// {ago} is rendered when read, so "in 41 minutes" stays true
		// without re-posting the root every minute.
		parts = append(parts, "answer due "+slackDate(v.Deadline)+", "+slackTime(v.Deadline, "R"))
	}
	if v.Overdue {
		parts = append(parts, ":rotating_light: *overdue*")
	}
	if !v.Answered.IsZero() {
		parts = append(parts, "first answered "+slackDate(v.Answered))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " · ")
}

// threadText is how a message appears in a ticket's thread, already safe
// for Slack. Customer text is data, shown as a quote block under the
// customer's name, so no line of it can pass for one of caredesk's; the
// rest is the team's.
func threadText(t bot.Ticket, m bot.Message) string {
	agent := bot.Mention(bot.Agent{ID: m.Author, Name: m.AuthorName})
	edited := ""
	if !m.EditedAt.IsZero() {
		edited = " _(edited)_"
	}
	switch m.Kind {
	case bot.FromCustomer:
		return "*" + escape(outside.Line(handlers.CustomerName(t.Customer))) + "*" + edited + ":\n" + quoted(escape(m.Text))
	case bot.Reply:
		return agent + " → customer" + edited + ": " + safe(m.Text)
	case bot.Note:
		return "Note from " + agent + edited + ": " + safe(m.Text)
	}
	return safe(m.Text)
}

// textMessage renders text that is already safe as sections of at most
// Slack's size, and the fallback for notifications. verbatim stops Slack
// from turning words into links and mentions, for customer data.
func textMessage(text string, verbatim bool) (blocks []slackapi.Block, fallback string) {
	if strings.TrimSpace(text) == "" {
		text = "_(no text)_"
	}
	chunks := fit(split(text, maxSectionText), maxBlocks)
	for _, c := range chunks {
		blocks = append(blocks, section(c, verbatim))
	}
	fallback = preview(chunks[0], maxFallback)
	if len(chunks) > 1 && !strings.HasSuffix(fallback, "…") {
		fallback += "…"
	}
	return blocks, fallback
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, true, false)
}

func mrkdwn(s string, verbatim bool) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, verbatim)
}

func section(s string, verbatim bool) *slackapi.SectionBlock {
	return slackapi.NewSectionBlock(mrkdwn(s, verbatim), nil, nil)
}

// fit keeps at most n chunks, saying so in the last one when text was cut.
func fit(chunks []string, n int) []string {
	if len(chunks) <= n {
		return chunks
	}
	return append(chunks[:n-1:n-1], "_…the rest is too long to show in Slack._")
}

// atom returns the length in bytes of the indivisible piece at the start
// of s: an entity, a control sequence, or one character.
func atom(s string) int {
	switch s[0] {
	case '&':
		if j := strings.IndexByte(s, ';'); j > 0 && j <= 6 {
			return j + 1
		}
	case '<':
		if j := strings.IndexByte(s, '>'); j > 0 && j <= 300 {
			return j + 1
		}
	}
	return 0 // one character
}

// quoteMark starts each line of a quote block. Escaped text has no ">"
// (escape writes "&gt;"), so a line that starts with it is caredesk's.
const quoteMark = "> "

// quoted shows escaped outside text as a quote block: a customer's
// "*✅ Resolved*" on a line of its own sits inside the quote's bar, not
// where caredesk writes its notices.
func quoted(escaped string) string { return outside.Lines(escaped, quoteMark) }

// split cuts Slack text into pieces of at most limit characters, never
// inside an entity (&amp;) or a control sequence (<@U123>). A quote block
// cut in two goes on quoted in the next piece.
func split(s string, limit int) []string {
	return chunk.Split(s, chunk.Limit{Max: limit, Atom: atom, Quote: quoteMark})
}

// clip shortens plain text to n characters.
func clip(s string, n int) string { return chunk.Clip(s, chunk.Limit{Max: n}) }
