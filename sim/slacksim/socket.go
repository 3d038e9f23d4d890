package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketState is the Socket Mode side of the simulator, guarded by Server.mu.
type socketState struct {
	tickets map[string]bool // issued by apps.connections.open, good for one connection
	conns   []*wsConn
	pending map[string]*pending // by envelope_id
	hellos  int                 // connections greeted (or about to be), ever
}

func (st *socketState) init() {
	st.tickets = map[string]bool{}
	st.pending = map[string]*pending{}
}

// wsConn is one Socket Mode connection of the bot.
type wsConn struct {
	ws     *websocket.Conn
	wmu    sync.Mutex    // gorilla allows one writer at a time
	closed chan struct{} // closed when the connection ends
}

func (c *wsConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteJSON(v)
}

// pending is an envelope waiting for its ack.
type pending struct {
	typ string
	ack chan Ack // buffered: the reader never waits
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// openConnection answers apps.connections.open: only the app-level token
// may open a connection, and the URL it gets is good for one connection.
func (s *Server) openConnection(token string) map[string]any {
	if code := s.checkToken(token, s.opts.AppToken); code != "" {
		return fail(code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ticket := s.idLocked("tk")
	s.socket.tickets[ticket] = true
	return ok(map[string]any{"url": "ws://" + s.ln.Addr().String() + "/link/?ticket=" + ticket + "&app_id=" + s.opts.AppID})
}

// serveSocket accepts a Socket Mode connection, greets it with hello as
// Slack does, pings it, and reads its acks.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.socket.tickets[ticket]
	delete(s.socket.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{ws: ws, closed: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.socket.conns = append(s.socket.conns, c)
	s.socket.hellos++
	n := len(s.socket.conns)
	s.done.Go(func() { s.readAcks(c) })
	s.done.Go(func() { s.ping(c) })
	s.notifyLocked()
	s.mu.Unlock()

	_ = c.write(map[string]any{
		"type": "hello", "num_connections": n,
		"debug_info":      map[string]any{"host": "slacksim", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": s.opts.AppID},
	})
}

// readAcks records the bot's acks until the connection ends.
func (s *Server) readAcks(c *wsConn) {
	defer func() {
		close(c.closed)
		_ = c.ws.Close()
		s.mu.Lock()
		s.socket.conns = slices.DeleteFunc(s.socket.conns, func(x *wsConn) bool { return x == c })
		s.notifyLocked()
		s.mu.Unlock()
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var res struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &res) != nil || res.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		p := s.socket.pending[res.EnvelopeID]
		a := Ack{EnvelopeID: res.EnvelopeID, Payload: res.Payload}
		if p != nil {
			a.Type = p.typ
			select {
			case p.ack <- a:
			default:
			}
		}
		s.acks = append(s.acks, a)
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// ping keeps the connection alive the way Slack does; slack-go drops a
// connection that goes unpinged.
func (s *Server) ping(c *wsConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.wmu.Lock()
			err := c.ws.WriteControl(websocket.PingMessage, []byte("slacksim"), time.Now().Add(5*time.Second))
			c.wmu.Unlock()
			if err != nil {
				return
			}
		case <-c.closed:
			return
		case <-s.stop:
			return
		}
	}
}

// SocketConnections returns how many Socket Mode connections are open.
func (s *Server) SocketConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.socket.conns)
}

// Hellos returns how many Socket Mode connections Slack has greeted with
// hello since the simulator started: a reconnection is a new hello.
func (s *Server) Hellos() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.socket.hellos
}

// Disconnect asks every Socket Mode connection to reconnect, as Slack does
// before it refreshes its servers.
func (s *Server) Disconnect() {
	s.mu.Lock()
	conns := slices.Clone(s.socket.conns)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.write(map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]any{"host": "slacksim"}})
	}
}

func (s *Server) closeSockets() {
	s.mu.Lock()
	conns := slices.Clone(s.socket.conns)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
}

// errNoAck is a Socket Mode envelope that was not acknowledged in time.
var errNoAck = errors.New("no ack")

// sendEnvelope sends payload to the newest connection and waits for its ack.
func (s *Server) sendEnvelope(typ string, payload json.RawMessage, acceptsResponse bool, attempt int, reason string) (Ack, error) {
	s.mu.Lock()
	if len(s.socket.conns) == 0 {
		s.mu.Unlock()
		return Ack{}, errors.New("slacksim: the bot has no Socket Mode connection")
	}
	c := s.socket.conns[len(s.socket.conns)-1]
	id := fmt.Sprintf("%08x-sim-%012d", s.nextLocked(), s.serial)
	p := &pending{typ: typ, ack: make(chan Ack, 1)}
	s.socket.pending[id] = p
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.socket.pending, id)
		s.mu.Unlock()
	}()

	env := map[string]any{"envelope_id": id, "type": typ, "payload": payload, "accepts_response_payload": acceptsResponse}
	if typ == "events_api" {
		env["retry_attempt"], env["retry_reason"] = attempt, reason
	}
	if err := c.write(env); err != nil {
		return Ack{}, fmt.Errorf("slacksim: write envelope: %w", err)
	}
	t := time.NewTimer(s.opts.AckTimeout)
	defer t.Stop()
	select {
	case a := <-p.ack:
		return a, nil
	case <-t.C:
		return Ack{}, errNoAck
	case <-c.closed:
		return Ack{}, errNoAck
	case <-s.stop:
		return Ack{}, errors.New("slacksim: closed")
	}
}
