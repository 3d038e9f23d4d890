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

// DiscordChecks are the checks of Discord: the bot token, each channel
// the bot must see, and /desk when Discord is the desk.
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
	for _, ch := range d.Desk {
		checks = append(checks, channel(ch.Setting, ch.ID, true))
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
		checks = append(checks, channel("DISCORD_SOURCE_CHANNEL_IDS", id, false))
	}
	return checks
}
