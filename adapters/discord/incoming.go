package discord

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
	"caredesk/handlers"
)

// attempts is how many times the core is asked to take one event before
// it is logged as lost.
const attempts = 5

// channelKind is what a channel is to caredesk.
type channelKind int

const (
	kindOther        channelKind = iota + 1
	kindDesk                     // the desk channel itself
	kindDeskThread               // a ticket's thread (or post)
	kindSource                   // a channel where customers write
	kindSourceThread             // a thread or forum post of a source channel
)

type channelInfo struct {
	kind   channelKind
	parent string // a desk thread's desk channel, whose team it works for
}

// maxChannels bounds the channel cache; past it the cache starts over.
const maxChannels = 20000

// channelCache remembers what channels are, from the gateway's channel
// and thread events and from REST look-ups: a message names only its
// channel, and whether that is a ticket's thread depends on its parent.
type channelCache struct {
	mu sync.Mutex
	m  map[string]channelInfo
}

func (c *channelCache) get(id string) (channelInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	info, ok := c.m[id]
	return info, ok
}

func (c *channelCache) put(id string, info channelInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxChannels {
		c.m = map[string]channelInfo{}
	}
	c.m[id] = info
}

// kindOf says what ch is.
func (d *Discord) kindOf(ch *discordgo.Channel) channelKind {
	_, desk := d.forums[ch.ID]
	_, deskParent := d.forums[ch.ParentID]
	switch {
	case desk:
		return kindDesk
	case deskParent && ch.IsThread():
		return kindDeskThread
	case d.sources[ch.ID]:
		return kindSource
	case ch.IsThread() && d.sources[ch.ParentID]:
		return kindSourceThread
	}
	return kindOther
}

// note remembers what a channel the gateway told of is.
func (d *Discord) note(ch *discordgo.Channel) {
	if ch != nil && ch.ID != "" {
		d.channels.put(ch.ID, channelInfo{kind: d.kindOf(ch), parent: ch.ParentID})
	}
}

// kind says what channel id is, asking Discord when the gateway did not
// tell. A channel the bot may not see is none of its business.
func (d *Discord) kind(ctx context.Context, id string) (channelKind, error) {
	if info, ok := d.channels.get(id); ok {
		return info.kind, nil
	}
	ch, err := d.s.Channel(id, discordgo.WithContext(ctx))
	if err != nil {
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusForbidden || re.Response.StatusCode == http.StatusNotFound) {
			d.channels.put(id, channelInfo{kind: kindOther})
			return kindOther, nil
		}
		return 0, describe(err)
	}
	k := d.kindOf(ch)
	d.channels.put(id, channelInfo{kind: k, parent: ch.ParentID})
	return k, nil
}

// change is what happened to a message the gateway told of.
type change int

const (
	created change = iota // MESSAGE_CREATE
	edited                // MESSAGE_UPDATE with an edited_timestamp
	deleted               // MESSAGE_DELETE: the message holds only its id and channel
)

// sort sends what happened to a person's message where it belongs: a
// ticket thread's to the desk queue, a customer's to the source queue. It
// runs in the inbox queue, in order, since telling may need a look-up. A
// customer deleting their message changes nothing: what they wrote was
// filed, and the team goes on from it.
func (g *gateway) sort(ctx context.Context, m *discordgo.Message, c change) {
	d := g.d
	customer := func() {
		if c != deleted && g.rcv != nil {
			g.source.push(func(ctx context.Context) { g.receive(ctx, m, c) })
		}
	}
	if m.GuildID == "" {
		if d.opts.AcceptDMs {
			customer()
		}
		return
	}
	if d.sources[m.ChannelID] {
		customer()
		return
	}
	if d.opts.DeskChannelID == "" && len(d.sources) == 0 {
		return
	}
	var k channelKind
	err := d.retry(ctx, func() (err error) {
		k, err = d.kind(ctx, m.ChannelID)
		return err
	})
	if err != nil {
		d.lost(m, "could not tell whether its channel is a ticket's thread", err)
		return
	}
	switch {
	case k == kindDeskThread && g.r.Actor != nil:
		g.desk.push(func(ctx context.Context) { g.agent(ctx, m, c) })
	case k == kindSourceThread:
		customer()
	}
}

// receive hands a customer's message, or their edit of it, to the core,
// asking again while it fails to store it.
func (g *gateway) receive(ctx context.Context, m *discordgo.Message, c change) {
	in, ok := inbound(m)
	if c == edited {
		in, ok = inboundEdit(m)
	}
	if !ok {
		return
	}
	d := g.d
	err := d.retry(ctx, func() error {
		err := g.rcv.Receive(ctx, in)
		switch {
		case err == nil:
			return nil
		case refused(err):
			d.log.Warn("the core refused a Discord message; it is dropped", "message", m.ID, "channel", m.ChannelID, "edit", in.Edit, "err", err)
			return nil
		}
		d.log.Error("could not store a customer's Discord message; asking again", "message", m.ID, "channel", m.ChannelID, "edit", in.Edit, "err", err)
		return err
	})
	if err != nil {
		d.lost(m, "the core could not store it", err)
	}
}

// lost logs, as loudly as caredesk logs, a customer's or agent's message
// that will never reach the core, with what a person needs to find it.
func (d *Discord) lost(m *discordgo.Message, why string, err error) {
	guild := m.GuildID
	if guild == "" {
		guild = "@me"
	}
	author := ""
	if m.Author != nil {
		author = m.Author.ID
	}
	d.log.Error("LOST a Discord message: "+why+"; Discord cannot send it again, so file it by hand",
		"link", fmt.Sprintf("https://discord.com/channels/%s/%s/%s", guild, m.ChannelID, m.ID),
		"author", author, "err", err)
}

// agent hands what a person did to a message in a ticket's thread to the
// core: a message (say), their edit of it, or its deletion.
func (g *gateway) agent(ctx context.Context, m *discordgo.Message, c change) {
	switch c {
	case created:
		g.say(ctx, m)
	case edited:
		g.edit(ctx, m)
	case deleted:
		g.unsend(ctx, m)
	}
}

// say hands an agent's message in a ticket's thread to the core, which
// sends it to the customer or keeps it as a note. Its files go as
// Action.Files (fetched from Discord's CDN by Fetch), not as links in
// the text; a message of files alone is said with no words.
func (g *gateway) say(ctx context.Context, m *discordgo.Message) {
	a := bot.Action{
		Verb: bot.DoSay, Thread: m.ChannelID, Agent: agentFrom(m.Author, m.Member),
		Text: plainText(words(m)), Files: attachments(m, bot.FromDesk), Ref: m.ID, EventID: "message:" + m.ID, Whisper: true,
	}
	if strings.TrimSpace(a.Text) == "" && len(a.Files) == 0 {
		return
	}
	g.d.wrote(m.ID, a.Agent)
	g.act(ctx, a, func(ctx context.Context, text string) { g.d.tell(ctx, m.Author.ID, m.ChannelID, text) })
}

// edit hands an agent's change of their message in a ticket's thread to
// the core: a reply already delivered is changed for the customer too.
func (g *gateway) edit(ctx context.Context, m *discordgo.Message) {
	if m.EditedTimestamp == nil || m.EditedTimestamp.IsZero() {
		return
	}
	a := bot.Action{
		Verb: bot.DoEdit, Thread: m.ChannelID, Agent: agentFrom(m.Author, m.Member),
		Text: plainText(words(m)), Ref: m.ID, EventID: editEventID(m), Whisper: true,
	}
	if strings.TrimSpace(a.Text) == "" && len(m.Attachments) == 0 {
		return
	}
	g.d.wrote(m.ID, a.Agent)
	g.act(ctx, a, func(ctx context.Context, text string) { g.d.tell(ctx, m.Author.ID, m.ChannelID, text) })
}

// unsend hands the deletion of a message in a ticket's thread to the
// core, which takes a delivered reply back from the customer. Discord
// does not say whose message it was: the agent is whoever this process
// saw write it, and none when it did not (it was written before caredesk
// started), which the core takes as nobody's own reply.
func (g *gateway) unsend(ctx context.Context, m *discordgo.Message) {
	d := g.d
	who := d.writer(m.ID)
	a := bot.Action{Verb: bot.DoDelete, Thread: m.ChannelID, Agent: who, Ref: m.ID, EventID: "delete:" + m.ID, Whisper: true}
	g.act(ctx, a, func(ctx context.Context, text string) {
		if who.ID != "" {
			d.tell(ctx, who.ID, m.ChannelID, text)
		}
	})
}

// maxAuthors bounds the authors remembered; past it they start over.
const maxAuthors = 10000

// wrote remembers that agent wrote message id in a ticket's thread, so
// that its deletion, which Discord reports without the author, names them.
func (d *Discord) wrote(id string, agent bot.Agent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.authors == nil || len(d.authors) >= maxAuthors {
		d.authors = map[string]bot.Agent{}
	}
	d.authors[id] = agent
}

// writer returns who wrote message id in a ticket's thread, if this
// process saw it.
func (d *Discord) writer(id string) bot.Agent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.authors[id]
}

// reaction turns an emoji on a ticket's starter message into a claim or a
// resolve. In a text desk channel the starter messages are the channel's
// own; in a forum each is the first message of its post, with the post's id.
func (g *gateway) reaction(ctx context.Context, r *discordgo.MessageReactionAdd, eventID string) {
	d := g.d
	if r.UserID == d.botID || (r.Member != nil && r.Member.User != nil && r.Member.User.Bot) {
		return
	}
	var verb bot.Verb
	switch normalizeEmoji(r.Emoji.Name) {
	case d.claim:
		verb = bot.DoClaim
	case d.resolve:
		verb = bot.DoResolve
	default:
		return
	}
	forum, desk := d.forums[r.ChannelID]
	onRoot := desk && !forum
	if !desk && r.MessageID == r.ChannelID { // a forum post's starter message
		k, err := d.kind(ctx, r.ChannelID)
		onRoot = err == nil && k == kindDeskThread
	}
	if !onRoot {
		return
	}
	var user *discordgo.User
	if r.Member != nil {
		user = r.Member.User
	}
	if user == nil {
		user = &discordgo.User{ID: r.UserID}
	}
	a := bot.Action{Verb: verb, Thread: r.MessageID, Agent: agentFrom(user, r.Member), EventID: eventID, Whisper: true}
	g.act(ctx, a, func(ctx context.Context, text string) { d.tell(ctx, r.UserID, r.MessageID, text) })
}

// act hands a to the core. With Whisper the core tells the agent the
// outcome itself, through the outbox. What it refuses (an application
// error: "#12 is already claimed…") is told to the agent directly. An
// internal failure is retried; after the last try the agent gets the
// apology, as from a command.
func (g *gateway) act(ctx context.Context, a bot.Action, tell func(context.Context, string)) {
	d := g.d
	err := d.retry(ctx, func() error {
		_, err := g.r.Actor.Act(ctx, a)
		switch {
		case err == nil:
			return nil
		case bot.ErrorMessage(err) != "":
			tell(ctx, bot.ErrorMessage(err))
			return nil
		}
		d.log.Error("caredesk failed on a Discord event; asking again", "event_id", a.EventID, "verb", a.Verb, "agent", a.Agent.ID, "err", err)
		return err
	})
	if err != nil {
		tell(ctx, apology(ctx, g.r, a, err))
	}
}

// retry calls try until it succeeds, at most attempts times, pausing
// Backoff, then twice as long each time. It returns the last error.
func (d *Discord) retry(ctx context.Context, try func() error) error {
	pause := d.opts.Backoff
	var err error
	for i := range attempts {
		if err = try(); err == nil {
			return nil
		}
		if i == attempts-1 {
			break
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		pause *= 2
	}
	return err
}

// tell shows text to an agent at once. It is best effort: the agent can
// act again, and the failure is logged.
func (d *Discord) tell(ctx context.Context, agentID, thread, text string) {
	ctx, cancel := d.bind(ctx)
	defer cancel()
	if err := d.whisper(ctx, agentID, thread, text); err != nil {
		d.log.Warn("could not show an answer to an agent", "agent", agentID, "err", describe(err))
	}
}

// apology words an internal failure through the shared grammar, so that
// both desks say it the same way and the error gets its id in the log.
func apology(ctx context.Context, r handlers.Runner, a bot.Action, err error) string {
	return handlers.Runner{Actor: failed{err}, Log: r.Log}.Do(ctx, a)
}

// failed is an Actor that fails with err, to reach handlers' wording.
type failed struct{ err error }

// Act fails.
func (f failed) Act(context.Context, bot.Action) (bot.Result, error) { return bot.Result{}, f.err }

// interaction handles a /desk command or a click on a caredesk button.
func (g *gateway) interaction(ctx context.Context, i *discordgo.Interaction) {
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		if data := i.ApplicationCommandData(); data.Name == commandName {
			g.command(ctx, i, data)
		}
	case discordgo.InteractionMessageComponent:
		if verb, n, ok := buttonVerb(i.MessageComponentData().CustomID); ok {
			g.button(ctx, i, verb, n)
		}
	}
}

// command answers /desk at once with a deferred, ephemeral response
// ("caredesk is thinking…", within Discord's three seconds however long
// the work takes), runs it, and edits the response into the answer.
func (g *gateway) command(ctx context.Context, i *discordgo.Interaction, data discordgo.ApplicationCommandInteractionData) {
	d := g.d
	err := d.respond(ctx, i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	})
	if err != nil {
		// The agent sees that caredesk did not respond and can try again;
		// doing the work unseen would surprise them.
		d.log.Warn("could not acknowledge a /desk command in time; it was not run", "interaction", i.ID, "err", err)
		return
	}
	d.answer(ctx, i, g.runCommand(ctx, i, data))
}

// runCommand runs the command of data and returns the answer, safe for
// Discord.
func (g *gateway) runCommand(ctx context.Context, i *discordgo.Interaction, data discordgo.ApplicationCommandInteractionData) string {
	d := g.d
	thread, channel, onDesk := g.where(ctx, i.ChannelID)
	if !onDesk {
		return fmt.Sprintf("/desk works in <#%s>%s and in the tickets' threads there.", d.opts.DeskChannelID, teamsToo(d.opts.TeamChannels))
	}
	agent := agentFrom(i.User, i.Member)
	eventID := "interaction:" + i.ID
	ca := commandLine(data)
	if !ca.ambiguous {
		return safe(g.r.Command(ctx, agent, ca.line, thread, channel, eventID))
	}
	if thread == "" {
		return safe(fmt.Sprintf("Which ticket? Write it as %s, e.g. /desk %s 12.", ca.cmd.Usage(), ca.cmd.Verb))
	}
	// Parsed with a stand-in ticket that comes off again: the thread names
	// the ticket, and the rest is read as the agent wrote it.
	a, err := handlers.Parse(string(ca.cmd.Verb) + " 1 " + ca.rest)
	if err != nil {
		return safe(bot.ErrorMessage(err))
	}
	a.Ticket, a.Thread, a.Channel, a.Agent, a.EventID = 0, thread, channel, agent, eventID
	return safe(g.r.Do(ctx, a))
}

// teamsToo names the teams' channels after the desk's own, ", <#…>, <#…>".
func teamsToo(teams map[string]string) string {
	var s strings.Builder
	for _, id := range slices.Sorted(maps.Keys(teams)) {
		s.WriteString(", <#" + id + ">")
	}
	return s.String()
}

// where tells whether channel id is the desk (thread "") or a ticket's
// thread (thread is its id, which names the ticket).
func (g *gateway) where(ctx context.Context, id string) (thread, channel string, onDesk bool) {
	if _, desk := g.d.forums[id]; desk {
		return "", id, true
	}
	k, err := g.d.kind(ctx, id)
	if err != nil || k != kindDeskThread {
		return "", "", false
	}
	info, _ := g.d.channels.get(id)
	return id, info.parent, true
}

// button acknowledges a click at once without changing the message (the
// core re-renders the ticket when it changes), then hands the action to
// the core, which tells the agent the outcome in the ticket's thread.
func (g *gateway) button(ctx context.Context, i *discordgo.Interaction, verb bot.Verb, n int64) {
	d := g.d
	if err := d.respond(ctx, i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}); err != nil {
		d.log.Warn("could not acknowledge a click in time; it was not acted on", "interaction", i.ID, "err", err)
		return
	}
	if i.Message == nil || i.Message.Author == nil || i.Message.Author.ID != d.botID {
		return // a caredesk button on someone else's message is no ticket's
	}
	a := bot.Action{Verb: verb, Ticket: n, Agent: agentFrom(i.User, i.Member), EventID: "interaction:" + i.ID, Whisper: true}
	g.act(ctx, a, func(ctx context.Context, text string) { d.followup(ctx, i, safe(text)) })
}

// respond makes an interaction's first answer. It is not retried: after
// Discord's three seconds no answer is taken.
func (d *Discord) respond(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) error {
	ctx, cancel := d.bind(ctx)
	defer cancel()
	return redact(d.s.InteractionRespond(i, r, discordgo.WithContext(ctx)), i.Token)
}

// answer edits a deferred response into text, in parts of Discord's
// size, the rest as ephemeral follow-ups. Nothing to say removes the
// "thinking…" response.
func (d *Discord) answer(ctx context.Context, i *discordgo.Interaction, text string) {
	ctx, cancel := d.bind(ctx)
	defer cancel()
	// The interaction's token is good for 15 minutes: waiting out a rate
	// limit here is better than losing the answer.
	retry := discordgo.WithRetryOnRatelimit(true)
	if strings.TrimSpace(text) == "" {
		if err := d.s.InteractionResponseDelete(i, discordgo.WithContext(ctx), retry); err != nil {
			d.log.Warn("could not remove a /desk response", "interaction", i.ID, "err", describe(redact(err, i.Token)))
		}
		return
	}
	for n, part := range split(text, maxContent) {
		var err error
		if n == 0 {
			_, err = d.s.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &part, AllowedMentions: noMentions()}, discordgo.WithContext(ctx), retry)
		} else {
			_, err = d.s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: part, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}, discordgo.WithContext(ctx), retry)
		}
		if err != nil {
			d.log.Warn("could not show a /desk answer", "interaction", i.ID, "err", describe(redact(err, i.Token)))
			return
		}
	}
}

// followup shows text to the person who clicked, only to them.
func (d *Discord) followup(ctx context.Context, i *discordgo.Interaction, text string) {
	ctx, cancel := d.bind(ctx)
	defer cancel()
	for _, part := range split(text, maxContent) {
		_, err := d.s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: part, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(true))
		if err != nil {
			d.log.Warn("could not answer a click", "interaction", i.ID, "err", describe(redact(err, i.Token)))
			return
		}
	}
}

// redact takes an interaction's token out of err: discordgo's errors
// quote URLs, and interaction URLs hold the token.
func redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), token, "<token>"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// agentFrom is the agent who did something: a member's server nickname,
// else their display name, else their username.
func agentFrom(u *discordgo.User, m *discordgo.Member) bot.Agent {
	if u == nil && m != nil {
		u = m.User
	}
	if u == nil {
		return bot.Agent{}
	}
	name := u.GlobalName
	if m != nil && m.Nick != "" {
		name = m.Nick
	}
	if name == "" {
		name = u.Username
	}
	return bot.Agent{ID: u.ID, Name: name}
}

// customEmoji matches a custom emoji as Discord writes it in text.
var customEmoji = regexp.MustCompile(`<a?:([A-Za-z0-9_]+):[0-9]+>`)

// plainText turns an agent's Discord text into what they meant for the
// customer: custom emoji, which show only in that server, become their
// :name:. User mentions stay <@id>, which the core writes back as
// mentions.
func plainText(s string) string {
	return customEmoji.ReplaceAllString(s, ":$1:")
}

// normalizeEmoji drops what varies in an emoji people pick: the
// presentation selector, skin tones, and gender signs, so 🙋🏽‍♀️ counts as 🙋.
func normalizeEmoji(s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case r == '\uFE0F' || (r >= 0x1F3FB && r <= 0x1F3FF):
			continue
		case r == '\u200D' && i+1 < len(runes) && (runes[i+1] == '\u2640' || runes[i+1] == '\u2642'):
			i++
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
