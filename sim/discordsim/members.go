package discordsim

import "net/http"

// RouteMember is the guild member lookup: a person's server nickname and
// their user (global name, username).
const RouteMember = "GET /guilds/{guild}/members/{user}"

// member is what the guild keeps of a person beyond their user.
type member struct {
	nick string // the server nickname; "" for none
	left bool   // no longer in the guild: the member lookup answers 10007
}

var errUnknownMember = &apiError{status: 404, code: 10007, msg: "Unknown Member"}

// SetNick gives user (added, named after their id, when unknown) the
// server nickname nick, as GET /guilds/{guild}/members/{user} answers it;
// "" removes it.
func (s *Server) SetNick(user, nick string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked(user)
	m := s.members[user]
	m.nick = nick
	s.setMemberLocked(user, m)
}

// LeaveGuild is user leaving the server: Discord still knows the user,
// but the member lookup answers 404 Unknown Member (10007).
func (s *Server) LeaveGuild(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked(user)
	s.setMemberLocked(user, member{left: true})
}

func (s *Server) setMemberLocked(user string, m member) {
	if s.members == nil {
		s.members = map[string]member{}
	}
	s.members[user] = m
	s.notifyLocked()
}

// guildMember answers GET /guilds/{guild}/members/{user}: every person the
// simulator knows is a member of its guild until they leave.
func (s *Server) guildMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PathValue("guild") != s.opts.GuildID {
		errUnknownGuild.write(w)
		return
	}
	id := r.PathValue("user")
	u, known := s.users[id]
	m := s.members[id]
	if !known || m.left {
		errUnknownMember.write(w)
		return
	}
	o := memberObject(u, true)
	if id == s.opts.BotUserID {
		o = s.botMemberLocked()
	}
	if m.nick != "" {
		o["nick"] = m.nick
	}
	writeJSON(w, http.StatusOK, o)
}
