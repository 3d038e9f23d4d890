package discord

import (
	"context"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
)

// OpenPrivate opens the direct messages between the bot and t's customer,
// or finds them (Discord keeps one DM channel per user), and returns the
// channel's id: the conversation of the customer's DMs, as Run files them
// and Send writes to them. A ticket moved there is answered in the DM,
// and what the customer writes there joins it.
//
// Run takes DMs only with Options.AcceptDMs (DISCORD_ACCEPT_DMS); without
// it the customer's answers in private would be dropped, so the move is
// refused. Whether the customer takes DMs from the bot is known only when
// the first message is sent: Discord opens the channel regardless.
func (d *Discord) OpenPrivate(ctx context.Context, t bot.Ticket) (string, error) {
	if !d.opts.AcceptDMs {
		return "", bot.Permanent(errors.New("caredesk does not take direct messages on Discord (DISCORD_ACCEPT_DMS is off), so the customer's answers in private would not reach the ticket: answer in the channel, or ask whoever runs caredesk to set DISCORD_ACCEPT_DMS=true"))
	}
	if !snowflake.MatchString(t.Customer.ID) {
		return "", bot.Permanent(fmt.Errorf("%q is not a Discord user id, so no direct message can be opened with the customer", t.Customer.ID))
	}
	ctx, cancel := d.bind(ctx)
	defer cancel()
	dm, err := d.s.UserChannelCreate(t.Customer.ID, discordgo.WithContext(ctx))
	if err != nil {
		return "", openPrivateError(t.Customer, err)
	}
	return dm.ID, nil
}

// openPrivateError says why the DM with c could not be opened: for good
// when they take no DMs or Discord does not know them, after Discord's
// wait on a 429, and later on anything else.
func openPrivateError(c bot.Customer, err error) error {
	who := c.Name
	if who == "" && c.Handle != "" {
		who = "@" + c.Handle
	}
	if who == "" {
		who = "The customer"
	}
	switch discordCode(err) {
	case discordgo.ErrCodeCannotSendMessagesToThisUser:
		return bot.Permanent(fmt.Errorf("%s takes no direct messages from the server's members; ask them in the channel to allow DMs, or answer there: %w", who, describe(err)))
	case discordgo.ErrCodeUnknownUser:
		return bot.Permanent(fmt.Errorf("%s is no longer known to Discord (the account may be deleted), so no direct message can be opened; answer in the channel: %w", who, describe(err)))
	}
	return deliveryError("open DM with the customer", err)
}
