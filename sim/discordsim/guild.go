package discordsim

import (
	"net/http"
	"strconv"
)

// The routes of the application and the guild, which discordgo's
// Application("@me") and UserChannelPermissions read.
const (
	RouteApplication = "GET /oauth2/applications/@me"
	RouteGuild       = "GET /guilds/{guild}"
)

// Ids of the simulated guild's owner and of the bot's role, the role
// Discord gives a bot added with an invite link.
const (
	OwnerUserID = "800000000000000001"
	BotRoleID   = "950000000000000001"
)

// Permission bits, as Discord numbers them.
const (
	PermAddReactions          int64 = 1 << 6
	PermViewChannel           int64 = 1 << 10
	PermSendMessages          int64 = 1 << 11
	PermEmbedLinks            int64 = 1 << 14
	PermAttachFiles           int64 = 1 << 15
	PermReadMessageHistory    int64 = 1 << 16
	PermCreatePublicThreads   int64 = 1 << 35
	PermSendMessagesInThreads int64 = 1 << 38
)

// flagMessageContentLimited is the application flag of the Message
// Content intent that Discord sets for a bot in fewer than 100 servers
// whose switch is on in the Developer Portal.
const flagMessageContentLimited = 1 << 19

// everyonePerms is what the server lets @everyone do; botRolePerms what
// the invite link gave the bot's role on top (DenyAttachFiles takes
// Attach Files from it).
const (
	everyonePerms = PermViewChannel | PermSendMessages | PermReadMessageHistory | PermAddReactions
	botRolePerms  = everyonePerms | PermEmbedLinks | PermCreatePublicThreads | PermSendMessagesInThreads | PermAttachFiles
)

// DenyBot is a channel overwrite on the bot's role that denies it perms
// in channel, as a moderator who locks a channel down sets; 0 removes it.
// Only GET /guilds and the channel's permission_overwrites show it:
// calls in the channel still succeed (see Hidden and DenyAttachFiles for
// refusals).
func (s *Server) DenyBot(channel string, perms int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.denied == nil {
		s.denied = map[string]int64{}
	}
	s.denied[channel] = perms
	s.notifyLocked()
}

// application answers GET /oauth2/applications/@me: the bot's
// application, with the Message Content intent's flag unless the portal
// has it off (Options.DenyMessageContent).
func (s *Server) application(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	flags := 0
	if !s.opts.DenyMessageContent {
		flags = flagMessageContentLimited
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": s.opts.ApplicationID, "name": s.opts.BotName, "description": "", "bot_public": false,
		"bot_require_code_grant": false, "verify_key": "0", "flags": flags,
		"bot": userObject(s.users[s.opts.BotUserID]),
	})
}

// guild answers GET /guilds/{guild}: its owner and roles, @everyone's id
// being the guild's own, as Discord has it.
func (s *Server) guild(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PathValue("guild") != s.opts.GuildID {
		errUnknownGuild.write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": s.opts.GuildID, "name": s.opts.GuildName, "owner_id": OwnerUserID, "roles": s.rolesLocked(),
	})
}

// rolesLocked are the guild's roles: @everyone, whose id is the guild's
// own as on Discord, and the bot's.
func (s *Server) rolesLocked() []any {
	bot := botRolePerms
	if s.noAttach {
		bot &^= PermAttachFiles
	}
	role := func(id, name string, perms int64, position int) map[string]any {
		return map[string]any{"id": id, "name": name, "permissions": strconv.FormatInt(perms, 10), "position": position,
			"color": 0, "hoist": false, "managed": id == BotRoleID, "mentionable": false}
	}
	return []any{role(s.opts.GuildID, "@everyone", everyonePerms, 0), role(BotRoleID, s.opts.BotName, bot, 1)}
}

// botMemberLocked is the bot as a member of the guild, with its role.
func (s *Server) botMemberLocked() map[string]any {
	m := memberObject(s.users[s.opts.BotUserID], true)
	m["roles"] = []string{BotRoleID}
	return m
}

// overwritesLocked are c's permission_overwrites: DenyBot's, if any.
func (s *Server) overwritesLocked(c *Channel) []any {
	deny, ok := s.denied[c.ID]
	if !ok || deny == 0 {
		return []any{}
	}
	return []any{map[string]any{"id": BotRoleID, "type": 0, "allow": "0", "deny": strconv.FormatInt(deny, 10)}}
}
