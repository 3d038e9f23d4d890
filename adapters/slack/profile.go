package slack

import (
	"context"
	"errors"

	slackapi "github.com/slack-go/slack"

	"caredesk/adapters/agentname"
	"caredesk/bot"
)

var _ bot.Profiles = (*Desk)(nil)

// FirstName returns agentID's first name as their Slack profile has it:
// the first name, else the first word of their display name, of their
// full name, of their username; "" when Slack knows no such user. A
// rate-limited or failed users.info is an error, which the caller takes as
// "sign without a name" rather than a reason to hold the reply: the name
// is not remembered then, so a later reply asks again.
func (d *Desk) FirstName(ctx context.Context, agentID string) (string, error) {
	if agentID == "" {
		return "", nil
	}
	cache := d.profiles()
	now := d.opts.Now()
	if name, ok := cache.Get(agentID, now); ok {
		return name, nil
	}
	u, err := d.api.GetUserInfoContext(ctx, agentID)
	var se slackapi.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "user_not_found":
		cache.Put(agentID, "", now)
		return "", nil
	case err != nil:
		return "", deliveryError("users.info", err)
	}
	if _, ok := d.names.Load(agentID); !ok {
		// The same answer serves Names, as its own lookup would.
		display := u.Profile.DisplayName
		if display == "" {
			display = u.Name
		}
		d.names.Store(agentID, display)
	}
	name := agentname.Clean(u.Profile.FirstName, false)
	if name == "" {
		name = agentname.First(u.Profile.DisplayName, u.Profile.RealName, u.Name)
	}
	cache.Put(agentID, name, now)
	return name, nil
}

// profileCacheKey is where the Desk's profileCache lives in d.names: it
// comes and goes with the Desk, and Names' keys (user ids, strings) never
// collide with it.
type profileCacheKey struct{}

func (d *Desk) profiles() *agentname.Cache {
	c, _ := d.names.LoadOrStore(profileCacheKey{}, &agentname.Cache{})
	return c.(*agentname.Cache)
}
