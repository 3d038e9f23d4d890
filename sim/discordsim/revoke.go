package discordsim

// RevokeToken makes Discord refuse the bot's token, as after Reset Token in
// the Developer Portal: open gateway connections are closed with 4004
// Authentication failed, and so is every Identify or Resume, and REST
// calls answer 401, until RevokeToken(false) (for tests, the token is
// valid again: as if the operator had set the new one).
func (s *Server) RevokeToken(revoked bool) {
	s.mu.Lock()
	s.gw.revoked = revoked
	s.notifyLocked()
	s.mu.Unlock()
	if revoked {
		s.CloseGateway(4004, "Authentication failed.")
	}
}

// CloseGateway ends every open gateway connection with a close frame
// carrying code and text, as Discord ends sessions it refuses (4004
// Authentication failed, 4013 Invalid intent(s), 4014 Disallowed
// intent(s)) or asks the client to reconnect (4000 Unknown error).
func (s *Server) CloseGateway(code int, text string) {
	s.mu.Lock()
	conns := s.connsLocked()
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.closeWith(code, text)
	}
}
