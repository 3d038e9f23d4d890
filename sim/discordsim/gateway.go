package discordsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway intents the simulator looks at, as Discord numbers them.
const (
	intentGuilds         = 1 << 0
	intentGuildMessages  = 1 << 9
	intentGuildReactions = 1 << 10
	intentDirectMessages = 1 << 12
	intentDMReactions    = 1 << 13
	intentMessageContent = 1 << 15
)

// gatewayState is the gateway side of the simulator, guarded by Server.mu.
type gatewayState struct {
	sessions   map[string]*session
	conns      map[*gwConn]bool
	identifies int
	resumes    int
	heartbeats int
	drops      int
	intents    int  // of the latest Identify
	revoked    bool // see RevokeToken
}

func (g *gatewayState) init() {
	g.sessions = map[string]*session{}
	g.conns = map[*gwConn]bool{}
}

// session is a gateway session: its dispatches, numbered from 1, kept
// until the client confirms them with a heartbeat, so that a resume can
// replay what the client missed.
type session struct {
	id      string
	intents int
	events  []dispatch // events[i].seq == base+i+1
	base    int64
	wake    chan struct{} // closed and replaced when events grow or conn changes
	conn    *gwConn       // nil while the client is away
}

// dispatch is one op 0 payload of a session.
type dispatch struct {
	seq  int64
	typ  string
	data json.RawMessage
}

// gwConn is one WebSocket connection of the bot.
type gwConn struct {
	ws     *websocket.Conn
	wmu    sync.Mutex    // gorilla allows one writer at a time
	closed chan struct{} // closed when the connection ends
	once   sync.Once
	sess   *session // guarded by Server.mu; nil until Identify or Resume
	sent   int64    // guarded by Server.mu: the last seq written
}

func (c *gwConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteJSON(v)
}

// kill ends the connection at once, without a close frame: the client
// sees a broken connection, as when a network fails.
func (c *gwConn) kill() {
	c.once.Do(func() {
		close(c.closed)
		_ = c.ws.NetConn().Close()
	})
}

// closeWith ends the connection with a close frame carrying code, as
// Discord ends sessions it refuses (4004 Authentication failed…).
func (c *gwConn) closeWith(code int, text string) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.kill()
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveGateway accepts a gateway connection and greets it with Hello.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
		return
	}
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		http.Error(w, "discordsim is down", http.StatusServiceUnavailable)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws, closed: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.gw.conns[c] = true
	s.notifyLocked()
	s.done.Go(func() { s.readGateway(c) })
	s.mu.Unlock()
	_ = c.write(map[string]any{"op": 10, "s": nil, "t": nil, "d": map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()}})
}

// readGateway handles what the client sends until the connection ends.
func (s *Server) readGateway(c *gwConn) {
	defer func() {
		c.kill()
		s.mu.Lock()
		delete(s.gw.conns, c)
		if c.sess != nil && c.sess.conn == c {
			c.sess.conn = nil
			s.wakeLocked(c.sess)
		}
		s.notifyLocked()
		s.mu.Unlock()
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if json.Unmarshal(data, &p) != nil {
			c.closeWith(4002, "Decode error.")
			return
		}
		switch p.Op {
		case 1:
			s.heartbeat(c, p.D)
		case 2:
			if !s.identify(c, p.D) {
				return
			}
		case 6:
			if !s.resume(c, p.D) {
				return
			}
		case 3, 4, 8: // presence, voice, member requests: nothing to simulate
		default:
			c.closeWith(4001, "Unknown opcode.")
			return
		}
	}
}

// heartbeat answers op 1 with op 11, and forgets the dispatches the
// client says it has (d is its last sequence number).
func (s *Server) heartbeat(c *gwConn, d json.RawMessage) {
	var seq int64
	_ = json.Unmarshal(d, &seq)
	s.mu.Lock()
	s.gw.heartbeats++
	if sess := c.sess; sess != nil && seq > sess.base {
		n := min(seq-sess.base, int64(len(sess.events)))
		sess.events = slices.Delete(sess.events, 0, int(n))
		sess.base += n
	}
	s.notifyLocked()
	s.mu.Unlock()
	_ = c.write(map[string]any{"op": 11, "d": nil})
}

// goodToken accepts the bot token with or without "Bot ", as Discord does
// on the gateway.
func (s *Server) goodToken(t string) bool {
	return strings.TrimPrefix(t, "Bot ") == s.opts.Token
}

// identify starts a new session: READY, then GUILD_CREATE for the guild.
// It returns false when it closed the connection.
func (s *Server) identify(c *gwConn, d json.RawMessage) bool {
	var id struct {
		Token   string `json:"token"`
		Intents int    `json:"intents"`
	}
	_ = json.Unmarshal(d, &id)
	s.mu.Lock()
	s.gw.intents = id.Intents
	switch {
	case c.sess != nil:
		s.mu.Unlock()
		c.closeWith(4005, "Already authenticated.")
		return false
	case !s.goodToken(id.Token) || s.gw.revoked:
		s.mu.Unlock()
		c.closeWith(4004, "Authentication failed.")
		return false
	case s.opts.DenyMessageContent && id.Intents&intentMessageContent != 0:
		s.mu.Unlock()
		c.closeWith(4014, "Disallowed intent(s).")
		return false
	}
	// Sessions nobody is connected to can no longer be resumed once the
	// bot identifies again; Discord lets them expire.
	for k, old := range s.gw.sessions {
		if old.conn == nil {
			delete(s.gw.sessions, k)
		}
	}
	sess := &session{id: randomHex(16), intents: id.Intents, wake: make(chan struct{}), conn: c}
	s.gw.sessions[sess.id] = sess
	s.gw.identifies++
	c.sess, c.sent = sess, 0
	s.appendLocked(sess, "READY", s.readyLocked(sess))
	if id.Intents&intentGuilds != 0 {
		s.appendLocked(sess, "GUILD_CREATE", s.guildLocked())
	}
	s.notifyLocked()
	s.done.Go(func() { s.writeGateway(c) })
	s.mu.Unlock()
	return true
}

// resume reattaches a session to a new connection and replays every
// dispatch after the client's sequence number, then RESUMED. An unknown
// session gets op 9 Invalid Session, and the client must identify.
func (s *Server) resume(c *gwConn, d json.RawMessage) bool {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	_ = json.Unmarshal(d, &r)
	s.mu.Lock()
	revoked := s.gw.revoked
	s.mu.Unlock()
	if !s.goodToken(r.Token) || revoked {
		c.closeWith(4004, "Authentication failed.")
		return false
	}
	s.mu.Lock()
	sess, ok := s.gw.sessions[r.SessionID]
	if !ok || r.Seq < sess.base || c.sess != nil {
		s.mu.Unlock()
		_ = c.write(map[string]any{"op": 9, "d": false})
		return true
	}
	if old := sess.conn; old != nil && old != c {
		defer old.kill()
	}
	sess.conn, c.sess, c.sent = c, sess, r.Seq
	s.gw.resumes++
	s.appendLocked(sess, "RESUMED", json.RawMessage(`{"_trace":["discordsim"]}`))
	s.notifyLocked()
	s.done.Go(func() { s.writeGateway(c) })
	s.mu.Unlock()
	return true
}

// writeGateway sends the session's dispatches in order, from the one
// after c.sent, as they come, until the connection ends or the session
// moves to another connection.
func (s *Server) writeGateway(c *gwConn) {
	for {
		s.mu.Lock()
		sess := c.sess
		if sess.conn != c {
			s.mu.Unlock()
			return
		}
		from := max(c.sent-sess.base, 0)
		batch := slices.Clone(sess.events[min(from, int64(len(sess.events))):])
		wake := sess.wake
		s.mu.Unlock()
		for _, e := range batch {
			if err := c.write(map[string]any{"op": 0, "s": e.seq, "t": e.typ, "d": e.data}); err != nil {
				c.kill()
				return
			}
			s.mu.Lock()
			c.sent = e.seq
			s.notifyLocked()
			s.mu.Unlock()
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-wake:
		case <-c.closed:
			return
		case <-s.stop:
			return
		}
	}
}

// appendLocked adds a dispatch to sess with the next sequence number. The
// caller holds s.mu.
func (s *Server) appendLocked(sess *session, typ string, data any) {
	raw, ok := data.(json.RawMessage)
	if !ok {
		raw, _ = json.Marshal(data)
	}
	seq := sess.base + int64(len(sess.events)) + 1
	sess.events = append(sess.events, dispatch{seq: seq, typ: typ, data: raw})
	s.wakeLocked(sess)
}

func (s *Server) wakeLocked(sess *session) {
	close(sess.wake)
	sess.wake = make(chan struct{})
}

// dispatchLocked sends an event to every session whose intents include
// one of need (0: every session, as for interactions). The caller holds
// s.mu.
func (s *Server) dispatchLocked(typ string, data any, need int) {
	raw, _ := json.Marshal(data)
	for _, sess := range s.gw.sessions {
		if need == 0 || sess.intents&need != 0 {
			s.appendLocked(sess, typ, json.RawMessage(raw))
		}
	}
}

// dispatchMessageLocked sends MESSAGE_CREATE or MESSAGE_UPDATE of m to the
// sessions with the intent for its kind of channel. Without
// MESSAGE_CONTENT a session gets guild messages without their content,
// except the bot's own and those that mention it, as on Discord. The
// caller holds s.mu.
func (s *Server) dispatchMessageLocked(typ string, m *Message) {
	obj := s.messageObjectLocked(m)
	need := intentDirectMessages
	if m.GuildID != "" {
		need = intentGuildMessages
		obj["member"] = memberObject(s.userLocked(m.AuthorID), false)
	}
	full, _ := json.Marshal(obj)
	mentioned := strings.Contains(m.Content, "<@"+s.opts.BotUserID+">") || strings.Contains(m.Content, "<@!"+s.opts.BotUserID+">")
	var bare json.RawMessage
	for _, sess := range s.gw.sessions {
		if sess.intents&need == 0 {
			continue
		}
		if m.GuildID != "" && sess.intents&intentMessageContent == 0 && m.AuthorID != s.opts.BotUserID && !mentioned {
			if bare == nil {
				obj["content"], obj["embeds"], obj["attachments"], obj["components"] = "", []any{}, []any{}, []any{}
				bare, _ = json.Marshal(obj)
			}
			s.appendLocked(sess, typ, bare)
			continue
		}
		s.appendLocked(sess, typ, json.RawMessage(full))
	}
}

func (s *Server) readyLocked(sess *session) map[string]any {
	return map[string]any{
		"v": 9, "user": userObject(s.users[s.opts.BotUserID]), "session_id": sess.id,
		"resume_gateway_url": s.wsURL(), "session_type": "normal", "shard": []int{0, 1},
		"guilds":           []any{map[string]any{"id": s.opts.GuildID, "unavailable": true}},
		"application":      map[string]any{"id": s.opts.ApplicationID, "flags": 0},
		"private_channels": []any{}, "relationships": []any{}, "_trace": []string{"discordsim"},
	}
}

// guildLocked is the GUILD_CREATE of the guild: its channels, active
// threads and the bot as a member.
func (s *Server) guildLocked() map[string]any {
	channels, threads := []any{}, []any{}
	for _, id := range s.channelOrder {
		c := s.channels[id]
		switch {
		case c.GuildID != s.opts.GuildID || c.Hidden:
		case c.IsThread():
			threads = append(threads, s.channelObjectLocked(c))
		default:
			channels = append(channels, s.channelObjectLocked(c))
		}
	}
	return map[string]any{
		"id": s.opts.GuildID, "name": s.opts.GuildName, "unavailable": false, "owner_id": OwnerUserID,
		"joined_at": "2024-01-01T00:00:00.000000+00:00", "large": false, "member_count": len(s.users),
		"channels": channels, "threads": threads, "members": []any{s.botMemberLocked()},
		"roles":  s.rolesLocked(),
		"emojis": []any{}, "stickers": []any{}, "voice_states": []any{}, "presences": []any{},
	}
}

func (s *Server) connsLocked() []*gwConn {
	out := make([]*gwConn, 0, len(s.gw.conns))
	for c := range s.gw.conns {
		out = append(out, c)
	}
	return out
}

// DropConnection breaks every gateway connection at once, without a close
// frame, as a failing network does. The session stays: dispatches made
// from now on wait in it, and a client that resumes gets them.
func (s *Server) DropConnection() {
	s.mu.Lock()
	conns := s.connsLocked()
	s.gw.drops++
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// RequestReconnect sends op 7 Reconnect on every connection, as Discord
// does before it moves a session to another server: the client closes,
// connects again and resumes.
func (s *Server) RequestReconnect() {
	s.mu.Lock()
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.write(map[string]any{"op": 7, "d": nil})
	}
}

// Identifies returns how many times a client identified: each is a new
// session, so more than one means a session was not resumed.
func (s *Server) Identifies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.identifies
}

// Resumes returns how many sessions were resumed.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.resumes
}

// Heartbeats returns how many heartbeats clients sent.
func (s *Server) Heartbeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.heartbeats
}

// Connections returns how many gateway connections are open.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.gw.conns)
}

// Intents returns the intents of the latest Identify, refused or not.
func (s *Server) Intents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.intents
}

// Connected reports whether a session is attached to an open connection
// and has been sent all its dispatches: a quiet, ready gateway.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.gw.sessions {
		if sess.conn != nil && sess.conn.sent == sess.base+int64(len(sess.events)) {
			return true
		}
	}
	return false
}
