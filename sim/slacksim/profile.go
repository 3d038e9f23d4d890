package slacksim

// Profile is what a person filled in on their Slack profile, as users.info
// answers it. Slack leaves any of these empty when the person did.
type Profile struct {
	FirstName   string // profile.first_name
	LastName    string // profile.last_name
	DisplayName string // profile.display_name, what Slack shows beside messages
	RealName    string // profile.real_name and the user's real_name, the full name
}

// SetProfile gives person id the profile p, which users.info answers from
// then on (by default a person's display and real names are their name).
// An unknown id becomes a user named after it.
func (s *Server) SetProfile(id string, p Profile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.users[id]; !known {
		s.users[id] = id
	}
	if s.profiles == nil {
		s.profiles = map[string]Profile{}
	}
	s.profiles[id] = p
	s.notifyLocked()
}

// profileObjectLocked is the profile users.info answers for user id named
// name, and the user's real_name. The caller holds s.mu.
func (s *Server) profileObjectLocked(id, name string) (profile map[string]any, realName string) {
	p, ok := s.profiles[id]
	if !ok {
		return map[string]any{"display_name": name, "real_name": name}, name
	}
	return map[string]any{
		"first_name": p.FirstName, "last_name": p.LastName, "display_name": p.DisplayName,
		"real_name": p.RealName, "real_name_normalized": p.RealName, "display_name_normalized": p.DisplayName,
	}, p.RealName
}
