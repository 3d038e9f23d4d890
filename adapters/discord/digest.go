package discord

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/adapters/chunk"
	"caredesk/bot"
	"caredesk/handlers"
)

var _ bot.Digester = (*Discord)(nil)

// Discord's limits on a message's buttons: five action rows of five.
const (
	maxRows       = 5
	maxRowButtons = 5
)

// digestSize is how many complaints one digest lists: one Claim button
// each, within a message's 25 buttons.
const digestSize = maxRows * maxRowButtons

// maxDigestLine is the longest line of a digest, in UTF-16 units, so that
// digestSize lines and their line breaks (4,024 units), and a last line
// saying how many more there are, fit an embed's description of 4,096.
// With the title (at most 256) and the footer, the embed stays under
// Discord's 6,000 for all of a message's embeds.
const maxDigestLine = 160

// The parts of a digest line that are cut to leave room for the others.
const (
	maxDigestNetwork  = 20
	maxDigestCustomer = 40
	minDigestWords    = 12 // what the status leaves at least for the complaint's words
)

// DigestSize is 25: a digest is one message, its complaints the lines of
// an embed, each unclaimed one with its Claim button in the message's
// five action rows of five buttons.
func (d *Discord) DigestSize() int { return digestSize }

// PostDigest posts g as a message of its own in its desk channel and
// returns the message's id. The message carries a nonce made from g that
// Discord checks for a few minutes, so a retry after a lost answer gets
// the same message back rather than a second one. In a forum desk, which
// takes posts, not messages, g goes to the "caredesk · announcements"
// post, as the storm's notice did (started if needed), and the id is
// "post/message".
func (d *Discord) PostDigest(ctx context.Context, g bot.Digest) (string, error) {
	if d.opts.DeskChannelID == "" {
		return "", errNoDesk
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	e, buttons := d.digestMessage(g)
	msg := &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e}, Components: buttons, AllowedMentions: noMentions()}
	channel := d.or(g.Channel)
	prefix := ""
	if d.forums[channel] {
		posts, err := d.announcements(ctx, channel)
		if err != nil {
			return "", err
		}
		if len(posts) == 0 {
			th, err := d.s.ForumThreadStartComplex(channel, &discordgo.ThreadStart{Name: announceName, AutoArchiveDuration: archiveAfter}, msg, discordgo.WithContext(ctx))
			if err != nil {
				return "", deliveryError("start announcements post", err)
			}
			return th.ID + "/" + th.ID, nil // a post's starter message has the post's id
		}
		channel, prefix = posts[0], posts[0]+"/"
	}
	m, err := d.send(ctx, channel, msg, digestNonce(g))
	if err != nil {
		return "", deliveryError("post digest", err)
	}
	return prefix + m.ID, nil
}

// UpdateDigest edits g's post (g.Ref) to show its lines as they are now:
// a line someone claimed or resolved loses its button.
func (d *Discord) UpdateDigest(ctx context.Context, g bot.Digest) error {
	channel, id, err := d.digestAt(g)
	if err != nil {
		return err
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	e, buttons := d.digestMessage(g)
	embeds := []*discordgo.MessageEmbed{e}
	_, err = d.s.ChannelMessageEditComplex(&discordgo.MessageEdit{
		Channel: channel, ID: id, Embeds: &embeds, Components: &buttons, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	return deliveryError("edit digest", err)
}

// FindDigest looks for a post of g whose answer was lost: by its nonce,
// which the gateway's echo of the bot's own messages carries (while this
// process runs), or else among the bot's messages in the channel since a
// minute before g was created, by the mark in its footer (digestMark),
// which names g's id and creation, so that a digest of another storm or
// another database is not taken for it. In a forum desk it looks in every
// announcements post: the storm's notice and its first digest, sent from
// queues of their own, may each have started one. "" when there is none.
func (d *Discord) FindDigest(ctx context.Context, g bot.Digest) (string, error) {
	if d.opts.DeskChannelID == "" {
		return "", errNoDesk
	}
	channel := d.or(g.Channel)
	ctx, cancel := d.bind(ctx)
	defer cancel()
	if !d.forums[channel] {
		if id, ok := d.sentWith(digestNonce(g)); ok {
			return id, nil
		}
		return d.findDigestIn(ctx, channel, g)
	}
	posts, err := d.announcements(ctx, channel)
	if err != nil {
		return "", err
	}
	for _, post := range posts {
		id, err := d.findDigestIn(ctx, post, g)
		if err != nil {
			return "", err
		}
		if id != "" {
			return post + "/" + id, nil
		}
	}
	return "", nil
}

// findDigestIn looks for g's message in channel, in at most ten pages of
// a hundred messages.
func (d *Discord) findDigestIn(ctx context.Context, channel string, g bot.Digest) (string, error) {
	mark := digestMark(g)
	m, err := d.botMessage(ctx, channel, g.Created.Add(-time.Minute), func(m *discordgo.Message) bool {
		return len(m.Embeds) > 0 && m.Embeds[0].Footer != nil && m.Embeds[0].Footer.Text == mark
	})
	if err != nil || m == nil {
		return "", err
	}
	return m.ID, nil
}

// announcements returns the "caredesk · announcements" posts of the forum
// desk channel forum, oldest first: none until one is started, and
// rarely more than one.
func (d *Discord) announcements(ctx context.Context, forum string) ([]string, error) {
	list, err := d.s.GuildThreadsActive(d.opts.GuildID, discordgo.WithContext(ctx))
	if err != nil {
		return nil, deliveryError("list active threads", err)
	}
	var posts []string
	for _, th := range list.Threads {
		if th.ParentID == forum && th.OwnerID == d.botID && th.Name == announceName {
			posts = append(posts, th.ID)
		}
	}
	slices.SortFunc(posts, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b)) })
	return posts, nil
}

// digestAt reads g.Ref: the message's id, in g's desk channel, or
// "post/message" in a forum desk's announcements post.
func (d *Discord) digestAt(g bot.Digest) (channel, id string, err error) {
	if g.Ref == "" {
		return "", "", fmt.Errorf("discord: digest %d is not on the desk yet", g.ID)
	}
	if d.opts.DeskChannelID == "" {
		return "", "", errNoDesk
	}
	channel, id, ok := strings.Cut(g.Ref, "/")
	if !ok {
		channel, id = d.or(g.Channel), g.Ref
	}
	if !snowflake.MatchString(channel) || !snowflake.MatchString(id) {
		return "", "", bot.Permanent(fmt.Errorf("discord: %q does not name a digest caredesk posted on Discord, so it cannot be edited", g.Ref))
	}
	return channel, id, nil
}

// digestNonce is the nonce of g's message, the same on every attempt.
func digestNonce(g bot.Digest) string { return nonce("g", g.ID, g.Created.UnixMilli()) }

// digestMark is the footer of g's embed, by which FindDigest knows it.
func digestMark(g bot.Digest) string {
	return fmt.Sprintf("caredesk · digest %d · %d", g.ID, g.Created.UnixMilli())
}

// digestMessage renders g: an embed with a line per complaint, and a
// Claim button for each line nobody owns, five to an action row; an
// empty list of rows when there is none, which takes the old buttons off
// an edited message.
func (d *Discord) digestMessage(g bot.Digest) (*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	all := handlers.NewDigestLines(g, d.opts.HighReach)
	shown := all[:min(len(all), digestSize)]
	var lines []string
	buttons := []discordgo.MessageComponent{}
	var row discordgo.ActionsRow
	seen := map[string]bool{}
	for _, l := range shown {
		lines = append(lines, digestLine(l))
		if l.Claim == nil {
			continue
		}
		b := button(*l.Claim)
		if seen[b.CustomID] {
			continue // Discord refuses two buttons of one id
		}
		seen[b.CustomID] = true
		row.Components = append(row.Components, b)
		if len(row.Components) == maxRowButtons {
			buttons, row = append(buttons, row), discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 {
		buttons = append(buttons, row)
	}
	if more := len(all) - len(shown); more > 0 {
		lines = append(lines, fmt.Sprintf("*…and %d more.*", more))
	}
	e := &discordgo.MessageEmbed{
		Type:        discordgo.EmbedTypeRich,
		Title:       clip(handlers.DigestTitle(g), maxTitle),
		Description: clipOwn(strings.Join(lines, "\n"), maxDescription), // a last lock: the lines fit already
		Color:       digestColour(g),
		Footer:      &discordgo.MessageEmbedFooter{Text: digestMark(g)},
	}
	if !g.Created.IsZero() {
		e.Timestamp = g.Created.UTC().Format(time.RFC3339)
	}
	return e, buttons
}

// digestColour is the colour of a digest's embed: a ticket's while open
// as long as one of its complaints is, claimed once each has an owner,
// resolved once all are.
func digestColour(g bot.Digest) int {
	colour := colourResolved
	for _, e := range g.Entries {
		switch {
		case e.Ticket.State != bot.Resolved && e.Ticket.Owner.ID == "":
			return colourOpen
		case e.Ticket.State != bot.Resolved:
			colour = colourClaimed
		}
	}
	return colour
}

// digestLine is one complaint of a digest, at most maxDigestLine units:
// "**#12** · Telegram · **Jane Doe (@jane)** · 📣 250,000 — the words… ·
// 🙋 @alice". The customer's name and words are escaped and cannot
// format, ping or link; the status is caredesk's own, its mentions and
// thread links live (a thread is shown as its channel mention). The status
// has its room before the words (who owns a ticket matters more than the
// rest of its words once someone does), and is cut only where the rest
// leaves it none, never inside a mention; the words take what is left.
func digestLine(l handlers.DigestLine) string {
	head := "**#" + strconv.FormatInt(l.Number, 10) + "** · " + clipEscaped(escapeName(l.Network), maxDigestNetwork) +
		" · **" + clipEscaped(escapeName(l.Customer), maxDigestCustomer) + "**"
	if b := l.Badge(); b != "" {
		head += " · " + b
	}
	tail := ""
	if l.Status != "" {
		room := maxDigestLine - units(head) - units(" · ")
		if l.Words != "" {
			room -= units(" — ") + minDigestWords
		}
		tail = " · " + clipOwn(safe(l.Status), max(room, 1))
	}
	line := head
	if words := escapeName(l.Words); words != "" {
		if room := maxDigestLine - units(head) - units(tail) - units(" — "); room >= 2 {
			line += " — " + clipEscaped(words, room)
		}
	}
	return clipOwn(line+tail, maxDigestLine) // a last lock: the parts above fit already
}

// clipEscaped shortens escaped outside text to n UTF-16 units, with "…".
// Cutting it is harmless (half of "@\u200beveryone" or of "<\u200b@1>"
// means nothing to Discord) but for a backslash cut off from the
// character it escaped, which is dropped rather than shown.
func clipEscaped(s string, n int) string {
	cut := clip(s, n)
	body, ok := strings.CutSuffix(cut, "…")
	if !ok || cut == s {
		return cut
	}
	if trailing := len(body) - len(strings.TrimRight(body, `\`)); trailing%2 == 1 {
		body = body[:len(body)-1]
	}
	return body + "…"
}

// clipOwn shortens caredesk's own rendered words to n UTF-16 units, with
// "…", never inside a mention or a channel link.
func clipOwn(s string, n int) string {
	return chunk.Clip(s, chunk.Limit{Max: n, Width: chunk.UTF16, Atom: atom})
}
