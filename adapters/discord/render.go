package discord

import (
	"caredesk/adapters/chunk"
	"caredesk/outside"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
	"caredesk/handlers"
)

// Discord's limits on what a message may carry. Discord counts text as
// JavaScript does, in UTF-16 code units, so caredesk does too: an emoji
// outside the BMP counts twice.
const (
	maxContent     = 2000 // a message's content
	maxTitle       = 256  // an embed's title
	maxDescription = 4096 // an embed's description
	maxFieldValue  = 1024 // an embed field's value
	maxThreadName  = 100
	maxLabel       = 80 // a button's label
)

// customIDPrefix starts the custom_id of caredesk's buttons,
// "caredesk:claim:12", so that a click names its verb and ticket and other
// apps' ids never match.
const customIDPrefix = "caredesk:"

// Colours of a ticket's embed by state: what an agent scanning the
// channel sees first.
const (
	colourOpen     = 0xE67E22
	colourClaimed  = 0x3498DB
	colourResolved = 0x2ECC71
	colourOverdue  = 0xE74C3C
)

// zwsp is a zero-width space: put inside a sequence Discord would obey,
// it keeps the look and removes the effect.
const zwsp = "\u200b"

var (
	// broadcast matches the words that ping a whole server or channel.
	broadcast = regexp.MustCompile(`(?i)@(everyone|here)`)
	// sequence matches the starts of Discord's mention and link syntax:
	// <@user>, <@!user>, <@&role>, <#channel>, </command:id>, <id:…>.
	sequence = regexp.MustCompile(`<([@#/]|id:)`)
	// markdownSpecial are the characters that format a name.
	markdownSpecial = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, `~`, `\~`, "`", "\\`", `|`, `\|`, `[`, `\[`, `]`, `\]`, `>`, `\>`, `#`, `\#`)
)

// escape makes outside text safe to show on the desk: it keeps the
// words readable and the customer's formatting, but no control character,
// escape sequence or bidi override (outside.Clean), no @everyone or @here,
// no user, role or channel mention, and no masked link ([bank.com](evil))
// survives as such. Every message caredesk sends also allows no mentions
// but those caredesk wrote, so this is the second lock, for what people
// read.
func escape(s string) string {
	s = broadcast.ReplaceAllString(outside.Clean(s), "@"+zwsp+"$1")
	s = sequence.ReplaceAllString(s, "<"+zwsp+"$1")
	return strings.ReplaceAll(s, "](", "]"+zwsp+"(")
}

// escapeName makes outside text safe to show inside a sentence, such as a
// customer's name in bold or a bridge's reason: escape, on one line, and
// no character of it formats.
func escapeName(s string) string {
	return escape(markdownSpecial.Replace(outside.Line(outside.Clean(s))))
}

// token matches what the core writes for the desk to render (see
// bot.Mention, bot.Here and bot.At): user mentions, which also come from
// agents' own words, the channel ping, a team's channel (<#id>, a link
// that pings nobody), and times, which Discord shows in each reader's own
// zone as they are.
var token = regexp.MustCompile(`<#[0-9]+>|<@!?([0-9]+)>|<!here>|<t:-?[0-9]+:[tTdDfFR]>|<thread:[0-9]*/[0-9]+>`)

// safe makes caredesk's own sentences (the core's answers, notices, an
// agent's words shown again) safe for the desk: the core's tokens are
// rendered, everything else is escaped, and outside text the core quoted
// (bot.Quote) is shown escaped on one line, its tokens included, so a
// customer's name "<@123>" is printed, not obeyed.
func safe(s string) string {
	var b strings.Builder
	for _, sp := range outside.Spans(s) {
		if sp.Outside {
			b.WriteString(escapeName(sp.Text))
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
	for _, m := range token.FindAllStringIndex(s, -1) {
		b.WriteString(escape(s[last:m[0]]))
		if tok := s[m[0]:m[1]]; tok == bot.Here {
			b.WriteString("@here")
		} else if _, thread, ok := strings.Cut(strings.TrimSuffix(tok, ">"), "/"); ok && strings.HasPrefix(tok, "<thread:") {
			b.WriteString("<#" + thread + ">") // a Discord thread is a channel
		} else {
			b.WriteString(tok)
		}
		last = m[1]
	}
	b.WriteString(escape(s[last:]))
	return b.String()
}

// pings lets a caredesk sentence ping exactly whom it names: the users it
// mentions, and the channel when it says bot.Here. Nothing a customer
// wrote inside it can ping: safe escaped that, and outside text the core
// quoted is not looked at.
func pings(s string) *discordgo.MessageAllowedMentions {
	a := noMentions()
	seen := map[string]bool{}
	for _, m := range token.FindAllStringSubmatch(outside.Own(s), -1) {
		switch {
		case m[0] == bot.Here && !seen[m[0]]:
			a.Parse = append(a.Parse, discordgo.AllowedMentionTypeEveryone)
		case m[1] != "" && !seen[m[1]]:
			a.Users = append(a.Users, m[1])
			seen[m[1]] = true
		}
		seen[m[0]] = true
	}
	return a
}

// noMentions lets nothing in a message ping anyone.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// mentioning lets exactly users be pinged, and nobody else.
func mentioning(users []string) *discordgo.MessageAllowedMentions {
	a := noMentions()
	if len(users) > 0 {
		a.Users = users
	}
	return a
}

// discordTime shows t in each reader's own time zone and language, with
// how long ago or ahead it is.
func discordTime(t time.Time) string {
	return fmt.Sprintf("<t:%d:f> (<t:%d:R>)", t.Unix(), t.Unix())
}

// ticketEmbed renders the starter message of a ticket: its facts as an
// embed. Customer data is escaped; times are Discord timestamps.
func ticketEmbed(v handlers.View, state bot.State) *discordgo.MessageEmbed {
	text := quoted(escape(strings.TrimSpace(v.Text)))
	if strings.TrimSpace(v.Text) == "" {
		text = "*(no text)*"
	}
	const cut = "\n*…the rest is too long to show on Discord.*"
	if units(text) > maxDescription {
		text = strings.TrimSpace(split(text, maxDescription-units(cut))[0]) + cut
	}
	e := &discordgo.MessageEmbed{
		Type:        discordgo.EmbedTypeRich,
		Title:       clip(v.Title(), maxTitle),
		Description: text,
		Color:       colour(v, state),
	}
	e.URL = webURL(v.PostURL) // the title opens the original post
	field := func(name, value string, inline bool) {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: clip(value, maxFieldValue), Inline: inline})
	}
	field("Customer", escapeName(v.Customer), true)
	if r := reach(v); r != "" {
		field("Reach", r, true)
	}
	if !v.Opened.IsZero() {
		field("Opened", discordTime(v.Opened), true)
	}
	if !v.Deadline.IsZero() {
		by := discordTime(v.Deadline)
		if v.Overdue {
			by += " 🚨 **overdue**"
		}
		field("Answer by", by, true)
	}
	if !v.Answered.IsZero() {
		field("First answered", discordTime(v.Answered), true)
	}
	field("Status", safe(v.Status), false)
	return e
}

// reach is what the starter message says of the author's audience and
// where the post is: followers, a badge when they are many, links to the
// post and the profile.
func reach(v handlers.View) string {
	var parts []string
	if v.Followers > 0 {
		parts = append(parts, v.FollowerCount()+" followers")
	}
	if v.HighReach {
		parts = append(parts, "📣 **high reach**")
	}
	if l := link(v.PostURL, "original post"); l != "" {
		parts = append(parts, l)
	}
	if l := link(v.ProfileURL, "profile"); l != "" {
		parts = append(parts, l)
	}
	return strings.Join(parts, " · ")
}

// webURL returns address when it is an absolute http(s) URL, "" otherwise:
// a link caredesk shows must lead to a web page.
func webURL(address string) string {
	u, err := url.Parse(outside.Clean(address)) // a bridge's address may hide a bidi override
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String()
}

// link is a masked link of caredesk's own to address, or "".
func link(address, label string) string {
	u := webURL(address)
	if u == "" {
		return ""
	}
	return "[" + label + "](" + strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(u) + ")"
}

func colour(v handlers.View, state bot.State) int {
	switch {
	case state == bot.Resolved:
		return colourResolved
	case v.Overdue:
		return colourOverdue
	case state == bot.Claimed:
		return colourClaimed
	}
	return colourOpen
}

// ticketButtons renders the view's buttons as one action row; none, an
// empty list, which takes old buttons off an edited message.
func ticketButtons(v handlers.View) []discordgo.MessageComponent {
	if len(v.Buttons) == 0 {
		return []discordgo.MessageComponent{}
	}
	row := discordgo.ActionsRow{}
	for _, b := range v.Buttons {
		row.Components = append(row.Components, button(b))
	}
	return []discordgo.MessageComponent{row}
}

// button renders one of caredesk's buttons; its custom_id names the verb
// and the ticket, which is all a click needs (buttonVerb).
func button(b handlers.Button) discordgo.Button {
	style := discordgo.SecondaryButton
	switch b.Style {
	case "primary":
		style = discordgo.PrimaryButton
	case "danger":
		style = discordgo.DangerButton
	}
	return discordgo.Button{Label: clip(b.Label, maxLabel), Style: style, CustomID: customIDPrefix + string(b.Verb) + ":" + b.Value}
}

// threadName names a ticket's thread as the channel list shows it:
// "#12 · Telegram · Jane Doe (@jane)". Names show no markdown or mentions.
func threadName(v handlers.View) string {
	name := v.Title() + " · " + outside.Line(outside.Clean(v.Customer))
	return clip(name, maxThreadName)
}

// ticketPrefix starts the title of ticket n's embed and the name of its
// thread, by which FindTicket knows them.
func ticketPrefix(n int64) string { return "#" + strconv.FormatInt(n, 10) + " · " }

// threadText is how a message appears in a ticket's thread, already safe
// for Discord. Customer text is data, shown as a quote block under the
// customer's name, so no line of it can pass for one of caredesk's; the
// rest is the team's. A message its author changed says so under it,
// whether it is posted after the edit or edited in place (EditMessage).
func threadText(t bot.Ticket, m bot.Message) string {
	s := messageText(t, m)
	if !m.EditedAt.IsZero() {
		s += "\n" + editedMark
	}
	return s
}

// editedMark is the line under a message that was changed.
const editedMark = "*(edited)*"

// messageText is threadText without the edit's mark.
func messageText(t bot.Ticket, m bot.Message) string {
	text := m.Text
	if strings.TrimSpace(text) == "" {
		text = "*(no text)*"
	}
	agent := bot.Mention(bot.Agent{ID: m.Author, Name: m.AuthorName})
	switch m.Kind {
	case bot.FromCustomer:
		said := "*(no text)*"
		if strings.TrimSpace(m.Text) != "" {
			said = quoted(escape(m.Text))
		}
		return "**" + escapeName(handlers.CustomerName(t.Customer)) + "**:\n" + said
	case bot.Reply:
		return agent + " → customer: " + safe(text)
	case bot.Note:
		return "Note from " + agent + ": " + safe(text)
	}
	return safe(text)
}

// units is the length of s as Discord counts it.
func units(s string) int { return chunk.UTF16(s) }

// atom returns the length in bytes of the indivisible piece at the start
// of s: a <…> sequence of Discord's, or one character.
func atom(s string) int {
	if s[0] == '<' {
		if j := strings.IndexByte(s, '>'); j > 0 && j <= 64 && !strings.ContainsAny(s[:j], " \n<") {
			return j + 1
		}
	}
	return 0 // one character
}

// quoteMark starts each line of a quote block.
const quoteMark = "> "

// quoted shows escaped outside text as a quote block: a customer's
// "**✅ Resolved**" on a line of its own sits inside the quote's bar, not
// where caredesk writes its notices.
func quoted(escaped string) string { return outside.Lines(escaped, quoteMark) }

// split cuts text into pieces of at most limit UTF-16 units, never inside
// a mention or timestamp (<@123>, <t:1:f>). A quote block cut in two
// goes on quoted in the next piece.
func split(s string, limit int) []string {
	return chunk.Split(s, chunk.Limit{Max: limit, Width: chunk.UTF16, Atom: atom, Quote: quoteMark})
}

// clip shortens plain text to n UTF-16 units, with "…".
func clip(s string, n int) string { return chunk.Clip(s, chunk.Limit{Max: n, Width: chunk.UTF16}) }
