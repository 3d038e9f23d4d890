package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/adapters/discord"
)

// Discord is the Discord desk, community, or both, to check.
type Discord struct {
	Token         string
	ApplicationID string
	GuildID       string
	APIURL        string // discord.DefaultAPIURL when empty
	// Desk are the desk channel, then each team's; none when the desk is
	// Slack.
	Desk []Channel
	// Sources are the community's channels (DISCORD_SOURCE_CHANNEL_IDS).
	Sources []string
	// HTTP makes the calls; nil is a client with a 30 s timeout.
	HTTP *http.Client
}

// DiscordChecks are the checks of Discord: the bot token, the Message
// Content intent, each channel the bot must see and what it may do there,
// and /desk when Discord is the desk.
func DiscordChecks(d Discord) []Check {
	apiURL := strings.TrimRight(d.APIURL, "/")
	if apiURL == "" {
		apiURL = discord.DefaultAPIURL
	}
	client := d.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	s, _ := discordgo.New("Bot " + d.Token) // it fails on nothing
	if base, err := url.Parse(apiURL); err == nil && apiURL != discord.DefaultAPIURL {
		client = discord.Redirected(client, base)
	}
	s.Client = client
	s.ShouldRetryOnRateLimit = false
	var me *discordgo.User // nil until the token works
	needBot := func() error {
		if me == nil {
			return Skip("DISCORD_BOT_TOKEN does not work")
		}
		return nil
	}
	checks := []Check{{Name: "Discord: DISCORD_BOT_TOKEN works", Run: func(ctx context.Context) error {
		u, err := s.User("@me", discordgo.WithContext(ctx))
		var re *discordgo.RESTError
		switch {
		case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized:
			return errors.New("Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized): the token was reset or mistyped; copy a new one from the Developer Portal (your application → Bot → Reset Token)")
		case err != nil:
			return unreachable("Discord", apiURL, "DISCORD_API_URL", err)
		case !u.Bot:
			return errors.New("DISCORD_BOT_TOKEN belongs to a user account, not a bot: use the token of your application's bot (Developer Portal → Bot → Reset Token)")
		}
		me = u
		return nil
	}}}
	checks = append(checks, Check{Name: "Discord: the Message Content intent is on", Run: func(ctx context.Context) error {
		if err := needBot(); err != nil {
			return err
		}
		app, err := s.Application("@me") // bounded by the client's timeout
		if err != nil {
			return unreachable("Discord", apiURL, "DISCORD_API_URL", err)
		}
		if app.Flags&(flagMessageContent|flagMessageContentLimited) == 0 {
			return errors.New("the application's MESSAGE CONTENT INTENT is off, so Discord would refuse caredesk's connection (4014 Disallowed intent(s)) and hide what customers and agents write: " +
				"in the Developer Portal, open your application → Bot and switch it on under Privileged Gateway Intents")
		}
		return nil
	}})
	seen := map[string]*discordgo.Channel{} // the channels the bot sees, by id
	channel := func(setting, id string, desk bool) Check {
		return Check{Name: fmt.Sprintf("Discord: the bot sees %s %s", setting, id), Run: func(ctx context.Context) error {
			if err := needBot(); err != nil {
				return err
			}
			ch, err := s.Channel(id, discordgo.WithContext(ctx))
			var re *discordgo.RESTError
			switch {
			case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound:
				return fmt.Errorf("Discord finds no channel %s: use the channel's id (Developer Mode on, right-click the channel → Copy Channel ID), and make sure the bot was added to that server with %s", id, discord.InviteURL(d.ApplicationID))
			case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusForbidden:
				return errors.New("the bot cannot see it (Missing Access): let its role View Channel, Send Messages, Send Messages in Threads, Create Public Threads, Embed Links, Read Message History and Add Reactions in that channel")
			case err != nil:
				return unreachable("Discord", apiURL, "DISCORD_API_URL", err)
			}
			seen[id] = ch
			switch {
			case !desk:
				return nil
			case !slices.Contains([]discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews, discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia}, ch.Type):
				return fmt.Errorf("#%s is not a text or forum channel: choose a text channel (tickets become threads) or a forum (tickets become posts)", ch.Name)
			case ch.GuildID != d.GuildID:
				return fmt.Errorf("#%s belongs to server %s, not to DISCORD_GUILD_ID %s: copy both ids from the same server", ch.Name, ch.GuildID, d.GuildID)
			}
			return nil
		}}
	}
	// What the bot may do in a channel comes from its roles and the
	// channel's overwrites; discordgo computes it as Discord does.
	permissions := func(setting, id string, desk bool) Check {
		return Check{Name: fmt.Sprintf("Discord: the bot has its permissions in %s %s", setting, id), Run: func(ctx context.Context) error {
			ch := seen[id]
			if ch == nil {
				return Skip("the bot does not see the channel")
			}
			have, err := s.UserChannelPermissions(me.ID, id, discordgo.WithContext(ctx))
			if err != nil {
				return unreachable("Discord", apiURL, "DISCORD_API_URL", err)
			}
			need := sourcePermissions
			if desk {
				need = discord.Permissions
				if ch.Type == discordgo.ChannelTypeGuildForum || ch.Type == discordgo.ChannelTypeGuildMedia {
					need &^= discordgo.PermissionCreatePublicThreads // a post is a message there
				}
			}
			if missing := permissionNames(need &^ have); len(missing) > 0 {
				return fmt.Errorf("the bot lacks %s in #%s: give them to its role in the server's settings (Roles), or allow them in the channel's own permissions (Edit Channel → Permissions), which can take them away",
					strings.Join(missing, ", "), ch.Name)
			}
			return nil
		}}
	}
	for _, ch := range d.Desk {
		checks = append(checks, channel(ch.Setting, ch.ID, true), permissions(ch.Setting, ch.ID, true))
	}
	if len(d.Desk) > 0 {
		checks = append(checks, Check{Name: "Discord: /desk is registered in DISCORD_GUILD_ID " + d.GuildID, Run: func(ctx context.Context) error {
			if err := needBot(); err != nil {
				return err
			}
			cmds, err := s.ApplicationCommands(d.ApplicationID, d.GuildID, discordgo.WithContext(ctx))
			var re *discordgo.RESTError
			switch {
			case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusForbidden:
				return fmt.Errorf("Discord does not let the application hold commands in that server (Missing Access): add the bot again with %s, which asks for the applications.commands scope", discord.InviteURL(d.ApplicationID))
			case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound:
				return fmt.Errorf("Discord finds no application %s with server %s: check DISCORD_APPLICATION_ID (the General Information page) and DISCORD_GUILD_ID", d.ApplicationID, d.GuildID)
			case err != nil:
				return unreachable("Discord", apiURL, "DISCORD_API_URL", err)
			}
			for _, c := range cmds {
				if c.Name == "desk" {
					return nil
				}
			}
			return Skip("/desk is not registered yet: caredesk registers it at start")
		}})
	}
	for _, id := range d.Sources {
		checks = append(checks, channel("DISCORD_SOURCE_CHANNEL_IDS", id, false), permissions("DISCORD_SOURCE_CHANNEL_IDS", id, false))
	}
	return checks
}

// Application flags of the Message Content intent: the limited one is a
// bot's in fewer than 100 servers, switched on in the Developer Portal.
const (
	flagMessageContent        = 1 << 18
	flagMessageContentLimited = 1 << 19
)

// sourcePermissions is what the bot needs in a community channel where
// customers write: to read them and to answer them there, files included.
const sourcePermissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionReadMessageHistory | discordgo.PermissionAttachFiles

// permissionNames are the names Discord's settings give the permissions
// in perms, in the order of their bits.
func permissionNames(perms int64) []string {
	names := []struct {
		bit  int64
		name string
	}{
		{discordgo.PermissionAddReactions, "Add Reactions"},
		{discordgo.PermissionViewChannel, "View Channel"},
		{discordgo.PermissionSendMessages, "Send Messages"},
		{discordgo.PermissionEmbedLinks, "Embed Links"},
		{discordgo.PermissionAttachFiles, "Attach Files"},
		{discordgo.PermissionReadMessageHistory, "Read Message History"},
		{discordgo.PermissionCreatePublicThreads, "Create Public Threads"},
		{discordgo.PermissionSendMessagesInThreads, "Send Messages in Threads"},
	}
	var out []string
	for _, n := range names {
		if perms&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}
