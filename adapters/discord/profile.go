package discord

import (
	"context"

	"github.com/bwmarrin/discordgo"

	"caredesk/adapters/agentname"
	"caredesk/bot"
)

var _ bot.Profiles = (*Discord)(nil)

// Discord's JSON error codes of people who are not there.
const (
	codeUnknownMember = 10007
	codeUnknownUser   = 10013
)

// FirstName returns agentID's first name as the desk's server knows them:
// the first word of their server nickname, else of their global (display)
// name, else their username; "" when they are not a member of GuildID. A
// rate-limited or failed lookup is an error, which the caller takes as
// "sign without a name" rather than a reason to hold the reply: the name
// is not remembered then, so a later reply asks again.
func (d *Discord) FirstName(ctx context.Context, agentID string) (string, error) {
	if agentID == "" {
		return "", nil
	}
	cache := d.profiles()
	now := d.opts.Now()
	if name, ok := cache.Get(agentID, now); ok {
		return name, nil
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	var nick string
	var u *discordgo.User
	var err error
	if d.opts.GuildID != "" {
		var m *discordgo.Member
		if m, err = d.s.GuildMember(d.opts.GuildID, agentID, discordgo.WithContext(ctx)); err == nil {
			nick, u = m.Nick, m.User
		}
	} else {
		// Only a source: no server to have a nickname in.
		u, err = d.s.User(agentID, discordgo.WithContext(ctx))
	}
	switch code := discordCode(err); {
	case code == codeUnknownMember || code == codeUnknownUser:
		cache.Put(agentID, "", now)
		return "", nil
	case err != nil:
		return "", deliveryError("get member", err)
	}
	var global, username string
	if u != nil {
		global, username = u.GlobalName, u.Username
		if _, ok := d.names.Load(agentID); !ok && username != "" {
			// The same answer serves Names, as its own lookup would.
			display := global
			if display == "" {
				display = username
			}
			d.names.Store(agentID, display)
		}
	}
	name := agentname.First(nick, global, username)
	cache.Put(agentID, name, now)
	return name, nil
}

// profileCacheKey is where the Discord's profileCache lives in d.names: it
// comes and goes with the Discord, and Names' keys (user ids, strings) never
// collide with it.
type profileCacheKey struct{}

func (d *Discord) profiles() *agentname.Cache {
	c, _ := d.names.LoadOrStore(profileCacheKey{}, &agentname.Cache{})
	return c.(*agentname.Cache)
}
