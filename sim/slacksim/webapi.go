package slacksim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Slack's limits that the simulator enforces, so that a bot which breaks
// them fails here as it would in production.
const (
	maxMessageText = 40000 // chat.postMessage text, in characters
	maxBlocks      = 50    // blocks in a message
	maxSectionText = 3000  // a section's text and each field
	maxHeaderText  = 150   // a header's plain_text
	maxContextElts = 10    // elements of a context block
	maxActionElts  = 25    // elements of an actions block
	maxButtonText  = 75    // a button's label
	maxButtonValue = 2000  // a button's value
)

// method is one Web API method: it reads the call's arguments and answers
// with the JSON object Slack would send.
type method func(s *Server, v url.Values) map[string]any

var methods = map[string]method{
	"auth.test":             (*Server).authTest,
	"chat.postMessage":      (*Server).postMessage,
	"chat.update":           (*Server).update,
	"chat.postEphemeral":    (*Server).postEphemeral,
	"reactions.add":         (*Server).addReaction,
	"users.info":            (*Server).usersInfo,
	"conversations.info":    (*Server).conversationsInfo,
	"conversations.history": (*Server).conversationsHistory,
	"conversations.open":    (*Server).conversationsOpen,
	"conversations.replies": (*Server).conversationsReplies,
	// files.go
	"files.getUploadURLExternal":   (*Server).getUploadURLExternal,
	"files.completeUploadExternal": (*Server).completeUploadExternal,
	"files.info":                   (*Server).filesInfo,
}

// serveAPI answers /api/<method> as Slack does: HTTP 200 with
// {"ok":true,…} or {"ok":false,"error":…}, except for faults.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	v, err := params(r)
	if err != nil {
		writeJSON(w, http.StatusOK, fail("invalid_form_data"))
		return
	}
	token := v.Get("token")
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = bearer
	}

	s.mu.Lock()
	s.calls[name]++
	s.notifyLocked()
	f, failed := s.takeFaultLocked(name)
	if !failed && name == "chat.postMessage" {
		f, failed = s.limitLocked(v.Get("channel"))
	}
	s.mu.Unlock()
	if failed && !f.Lost {
		f.write(w)
		return
	}

	if name == "apps.connections.open" {
		writeJSON(w, http.StatusOK, s.openConnection(token))
		return
	}
	m, ok := methods[name]
	if !ok {
		writeJSON(w, http.StatusOK, fail("unknown_method"))
		return
	}
	if code := s.checkToken(token, s.opts.BotToken); code != "" {
		writeJSON(w, http.StatusOK, fail(code))
		return
	}
	s.mu.Lock()
	// Slack tells a token's scopes with every Web API answer.
	w.Header().Set("X-OAuth-Scopes", strings.Join(s.grantedScopesLocked(), ","))
	refusal := s.scopeErrorLocked(name)
	var h *hold
	if refusal == nil {
		h = s.takeHoldLocked(name)
	}
	s.mu.Unlock()
	if refusal != nil {
		writeJSON(w, http.StatusOK, refusal)
		return
	}
	answer := m(s, v)
	if !s.await(h, r) {
		return
	}
	if failed && f.Lost {
		dropConnection(w)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// dropConnection closes the caller's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// checkToken returns Slack's error for a call made with token where want
// is needed, or "".
func (s *Server) checkToken(token, want string) string {
	switch {
	case token == "":
		return "not_authed"
	case token == want:
		return ""
	case token == s.opts.BotToken || token == s.opts.AppToken:
		return "not_allowed_token_type"
	}
	return "invalid_auth"
}

// params reads a call's arguments from the query, a form body or a JSON
// body, the three ways Slack accepts them.
func params(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		return r.Form, nil
	}
	v := r.URL.Query()
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil || len(strings.TrimSpace(string(body))) == 0 || string(body) == "null" {
		return v, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	for k, raw := range obj {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			v.Set(k, str)
		} else {
			v.Set(k, string(raw))
		}
	}
	return v, nil
}

func ok(fields map[string]any) map[string]any {
	out := map[string]any{"ok": true}
	for k, v := range fields {
		out[k] = v
	}
	return out
}

func fail(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) authTest(url.Values) map[string]any {
	return ok(map[string]any{
		"url": "https://caredesk-sim.slack.com/", "team": "caredesk simulator", "team_id": s.opts.TeamID,
		"user": s.opts.BotName, "user_id": s.opts.BotUserID, "bot_id": s.opts.BotID, "is_enterprise_install": false,
	})
}

func (s *Server) usersInfo(v url.Values) map[string]any {
	id := v.Get("user")
	s.mu.Lock()
	name, known := s.users[id]
	profile, realName := s.profileObjectLocked(id, name)
	s.mu.Unlock()
	if !known {
		return fail("user_not_found")
	}
	user := map[string]any{
		"id": id, "team_id": s.opts.TeamID, "name": name, "real_name": realName, "tz": "Europe/Istanbul",
		"tz_label": "Turkey Time", "tz_offset": 10800, "is_bot": id == s.opts.BotUserID,
		"profile": profile,
	}
	if id == s.opts.BotUserID {
		user["profile"].(map[string]any)["bot_id"] = s.opts.BotID
	}
	return ok(map[string]any{"user": user})
}

func (s *Server) conversationsInfo(v url.Values) map[string]any {
	id := v.Get("channel")
	s.mu.Lock()
	c := s.channels[id]
	s.mu.Unlock()
	if c == nil {
		return fail("channel_not_found")
	}
	return ok(map[string]any{"channel": map[string]any{
		"id": id, "name": c.name, "is_channel": true, "is_private": false, "is_archived": false,
		"is_member": c.member, "created": 1690000000,
	}})
}

// conversationsReplies answers with a thread, root first and replies
// oldest first, with metadata when include_all_metadata is set.
func (s *Server) conversationsReplies(v url.Values) map[string]any {
	withMeta := v.Get("include_all_metadata") == "true" || v.Get("include_all_metadata") == "1"
	s.mu.Lock()
	defer s.mu.Unlock()
	root := s.messageLocked(v.Get("ts"))
	if root == nil || root.Channel != v.Get("channel") {
		return fail("thread_not_found")
	}
	out := []map[string]any{}
	for _, m := range s.messages {
		if m.TS == root.TS || m.ThreadTS == root.TS {
			obj := s.messageObjectLocked(*m)
			if withMeta && m.Metadata != nil {
				obj["metadata"] = m.Metadata
			}
			out = append(out, obj)
		}
	}
	return ok(map[string]any{"messages": out, "has_more": false})
}

// conversationsOpen opens (or finds) the bot's direct conversation with a
// user: a channel "D<user>" the bot can post to.
func (s *Server) conversationsOpen(v url.Values) map[string]any {
	user := v.Get("users")
	if user == "" || strings.Contains(user, ",") {
		return fail("not_enough_users")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.users[user]; !known {
		return fail("user_not_found")
	}
	id := "D" + user
	if s.channels[id] == nil {
		s.channels[id] = &channel{name: "dm-" + user, member: true}
	}
	return ok(map[string]any{"channel": map[string]any{"id": id, "is_im": true, "user": user}})
}

// DirectMessages returns what the bot wrote to user in private, oldest first.
func (s *Server) DirectMessages(user string) []Message {
	return s.filter(func(m *Message) bool { return m.Channel == "D"+user })
}

// conversationsHistory answers with the channel's root messages, newest
// first, after oldest and up to limit, with their metadata when
// include_all_metadata is set, as Slack does. Cursors are not simulated:
// has_more says when the page was cut.
func (s *Server) conversationsHistory(v url.Values) map[string]any {
	id := v.Get("channel")
	limit, err := strconv.Atoi(v.Get("limit"))
	if err != nil || limit <= 0 || limit > 999 {
		limit = 100
	}
	oldest, _ := strconv.ParseFloat(v.Get("oldest"), 64)
	withMeta := v.Get("include_all_metadata") == "true" || v.Get("include_all_metadata") == "1"
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[id]
	switch {
	case c == nil:
		return fail("channel_not_found")
	case !c.member:
		return fail("not_in_channel")
	}
	out := []map[string]any{}
	more := false
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		ts, _ := strconv.ParseFloat(m.TS, 64)
		if m.Channel != id || !m.IsRoot() || ts <= oldest {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		obj := s.messageObjectLocked(*m)
		if withMeta && m.Metadata != nil {
			obj["metadata"] = m.Metadata
		}
		out = append(out, obj)
	}
	return ok(map[string]any{"messages": out, "has_more": more})
}

// postableLocked returns Slack's error for a bot post to channel, or "".
// The caller holds s.mu.
func (s *Server) postableLocked(channel string) string {
	c := s.channels[channel]
	switch {
	case c == nil:
		return "channel_not_found"
	case !c.member:
		return "not_in_channel"
	}
	return ""
}

// messageContent reads and checks the text and blocks of a post, an
// update or an ephemeral, returning Slack's error code when refused.
func messageContent(v url.Values) (text string, blocks json.RawMessage, code string) {
	text = v.Get("text")
	blocks, code = checkBlocks(v.Get("blocks"))
	switch {
	case code != "":
		return "", nil, code
	case strings.TrimSpace(text) == "" && blocks == nil:
		return "", nil, "no_text"
	case utf8.RuneCountInString(text) > maxMessageText:
		return "", nil, "msg_too_long"
	}
	return text, blocks, ""
}

func (s *Server) postMessage(v url.Values) map[string]any {
	text, blocks, code := messageContent(v)
	if code != "" {
		return fail(code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channel := v.Get("channel")
	if code := s.postableLocked(channel); code != "" {
		return fail(code)
	}
	m := &Message{
		Channel: channel, TS: s.tsLocked(), User: s.opts.BotUserID, BotID: s.opts.BotID,
		Text: text, Blocks: blocks, UnfurlLinks: v.Get("unfurl_links"), UnfurlMedia: v.Get("unfurl_media"),
		LinkNames: v.Get("link_names"), Parse: v.Get("parse"),
	}
	if meta := v.Get("metadata"); meta != "" {
		m.Metadata = json.RawMessage(meta)
	}
	m.ThreadTS = s.threadLocked(channel, v.Get("thread_ts"))
	s.messages = append(s.messages, m)
	s.notifyLocked()
	if s.opts.EchoBotMessages && !s.closed {
		echo := s.messageEventLocked(*m)
		s.done.Go(func() { _ = s.deliverEvent(echo) })
	}
	return ok(map[string]any{"channel": channel, "ts": m.TS, "message": s.messageObjectLocked(*m)})
}

// threadLocked returns the thread a post to channel with thread_ts joins:
// a reply to a reply joins its parent's thread; a reply to a message that
// is not there is posted in the channel (""), as Slack does. The caller
// holds s.mu.
func (s *Server) threadLocked(channel, threadTS string) string {
	parent := s.messageLocked(threadTS)
	switch {
	case threadTS == "" || parent == nil || parent.Channel != channel:
		return ""
	case parent.ThreadTS != "":
		return parent.ThreadTS
	}
	return parent.TS
}

// messageObjectLocked is m as Slack shows it in API answers and inside
// events: with its latest edit, and its files in full. The caller holds
// s.mu.
func (s *Server) messageObjectLocked(m Message) map[string]any {
	obj := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User}
	if m.BotID != "" {
		obj["bot_id"], obj["app_id"] = m.BotID, s.opts.AppID
		obj["bot_profile"] = map[string]any{"id": m.BotID, "app_id": s.opts.AppID, "name": s.opts.BotName, "team_id": s.opts.TeamID}
	} else {
		obj["client_msg_id"] = "sim-" + m.TS
	}
	if m.ThreadTS != "" {
		obj["thread_ts"] = m.ThreadTS
		if root := s.messageLocked(m.ThreadTS); root != nil && root.TS != m.TS {
			obj["parent_user_id"] = root.User
		}
	}
	if m.EditedTS != "" {
		obj["edited"] = map[string]any{"user": m.EditedBy, "ts": m.EditedTS}
	}
	if m.Blocks != nil {
		obj["blocks"] = m.Blocks
	}
	if len(m.Files) > 0 {
		files := []map[string]any{}
		for _, id := range m.Files {
			if f := s.stored[id]; f != nil {
				files = append(files, s.fileObjectLocked(f))
			}
		}
		obj["files"], obj["upload"], obj["display_as_bot"] = files, true, false
	}
	return obj
}

func (s *Server) update(v url.Values) map[string]any {
	text, blocks, code := messageContent(v)
	if code != "" {
		return fail(code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channel := v.Get("channel")
	if s.channels[channel] == nil {
		return fail("channel_not_found")
	}
	m := s.messageLocked(v.Get("ts"))
	switch {
	case m == nil || m.Channel != channel:
		return fail("message_not_found")
	case m.BotID != s.opts.BotID:
		return fail("cant_update_message")
	}
	previous := s.messageObjectLocked(*m)
	m.Text = text
	if v.Has("blocks") {
		m.Blocks = blocks
	}
	m.Edits++
	m.EditedBy, m.EditedTS = s.opts.BotUserID, s.tsLocked()
	s.notifyLocked()
	if s.opts.EchoBotEdits && !s.closed {
		echo := s.messageChangedLocked(*m, previous)
		s.done.Go(func() { _ = s.deliverEvent(echo) })
	}
	return ok(map[string]any{"channel": channel, "ts": m.TS, "text": m.Text, "message": s.messageObjectLocked(*m)})
}

func (s *Server) postEphemeral(v url.Values) map[string]any {
	text, blocks, code := messageContent(v)
	if code != "" {
		return fail(code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channel, user := v.Get("channel"), v.Get("user")
	if code := s.postableLocked(channel); code != "" {
		return fail(code)
	}
	if user == "" {
		return fail("user_not_in_channel")
	}
	e := Ephemeral{Channel: channel, User: user, ThreadTS: v.Get("thread_ts"), Text: text, Blocks: blocks, TS: s.tsLocked()}
	s.ephemerals = append(s.ephemerals, e)
	s.notifyLocked()
	return ok(map[string]any{"message_ts": e.TS})
}

func (s *Server) addReaction(v url.Values) map[string]any {
	name := strings.Trim(v.Get("name"), ":")
	if name == "" {
		return fail("invalid_name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channel, ts := v.Get("channel"), v.Get("timestamp")
	if s.channels[channel] == nil {
		return fail("channel_not_found")
	}
	if m := s.messageLocked(ts); m == nil || m.Channel != channel {
		return fail("message_not_found")
	}
	r := Reaction{Channel: channel, TS: ts, Name: name, User: s.opts.BotUserID}
	for _, have := range s.reactions {
		if have == r {
			return fail("already_reacted")
		}
	}
	s.reactions = append(s.reactions, r)
	s.notifyLocked()
	return ok(nil)
}

// checkBlocks validates a "blocks" argument as Slack does and returns it as
// stored, with a block_id on every block, or Slack's error code. An absent
// argument is nil.
func checkBlocks(arg string) (json.RawMessage, string) {
	if arg == "" {
		return nil, ""
	}
	var blocks []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(arg), &blocks); err != nil {
		return nil, "invalid_blocks_format"
	}
	if len(blocks) == 0 {
		return nil, ""
	}
	if len(blocks) > maxBlocks {
		return nil, "invalid_blocks"
	}
	for i, raw := range blocks {
		var b block
		data, _ := json.Marshal(raw)
		if err := json.Unmarshal(data, &b); err != nil || checkBlock(b) != nil {
			return nil, "invalid_blocks"
		}
		if b.BlockID == "" {
			raw["block_id"], _ = json.Marshal(fmt.Sprintf("b%d", i))
		}
	}
	out, _ := json.Marshal(blocks)
	return out, ""
}

// checkBlock applies the Block Kit limits the simulator knows.
func checkBlock(b block) error {
	textOK := func(t *textObject, limit int) bool {
		n := utf8.RuneCountInString(t.Text)
		return (t.Type == "plain_text" || t.Type == "mrkdwn") && n > 0 && n <= limit
	}
	switch b.Type {
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" || !textOK(b.Text, maxHeaderText) {
			return fmt.Errorf("bad header")
		}
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return fmt.Errorf("section without text")
		}
		if b.Text != nil && !textOK(b.Text, maxSectionText) {
			return fmt.Errorf("bad section text")
		}
		for i := range b.Fields {
			if !textOK(&b.Fields[i], 2000) {
				return fmt.Errorf("bad field")
			}
		}
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > maxContextElts {
			return fmt.Errorf("bad context")
		}
		for _, e := range b.Elements {
			if (e.Type == "mrkdwn" || e.Type == "plain_text") && !textOK(&textObject{Type: e.Type, Text: e.TextString}, maxSectionText) {
				return fmt.Errorf("bad context text")
			}
		}
	case "actions":
		if len(b.Elements) == 0 || len(b.Elements) > maxActionElts {
			return fmt.Errorf("bad actions")
		}
		seen := map[string]bool{}
		for _, e := range b.Elements {
			if e.Type != "button" {
				continue
			}
			if e.Text == nil || !textOK(e.Text, maxButtonText) || len(e.Value) > maxButtonValue || seen[e.ActionID] {
				return fmt.Errorf("bad button")
			}
			if e.Style != "" && e.Style != "primary" && e.Style != "danger" {
				return fmt.Errorf("bad button style")
			}
			seen[e.ActionID] = true
		}
	case "":
		return fmt.Errorf("block without type")
	}
	return nil
}

// serveResponseURL accepts posts to the response_url of commands and
// interactions, which caredesk does not use; Slack answers "ok".
func (s *Server) serveResponseURL(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok"))
}
