package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
	"caredesk/handlers"
)

var (
	_ bot.Desk          = (*Discord)(nil)
	_ bot.RootFinder    = (*Discord)(nil)
	_ bot.MessageFinder = (*Discord)(nil)
	_ bot.Source        = (*Discord)(nil)
	_ bot.ThreadEditor  = (*Discord)(nil)
	_ bot.Corrector     = (*Discord)(nil)
)

// deliveredEmoji is the sign on an agent's message that the customer got it.
const deliveredEmoji = "✔️"

// archiveAfter is how long, in minutes, a quiet ticket thread stays in
// the channel list: a week, Discord's longest. A message to an archived
// thread (the customer writing again) brings it back.
const archiveAfter = 10080

// discordEpoch is the first millisecond of 2015, where snowflakes count from.
const discordEpoch = 1420070400000

var errNoDesk = bot.Permanent(errors.New("discord: DISCORD_DESK_CHANNEL_ID is not set, so Discord is not the desk"))

// PostTicket shows t as the starter message of a new thread of the desk
// channel, or as a new post when the desk channel is a forum, and returns
// the thread's id, which is also the starter message's.
//
// In a text channel that takes two calls, the message and then its
// thread; a root whose thread could not be started is remembered, and
// the message carries a nonce Discord checks for a few minutes, so the
// retry does not post the ticket twice.
func (d *Discord) PostTicket(ctx context.Context, t bot.Ticket) (string, error) {
	if d.opts.DeskChannelID == "" {
		return "", errNoDesk
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	v := d.view(t)
	embeds := []*discordgo.MessageEmbed{ticketEmbed(v, t.State)}
	root := &discordgo.MessageSend{Embeds: embeds, Components: ticketButtons(v), AllowedMentions: noMentions()}
	channel := d.deskOf(t)
	if d.forums[channel] {
		th, err := d.s.ForumThreadStartComplex(channel,
			&discordgo.ThreadStart{Name: threadName(v), AutoArchiveDuration: archiveAfter}, root, discordgo.WithContext(ctx))
		if err != nil {
			return "", deliveryError("start forum post", err)
		}
		d.channels.put(th.ID, channelInfo{kind: kindDeskThread, parent: channel})
		return th.ID, nil
	}
	id, ok := d.rootOf(t.ID)
	if !ok {
		m, err := d.send(ctx, channel, root, nonce("t", t.ID, t.OpenedAt.Unix()))
		if err != nil {
			return "", deliveryError("post ticket", err)
		}
		id = m.ID
		d.remember(t.ID, id)
	}
	if err := d.startThread(ctx, channel, id, v); err != nil {
		return "", err
	}
	d.forget(t.ID)
	return id, nil
}

// deskOf is the desk channel of t's thread: its team's, or the desk's own.
func (d *Discord) deskOf(t bot.Ticket) string { return d.or(t.Channel) }

// or is channel, or the desk's own channel when it is "".
func (d *Discord) or(channel string) string {
	if channel == "" {
		return d.opts.DeskChannelID
	}
	return channel
}

// view is what t's starter message shows now.
func (d *Discord) view(t bot.Ticket) handlers.View {
	return handlers.NewViewWith(t, d.opts.Now(), d.opts.HighReach)
}

// startThread starts the thread of the root message id in a text desk
// channel. A thread already there (a retry) is as good as a new one.
func (d *Discord) startThread(ctx context.Context, channel, id string, v handlers.View) error {
	_, err := d.s.MessageThreadStartComplex(channel, id,
		&discordgo.ThreadStart{Name: threadName(v), AutoArchiveDuration: archiveAfter}, discordgo.WithContext(ctx))
	if err != nil && discordCode(err) != discordgo.ErrCodeThreadAlreadyCreatedForThisMessage {
		return deliveryError("start thread", err)
	}
	d.channels.put(id, channelInfo{kind: kindDeskThread, parent: channel})
	return nil
}

func (d *Discord) rootOf(ticket int64) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.roots[ticket]
	return id, ok
}

func (d *Discord) remember(ticket int64, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.roots[ticket] = id
}

func (d *Discord) forget(ticket int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.roots, ticket)
}

// FindTicket looks for t's root among the desk's messages since t was
// opened (or its active posts, in a forum), by the ticket number that
// starts its title, so that a root whose answer was lost is not posted
// twice. A root found without its thread gets one.
func (d *Discord) FindTicket(ctx context.Context, t bot.Ticket) (string, error) {
	if d.opts.DeskChannelID == "" {
		return "", errNoDesk
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	prefix := ticketPrefix(t.ID)
	channel := d.deskOf(t)
	if d.forums[channel] {
		list, err := d.s.GuildThreadsActive(d.opts.GuildID, discordgo.WithContext(ctx))
		if err != nil {
			return "", deliveryError("list active threads", err)
		}
		for _, th := range list.Threads {
			if th.ParentID == channel && th.OwnerID == d.botID && strings.HasPrefix(th.Name, prefix) {
				return th.ID, nil
			}
		}
		return "", nil
	}
	v := d.view(t)
	if id, ok := d.rootOf(t.ID); ok {
		return id, d.startThread(ctx, channel, id, v)
	}
	m, err := d.botMessage(ctx, channel, t.OpenedAt.Add(-time.Minute), func(m *discordgo.Message) bool {
		return len(m.Embeds) > 0 && strings.HasPrefix(m.Embeds[0].Title, prefix) && openedAt(m.Embeds[0], t)
	})
	if err != nil || m == nil {
		return "", err
	}
	if m.Thread == nil {
		return m.ID, d.startThread(ctx, channel, m.ID, v)
	}
	return m.ID, nil
}

// botMessage looks among channel's messages since since, in at most ten
// pages of a hundred, for the first of caredesk's own that is, and
// returns it; nil when there is none.
func (d *Discord) botMessage(ctx context.Context, channel string, since time.Time, is func(*discordgo.Message) bool) (*discordgo.Message, error) {
	after := snowflakeAt(since)
	for range 10 {
		msgs, err := d.s.ChannelMessages(channel, 100, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			return nil, deliveryError("list messages", err)
		}
		for _, m := range msgs {
			if m.Author != nil && m.Author.ID == d.botID && is(m) {
				return m, nil
			}
			if idAfter(m.ID, after) {
				after = m.ID
			}
		}
		if len(msgs) < 100 {
			break
		}
	}
	return nil, nil
}

// openedAt reports whether a root's embed shows t's opening time. The
// number alone is not enough: a new or restored database numbers its
// tickets again, and its #4 must not adopt the root another database
// posted for its own #4 (the new #4 would then never show).
func openedAt(e *discordgo.MessageEmbed, t bot.Ticket) bool {
	for _, f := range e.Fields {
		if f.Name == "Opened" {
			return strings.Contains(f.Value, fmt.Sprintf("<t:%d:", t.OpenedAt.Unix()))
		}
	}
	return true
}

// FindMessage looks for m in t's thread, so that a post whose answer was
// lost is not made twice. Discord messages carry no metadata, so it is
// found by the nonce it was sent with, which the gateway's echo of the
// bot's own messages carries (while this process runs), or else among the
// bot's messages in the thread since m was written, by its exact text.
func (d *Discord) FindMessage(ctx context.Context, t bot.Ticket, m bot.Message) (string, error) {
	if t.DeskThread == "" {
		return "", nil
	}
	if id, ok := d.sentWith(nonce("m", m.ID, 0)); ok {
		return id, nil
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	first := split(threadText(t, m), maxContent)[0]
	return d.findInThread(ctx, t.DeskThread, m.At, func(msg *discordgo.Message) bool { return msg.Content == first })
}

// maxNonces bounds the nonces remembered; past it they start over.
const maxNonces = 10000

// sentAs remembers that the bot's message id went with nonce.
func (d *Discord) sentAs(nonce, id string) {
	if nonce == "" || id == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.nonces == nil || len(d.nonces) >= maxNonces {
		d.nonces = map[string]string{}
	}
	d.nonces[nonce] = id
}

// sentWith returns the id of the bot's message sent with nonce, if known.
func (d *Discord) sentWith(nonce string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.nonces[nonce]
	return id, ok
}

// snowflakeAt is the smallest id Discord could give at t.
func snowflakeAt(t time.Time) string {
	ms := t.UnixMilli() - discordEpoch
	if ms < 0 {
		return "0"
	}
	return strconv.FormatInt(ms<<22, 10)
}

// idAfter compares snowflakes.
func idAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// UpdateTicket re-renders the starter message of t. A ticket not yet on
// the desk has nothing to update: PostTicket will render it as it is then.
func (d *Discord) UpdateTicket(ctx context.Context, t bot.Ticket) error {
	if t.DeskThread == "" {
		return nil
	}
	if d.opts.DeskChannelID == "" {
		return errNoDesk
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	v := d.view(t)
	embeds := []*discordgo.MessageEmbed{ticketEmbed(v, t.State)}
	buttons := ticketButtons(v)
	channel := d.deskOf(t)
	if d.forums[channel] {
		channel = t.DeskThread // a post's starter message lives in the post
	}
	_, err := d.s.ChannelMessageEditComplex(&discordgo.MessageEdit{
		Channel: channel, ID: t.DeskThread, Embeds: &embeds, Components: &buttons, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	return deliveryError("edit ticket", err)
}

// PostMessage writes m into t's thread and returns the id of its first
// part (Discord takes 2000 characters a message). Customer text is
// escaped and shown without link previews; nobody is pinged, except the
// agents a caredesk notice names.
func (d *Discord) PostMessage(ctx context.Context, t bot.Ticket, m bot.Message) (string, error) {
	if t.DeskThread == "" {
		return "", fmt.Errorf("discord: ticket #%d is not on the desk yet", t.ID)
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	allowed := noMentions()
	if m.Kind == bot.Notice {
		allowed = pings(m.Text)
	}
	var flags discordgo.MessageFlags
	if m.Kind == bot.FromCustomer {
		flags = discordgo.MessageFlagsSuppressEmbeds
	}
	first := ""
	for i, part := range split(threadText(t, m), maxContent) {
		sent, err := d.send(ctx, t.DeskThread, &discordgo.MessageSend{Content: part, AllowedMentions: allowed, Flags: flags}, nonce("m", m.ID, int64(i)))
		if err != nil {
			return "", deliveryError("post in thread", err)
		}
		if i == 0 {
			first = sent.ID
		}
	}
	return first, nil
}

// Whisper tells agentID text, mentioning them and pinging nobody else.
// Discord has no message only one person sees outside the answer to an
// interaction, and a whisper comes later (a reaction, a click or a thread
// message has none to answer), so it is a message in the ticket's thread:
// where the agent is working, seen by the team, which is who reads the
// desk anyway. A direct message would be private but out of context, and
// is refused by agents who take no DMs from server members. Without a
// thread it goes to the desk channel, or, in a forum, which holds only
// posts, to the agent's DMs.
func (d *Discord) Whisper(ctx context.Context, t bot.Ticket, agentID, text string) error {
	ctx, cancel := d.bind(ctx)
	defer cancel()
	return deliveryError("whisper", d.whisper(ctx, agentID, t.DeskThread, text))
}

func (d *Discord) whisper(ctx context.Context, agentID, thread, text string) error {
	channel := thread
	switch {
	case channel != "":
	case d.opts.DeskChannelID != "" && !d.forums[d.opts.DeskChannelID]:
		channel = d.opts.DeskChannelID
	default:
		dm, err := d.s.UserChannelCreate(agentID, discordgo.WithContext(ctx))
		if err != nil {
			return err
		}
		channel = dm.ID
	}
	content := bot.Mention(bot.Agent{ID: agentID}) + " " + safe(text)
	for _, part := range split(content, maxContent) {
		if _, err := d.send(ctx, channel, &discordgo.MessageSend{Content: part, AllowedMentions: mentioning([]string{agentID})}, ""); err != nil {
			return err
		}
	}
	return nil
}

// announceName is the forum post that holds caredesk's announcements
// when the desk channel is a forum, which takes posts, not messages.
const announceName = "caredesk · announcements"

// Announce posts text as a message of its own in the desk channel channel
// (the desk's own when ""), such as a hand-over of the on-call duty,
// pinging whom it names. In a forum desk it goes to the "caredesk ·
// announcements" post, started if needed.
func (d *Discord) Announce(ctx context.Context, channel, text string) error {
	if d.opts.DeskChannelID == "" {
		return errNoDesk
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	parts := split(safe(text), maxContent)
	channel = d.or(channel)
	if d.forums[channel] {
		post, started, err := d.announcePost(ctx, channel, parts[0], pings(text))
		if err != nil {
			return err
		}
		if started {
			parts = parts[1:]
		}
		channel = post
	}
	for _, part := range parts {
		if _, err := d.send(ctx, channel, &discordgo.MessageSend{Content: part, AllowedMentions: pings(text)}, ""); err != nil {
			return deliveryError("announce", err)
		}
	}
	return nil
}

// announcePost finds the announcements post of the forum desk channel
// forum, or starts it with first as its first message (started).
func (d *Discord) announcePost(ctx context.Context, forum, first string, allowed *discordgo.MessageAllowedMentions) (id string, started bool, err error) {
	list, err := d.s.GuildThreadsActive(d.opts.GuildID, discordgo.WithContext(ctx))
	if err != nil {
		return "", false, deliveryError("list active threads", err)
	}
	for _, th := range list.Threads {
		if th.ParentID == forum && th.OwnerID == d.botID && th.Name == announceName {
			return th.ID, false, nil
		}
	}
	th, err := d.s.ForumThreadStartComplex(forum, &discordgo.ThreadStart{Name: announceName, AutoArchiveDuration: archiveAfter},
		&discordgo.MessageSend{Content: first, AllowedMentions: allowed}, discordgo.WithContext(ctx))
	if err != nil {
		return "", false, deliveryError("start announcements post", err)
	}
	return th.ID, true, nil
}

// DirectMessage writes text to agentID in their direct messages with the
// bot, which notifies them wherever they are. An agent who takes no DMs
// from the bot (DMs from server members off) cannot be reached so: that
// is permanent until they change it.
func (d *Discord) DirectMessage(ctx context.Context, agentID, text string) error {
	ctx, cancel := d.bind(ctx)
	defer cancel()
	dm, err := d.s.UserChannelCreate(agentID, discordgo.WithContext(ctx))
	if err != nil {
		return deliveryError("open DM", err)
	}
	for _, part := range split(safe(text), maxContent) {
		if _, err := d.send(ctx, dm.ID, &discordgo.MessageSend{Content: part, AllowedMentions: noMentions()}, ""); err != nil {
			if discordCode(err) == discordgo.ErrCodeCannotSendMessagesToThisUser {
				return bot.Permanent(fmt.Errorf("agent %s takes no direct messages from the bot (Privacy Settings → Direct Messages from server members is off): %w", agentID, describe(err)))
			}
			return deliveryError("direct message", err)
		}
	}
	return nil
}

// MarkDelivered reacts ✔️ to the agent's message m in t's thread.
func (d *Discord) MarkDelivered(ctx context.Context, t bot.Ticket, m bot.Message) error {
	if m.DeskRef == "" || t.DeskThread == "" {
		// The message is on its way to the desk; the mark can follow.
		return fmt.Errorf("discord: message %d is not on the desk yet", m.ID)
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	// Discord takes the same reaction twice without complaint, so a retry
	// after a lost answer is harmless.
	err := d.s.MessageReactionAdd(t.DeskThread, m.DeskRef, deliveredEmoji, discordgo.WithContext(ctx))
	return deliveryError("add reaction", err)
}

// outgoing is a message create with what discordgo's MessageSend lacks:
// a nonce Discord enforces, returning the first message made with it
// instead of a second one.
type outgoing struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// send posts m to channel, with nonce when it is not "".
func (d *Discord) send(ctx context.Context, channel string, m *discordgo.MessageSend, nonce string) (*discordgo.Message, error) {
	for _, e := range m.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	body := outgoing{MessageSend: m, Nonce: nonce, EnforceNonce: nonce != ""}
	endpoint := discordgo.EndpointChannelMessages(channel)
	raw, err := d.s.RequestWithBucketID("POST", endpoint, body, endpoint, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	var msg discordgo.Message
	if err := json.Unmarshal(raw, &msg); err != nil {
		return nil, fmt.Errorf("discord answered a message create with %d bytes that are not a message: %w", len(raw), err)
	}
	d.sentAs(nonce, msg.ID)
	return &msg, nil
}

// nonce is a message nonce of at most 25 characters, Discord's limit,
// made from what is sent, so that it is the same on every attempt.
func nonce(kind string, a, b int64) string {
	n := kind + strconv.FormatInt(a, 36) + "-" + strconv.FormatInt(b, 36)
	if len(n) <= 25 {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return kind + hex.EncodeToString(sum[:12])
}

// userMention is a Discord user mention, <@123> or <@!123>.
var userMention = regexp.MustCompile(`<@!?([0-9]{15,21})>`)

// Names writes Discord's user mentions in text as "@name", for text that
// leaves Discord (a reply to a customer). Names are looked up once per
// person; one that cannot be looked up stays "@someone from the team".
func (d *Discord) Names(ctx context.Context, text string) string {
	return userMention.ReplaceAllStringFunc(text, func(m string) string {
		id := userMention.FindStringSubmatch(m)[1]
		if name, ok := d.names.Load(id); ok {
			return "@" + name.(string)
		}
		u, err := d.s.User(id, discordgo.WithContext(ctx))
		if err != nil {
			return "@someone from the team"
		}
		name := u.GlobalName
		if name == "" {
			name = u.Username
		}
		d.names.Store(id, name)
		return "@" + name
	})
}
