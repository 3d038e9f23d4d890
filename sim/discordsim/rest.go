package discordsim

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The REST routes the simulator serves, named as FailNext and Calls take
// them: the method and the path after /api/v9 (or /api/v10) with
// placeholders. They are the calls discordgo makes for a caredesk bot.
const (
	RouteGateway          = "GET /gateway"
	RouteGatewayBot       = "GET /gateway/bot"
	RouteMe               = "GET /users/@me"
	RouteUser             = "GET /users/{user}"
	RouteChannel          = "GET /channels/{channel}"
	RouteMessages         = "GET /channels/{channel}/messages"
	RouteCreateMessage    = "POST /channels/{channel}/messages"
	RouteEditMessage      = "PATCH /channels/{channel}/messages/{message}"
	RouteDeleteMessage    = "DELETE /channels/{channel}/messages/{message}"
	RouteStartThread      = "POST /channels/{channel}/messages/{message}/threads"
	RouteStartForumThread = "POST /channels/{channel}/threads"
	RouteActiveThreads    = "GET /guilds/{guild}/threads/active"
	RouteAddReaction      = "PUT /channels/{channel}/messages/{message}/reactions/{emoji}/@me"
	RouteOpenDM           = "POST /users/@me/channels"
	RouteBulkOverwrite    = "PUT /applications/{application}/guilds/{guild}/commands"
	RouteGuildCommands    = "GET /applications/{application}/guilds/{guild}/commands"
	RouteCallback         = "POST /interactions/{interaction}/{token}/callback"
	RouteEditOriginal     = "PATCH /webhooks/{application}/{token}/messages/@original"
	RouteDeleteOriginal   = "DELETE /webhooks/{application}/{token}/messages/@original"
	RouteFollowup         = "POST /webhooks/{application}/{token}"
	RouteEditFollowup     = "PATCH /webhooks/{application}/{token}/messages/{message}"
)

// maxBody is the largest request the simulator reads.
const maxBody = 8 << 20

// routes builds the simulator's handler: the REST API under /api/v9 and
// /api/v10, and the gateway at the root.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Interactions and webhooks are authorised by the token in their URL;
	// everything else needs the bot token.
	for route, h := range map[string]struct {
		serve func(http.ResponseWriter, *http.Request)
		auth  bool
	}{
		RouteGateway:          {s.gateway, true},
		RouteGatewayBot:       {s.gatewayBot, true},
		RouteMe:               {s.me, true},
		RouteUser:             {s.user, true},
		RouteMember:           {s.guildMember, true},
		RouteGuild:            {s.guild, true},
		RouteApplication:      {s.application, true},
		RouteChannel:          {s.getChannel, true},
		RouteMessages:         {s.listMessages, true},
		RouteCreateMessage:    {s.createMessage, true},
		RouteEditMessage:      {s.editMessage, true},
		RouteDeleteMessage:    {s.deleteMessage, true},
		RouteStartThread:      {s.startThread, true},
		RouteStartForumThread: {s.startForumThread, true},
		RouteActiveThreads:    {s.activeThreads, true},
		RouteAddReaction:      {s.addReaction, true},
		RouteOpenDM:           {s.openDM, true},
		RouteBulkOverwrite:    {s.bulkOverwrite, true},
		RouteGuildCommands:    {s.guildCommands, true},
		RouteCallback:         {s.callback, false},
		RouteEditOriginal:     {s.editOriginal, false},
		RouteDeleteOriginal:   {s.deleteOriginal, false},
		RouteFollowup:         {s.followup, false},
		RouteEditFollowup:     {s.editFollowup, false},
	} {
		method, path, _ := strings.Cut(route, " ")
		for _, v := range []string{"9", "10"} {
			mux.HandleFunc(method+" /api/v"+v+path, s.call(route, h.auth, h.serve))
		}
	}
	mux.HandleFunc("GET /{$}", s.serveGateway)
	mux.HandleFunc("GET "+cdnPath, s.serveAttachment)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
	})
	return mux
}

// call counts a request of route, applies its faults, checks the bot
// token where auth, and serves it.
func (s *Server) call(route string, auth bool, serve func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// A message's files may make its body larger than any other.
		r.Body = http.MaxBytesReader(w, r.Body, maxBody+s.opts.MaxUploadSize)
		s.mu.Lock()
		s.calls[route]++
		s.notifyLocked()
		f, failed := s.takeFaultLocked(route)
		revoked := s.gw.revoked
		s.mu.Unlock()
		if failed && !f.Lost {
			f.write(w)
			return
		}
		if auth && (r.Header.Get("Authorization") != "Bot "+s.opts.Token || revoked) {
			writeError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
			return
		}
		if failed && f.Lost {
			serve(discard{header: http.Header{}}, r)
			dropConnection(w)
			return
		}
		serve(w, r)
	}
}

// discard is a ResponseWriter whose answer goes nowhere, for LostAnswer.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// dropConnection closes the caller's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers as Discord does: {"message": …, "code": …}.
func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{"message": message, "code": code})
}

// apiError is a refusal a handler found, written by writeError.
type apiError struct {
	status int
	code   int
	msg    string
	field  string // for 50035: the field at fault, such as "content"
	why    string // for 50035: Discord's explanation of the field
}

var (
	errUnknownChannel = &apiError{status: 404, code: 10003, msg: "Unknown Channel"}
	errUnknownMessage = &apiError{status: 404, code: 10008, msg: "Unknown Message"}
	errUnknownGuild   = &apiError{status: 404, code: 10004, msg: "Unknown Guild"}
	errMissingAccess  = &apiError{status: 403, code: 50001, msg: "Missing Access"}
)

// invalidForm is Discord's 400 Invalid Form Body naming the field at fault.
func invalidForm(field, why string) *apiError {
	return &apiError{status: 400, code: 50035, msg: "Invalid Form Body", field: field, why: why}
}

func (e *apiError) write(w http.ResponseWriter) {
	if e.field == "" {
		writeError(w, e.status, e.code, e.msg)
		return
	}
	writeJSON(w, e.status, map[string]any{
		"message": e.msg, "code": e.code,
		"errors": map[string]any{e.field: map[string]any{"_errors": []map[string]string{{"code": "INVALID", "message": e.why}}}},
	})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return false
	}
	return true
}

func (s *Server) gateway(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"url": s.wsURL()})
}

func (s *Server) gatewayBot(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"url": s.wsURL(), "shards": 1,
		"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
	})
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, userObject(s.users[s.opts.BotUserID]))
}

// user answers GET /users/{user}: a known person, or Discord's 10013.
func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[r.PathValue("user")]
	if !ok {
		writeError(w, http.StatusNotFound, 10013, "Unknown User")
		return
	}
	writeJSON(w, http.StatusOK, userObject(u))
}

// visibleLocked returns channel id if the bot may see it. The caller
// holds s.mu.
func (s *Server) visibleLocked(id string) (*Channel, *apiError) {
	c, ok := s.channels[id]
	switch {
	case !ok:
		return nil, errUnknownChannel
	case c.Hidden:
		return nil, errMissingAccess
	}
	return c, nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.visibleLocked(r.PathValue("channel"))
	if e != nil {
		e.write(w)
		return
	}
	writeJSON(w, http.StatusOK, s.channelObjectLocked(c))
}

// listMessages answers with up to limit messages of the channel after the
// id "after" (the oldest ones first chosen), or the newest ones, newest
// first, as Discord orders them.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 100 {
		limit = 50
	}
	after := q.Get("after")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.visibleLocked(r.PathValue("channel"))
	if e != nil {
		e.write(w)
		return
	}
	var picked []*Message
	for _, m := range s.messages {
		if m.ChannelID == c.ID && !m.Deleted && (after == "" || idLess(after, m.ID)) {
			picked = append(picked, m)
		}
	}
	if after != "" && len(picked) > limit {
		picked = picked[:limit]
	} else if len(picked) > limit {
		picked = picked[len(picked)-limit:]
	}
	out := []map[string]any{}
	for i := len(picked) - 1; i >= 0; i-- {
		out = append(out, s.messageObjectLocked(picked[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// idLess compares snowflakes.
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// messageBody is what a bot sends to create or edit a message.
type messageBody struct {
	Content         *string         `json:"content"`
	Embeds          json.RawMessage `json:"embeds"`
	Components      json.RawMessage `json:"components"`
	AllowedMentions json.RawMessage `json:"allowed_mentions"`
	Reference       *struct {
		MessageID       string `json:"message_id"`
		ChannelID       string `json:"channel_id"`
		GuildID         string `json:"guild_id"`
		FailIfNotExists *bool  `json:"fail_if_not_exists"`
	} `json:"message_reference"`
	Flags        int             `json:"flags"`
	Nonce        json.RawMessage `json:"nonce"`
	EnforceNonce bool            `json:"enforce_nonce"`
	StickerIDs   []string        `json:"sticker_ids"`
	// Attachments describe the files[n] parts of a multipart body and,
	// in an edit, name the files the message keeps.
	Attachments json.RawMessage `json:"attachments"`

	multipart bool               // the body was multipart/form-data
	parts     map[int]Attachment // its files[n], see readMessage
	files     []Attachment       // the files to add, see describe
}

func (b messageBody) nonce() string {
	var s string
	if json.Unmarshal(b.Nonce, &s) == nil {
		return s
	}
	return strings.Trim(string(b.Nonce), `"`)
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	var b messageBody
	if e := s.readMessage(r, &b); e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.visibleLocked(r.PathValue("channel"))
	if e == nil {
		e = s.postableLocked(c)
	}
	if e == nil && b.multipart {
		_, b.files, e = describe(b.parts, b.Attachments, nil)
	}
	if e == nil && len(b.files) > 0 {
		e = s.attachableLocked(c)
	}
	if e != nil {
		e.write(w)
		return
	}
	m, e := s.newBotMessageLocked(c, b)
	if e != nil {
		e.write(w)
		return
	}
	writeJSON(w, http.StatusOK, s.messageObjectLocked(m))
}

// postableLocked refuses a bot post to a channel Discord would refuse it
// in. The caller holds s.mu.
func (s *Server) postableLocked(c *Channel) *apiError {
	switch {
	case c.Type == ChannelForum:
		return &apiError{status: 400, code: 50008, msg: "Cannot send messages in a non-text channel"}
	case c.Type == ChannelDM && s.closedDMs[c.Recipient]:
		return &apiError{status: 403, code: 50007, msg: "Cannot send messages to this user"}
	}
	return nil
}

// newBotMessageLocked checks and stores a message the bot posts to c, and
// dispatches it. With enforce_nonce, a nonce the bot used before returns
// that message instead. The caller holds s.mu.
func (s *Server) newBotMessageLocked(c *Channel, b messageBody) (*Message, *apiError) {
	if e := validateMessage(b, false); e != nil {
		return nil, e
	}
	nonce := b.nonce()
	if len(nonce) > 25 {
		return nil, invalidForm("nonce", "Must be 25 or fewer in length.")
	}
	if b.EnforceNonce && nonce != "" {
		for _, m := range s.messages {
			if m.Nonce == nonce && m.AuthorID == s.opts.BotUserID {
				return m, nil
			}
		}
	}
	m := &Message{ID: s.snowflakeLocked(), ChannelID: c.ID, GuildID: c.GuildID, AuthorID: s.opts.BotUserID, Flags: b.Flags, Nonce: nonce}
	s.applyBodyLocked(m, b)
	if b.Reference != nil {
		m.Reference = &Reference{MessageID: b.Reference.MessageID, ChannelID: b.Reference.ChannelID, GuildID: b.Reference.GuildID, FailIfNotExists: b.Reference.FailIfNotExists}
		target, ok := s.liveLocked(c.ID, b.Reference.MessageID)
		switch {
		case ok:
			m.replyTo = target.ID
		case b.Reference.FailIfNotExists == nil || *b.Reference.FailIfNotExists:
			return nil, invalidForm("message_reference", "Unknown message")
		}
	}
	s.storeLocked(m)
	return m, nil
}

// applyBodyLocked copies what b sets onto m.
func (s *Server) applyBodyLocked(m *Message, b messageBody) {
	if b.Content != nil {
		m.Content = *b.Content
	}
	if isSet(b.Embeds) {
		m.Embeds = emptyToNil(b.Embeds)
	}
	if isSet(b.Components) {
		m.Components = emptyToNil(b.Components)
	}
	m.AllowedMentions = parseAllowed(b.AllowedMentions)
	for _, f := range b.files {
		f.ID = s.snowflakeLocked()
		m.Uploads = append(m.Uploads, f)
	}
}

func isSet(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

func emptyToNil(raw json.RawMessage) json.RawMessage {
	if strings.TrimSpace(string(raw)) == "[]" {
		return nil
	}
	return append(json.RawMessage(nil), raw...)
}

func parseAllowed(raw json.RawMessage) AllowedMentions {
	var a struct {
		Parse       []string `json:"parse"`
		Users       []string `json:"users"`
		Roles       []string `json:"roles"`
		RepliedUser bool     `json:"replied_user"`
	}
	if !isSet(raw) || json.Unmarshal(raw, &a) != nil {
		return AllowedMentions{}
	}
	return AllowedMentions{Sent: true, Parse: a.Parse, Users: a.Users, Roles: a.Roles, RepliedUser: a.RepliedUser}
}

// storeLocked records a new message and dispatches MESSAGE_CREATE, as
// Discord does for every message, the bot's own included. The caller
// holds s.mu.
func (s *Server) storeLocked(m *Message) {
	s.messages = append(s.messages, m)
	s.byID[m.ID] = m
	s.dispatchMessageLocked("MESSAGE_CREATE", m)
	s.notifyLocked()
}

// editMessage answers PATCH /channels/{channel}/messages/{message}: the
// bot edits one of its messages, with JSON or, to add files, multipart.
func (s *Server) editMessage(w http.ResponseWriter, r *http.Request) {
	var b messageBody
	if e := s.readMessage(r, &b); e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.visibleLocked(r.PathValue("channel"))
	if e != nil {
		e.write(w)
		return
	}
	m, ok := s.liveLocked(c.ID, r.PathValue("message"))
	switch {
	case !ok:
		errUnknownMessage.write(w)
		return
	case m.AuthorID != s.opts.BotUserID:
		writeError(w, http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
		return
	}
	kept := m.Uploads
	if b.multipart || isSet(b.Attachments) {
		kept, b.files, e = describe(b.parts, b.Attachments, m.Uploads)
	}
	if e == nil && len(b.files) > 0 {
		e = s.attachableLocked(c)
	}
	if e == nil {
		e = validateMessage(b, true)
	}
	if e != nil {
		e.write(w)
		return
	}
	m.Uploads = slices.Clone(kept)
	s.editLocked(m, b)
	writeJSON(w, http.StatusOK, s.messageObjectLocked(m))
}

// editLocked applies an edit of the bot's to m, keeps the content it
// replaces, and dispatches MESSAGE_UPDATE, which Discord sends for every
// edit, the bot's own included. The caller holds s.mu.
func (s *Server) editLocked(m *Message, b messageBody) {
	before := m.Content
	s.applyBodyLocked(m, b)
	s.editedLocked(m, before)
}

// editedLocked records that m was edited from content before, and
// dispatches MESSAGE_UPDATE. The caller holds s.mu.
func (s *Server) editedLocked(m *Message, before string) {
	m.Earlier = append(m.Earlier, before)
	m.Edits++
	// The simulator's snowflakes run a millisecond ahead per id: an
	// edit still comes after the message.
	m.editedAt = time.Now().UTC()
	if sent := snowflakeTime(m.ID); !m.editedAt.After(sent) {
		m.editedAt = sent.Add(time.Millisecond)
	}
	s.dispatchMessageLocked("MESSAGE_UPDATE", m)
	s.notifyLocked()
}

// deleteMessage answers DELETE /channels/{channel}/messages/{message}:
// the bot deletes one of its messages. Another's needs Manage Messages,
// which caredesk does not ask for, and in a DM nobody may delete the
// other person's messages.
func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.visibleLocked(r.PathValue("channel"))
	if e != nil {
		e.write(w)
		return
	}
	m, ok := s.liveLocked(c.ID, r.PathValue("message"))
	switch {
	case !ok:
		errUnknownMessage.write(w)
		return
	case m.AuthorID != s.opts.BotUserID && c.Type == ChannelDM:
		writeError(w, http.StatusForbidden, 50003, "Cannot execute action on a DM channel")
		return
	case m.AuthorID != s.opts.BotUserID:
		writeError(w, http.StatusForbidden, 50013, "Missing Permissions")
		return
	}
	s.deleteLocked(m)
	w.WriteHeader(http.StatusNoContent)
}

// deleteLocked marks m deleted, so that Discord no longer shows it but
// the record keeps it, and dispatches MESSAGE_DELETE. The caller holds
// s.mu.
func (s *Server) deleteLocked(m *Message) {
	m.Deleted = true
	data := map[string]any{"id": m.ID, "channel_id": m.ChannelID}
	need := intentDirectMessages
	if m.GuildID != "" {
		data["guild_id"] = m.GuildID
		need = intentGuildMessages
	}
	s.dispatchLocked("MESSAGE_DELETE", data, need)
	s.notifyLocked()
}

// liveLocked returns message id of channel, unless it is unknown, in
// another channel or deleted: what Discord answers Unknown Message for.
// The caller holds s.mu.
func (s *Server) liveLocked(channel, id string) (*Message, bool) {
	m, ok := s.byID[id]
	if !ok || m.ChannelID != channel || m.Deleted {
		return nil, false
	}
	return m, true
}

// threadBody is what a bot sends to start a thread or a forum post.
type threadBody struct {
	Name                string       `json:"name"`
	AutoArchiveDuration int          `json:"auto_archive_duration"`
	Type                int          `json:"type"`
	Message             *messageBody `json:"message"`
}

func (b threadBody) check() *apiError {
	if n := len([]rune(b.Name)); n == 0 || n > 100 {
		return invalidForm("name", "Must be between 1 and 100 in length.")
	}
	switch b.AutoArchiveDuration {
	case 0, 60, 1440, 4320, 10080:
		return nil
	}
	return invalidForm("auto_archive_duration", "Value must be one of (60, 1440, 4320, 10080).")
}

// startThread starts a thread from a message: the thread has the
// message's id, as on Discord.
func (s *Server) startThread(w http.ResponseWriter, r *http.Request) {
	var b threadBody
	if !decode(w, r, &b) {
		return
	}
	if e := b.check(); e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.visibleLocked(r.PathValue("channel"))
	if e != nil {
		e.write(w)
		return
	}
	m, ok := s.liveLocked(c.ID, r.PathValue("message"))
	switch {
	case !ok:
		errUnknownMessage.write(w)
		return
	case c.Type != ChannelText:
		writeError(w, http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
		return
	case m.Thread != "":
		writeError(w, http.StatusBadRequest, 160004, "A thread has already been created for this message")
		return
	}
	t := s.newThreadLocked(c, m.ID, b)
	m.Thread = t.ID
	writeJSON(w, http.StatusCreated, s.channelObjectLocked(t))
}

// newThreadLocked creates thread id under parent c and dispatches
// THREAD_CREATE. The caller holds s.mu.
func (s *Server) newThreadLocked(c *Channel, id string, b threadBody) *Channel {
	archive := b.AutoArchiveDuration
	if archive == 0 {
		archive = 4320
	}
	t := Channel{ID: id, Type: ChannelPublicThread, Name: b.Name, GuildID: c.GuildID, ParentID: c.ID, OwnerID: s.opts.BotUserID, AutoArchive: archive}
	s.addChannelLocked(t)
	obj := s.channelObjectLocked(&t)
	obj["newly_created"] = true
	s.dispatchLocked("THREAD_CREATE", obj, intentGuilds)
	s.notifyLocked()
	return s.channels[id]
}

// startForumThread creates a forum post: a thread and its starter
// message, which has the thread's id. In a text channel it starts a
// thread without a starter message.
func (s *Server) startForumThread(w http.ResponseWriter, r *http.Request) {
	var b threadBody
	if !decode(w, r, &b) {
		return
	}
	if e := b.check(); e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.visibleLocked(r.PathValue("channel"))
	if e != nil {
		e.write(w)
		return
	}
	if c.Type != ChannelForum {
		t := s.newThreadLocked(c, s.snowflakeLocked(), b)
		writeJSON(w, http.StatusCreated, s.channelObjectLocked(t))
		return
	}
	if b.Message == nil {
		invalidForm("message", "This field is required").write(w)
		return
	}
	if e := validateMessage(*b.Message, false); e != nil {
		e.write(w)
		return
	}
	t := s.newThreadLocked(c, s.snowflakeLocked(), b)
	m := &Message{ID: t.ID, ChannelID: t.ID, GuildID: t.GuildID, AuthorID: s.opts.BotUserID, Flags: b.Message.Flags, Nonce: b.Message.nonce()}
	s.applyBodyLocked(m, *b.Message)
	m.Thread = t.ID
	s.storeLocked(m)
	obj := s.channelObjectLocked(t)
	obj["message"] = s.messageObjectLocked(m)
	writeJSON(w, http.StatusCreated, obj)
}

func (s *Server) activeThreads(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PathValue("guild") != s.opts.GuildID {
		errUnknownGuild.write(w)
		return
	}
	threads := []map[string]any{}
	for _, id := range s.channelOrder {
		if c := s.channels[id]; c.IsThread() && !c.Hidden {
			threads = append(threads, s.channelObjectLocked(c))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"threads": threads, "members": []any{}})
}

func (s *Server) addReaction(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.visibleLocked(r.PathValue("channel"))
	if e != nil {
		e.write(w)
		return
	}
	m, ok := s.liveLocked(c.ID, r.PathValue("message"))
	if !ok {
		errUnknownMessage.write(w)
		return
	}
	emoji := r.PathValue("emoji")
	if emoji == "" {
		writeError(w, http.StatusBadRequest, 10014, "Unknown Emoji")
		return
	}
	s.reactLocked(s.opts.BotUserID, m, emoji)
	w.WriteHeader(http.StatusNoContent)
}

// openDM answers POST /users/@me/channels: the DM channel with a user,
// the same one every time.
func (s *Server) openDM(w http.ResponseWriter, r *http.Request) {
	var b struct {
		RecipientID string `json:"recipient_id"`
	}
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[b.RecipientID]; !ok {
		invalidForm("recipient_id", "Unknown user").write(w)
		return
	}
	writeJSON(w, http.StatusOK, s.channelObjectLocked(s.dmLocked(b.RecipientID)))
}

// dmLocked returns the DM channel with user, creating it. The caller
// holds s.mu.
func (s *Server) dmLocked(user string) *Channel {
	if id, ok := s.dms[user]; ok {
		return s.channels[id]
	}
	c := Channel{ID: s.snowflakeLocked(), Type: ChannelDM, Recipient: user}
	s.addChannelLocked(c)
	s.dms[user] = c.ID
	return s.channels[c.ID]
}

func (s *Server) bulkOverwrite(w http.ResponseWriter, r *http.Request) {
	var raw []json.RawMessage
	if !decode(w, r, &raw) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.PathValue("application") != s.opts.ApplicationID:
		errMissingAccess.write(w)
		return
	case r.PathValue("guild") != s.opts.GuildID:
		errUnknownGuild.write(w)
		return
	}
	var cmds []Command
	var out []map[string]any
	for i, c := range raw {
		cmd, e := checkCommand(c, i)
		if e != nil {
			e.write(w)
			return
		}
		cmd.ID = s.snowflakeLocked()
		cmds = append(cmds, cmd)
		var obj map[string]any
		_ = json.Unmarshal(c, &obj)
		obj["id"], obj["application_id"], obj["guild_id"], obj["version"] = cmd.ID, s.opts.ApplicationID, s.opts.GuildID, cmd.ID
		if obj["type"] == nil {
			obj["type"] = 1
		}
		out = append(out, obj)
	}
	s.commands[s.opts.GuildID] = cmds
	s.commandPuts++
	s.notifyLocked()
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) guildCommands(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []json.RawMessage{}
	for _, c := range s.commands[r.PathValue("guild")] {
		out = append(out, c.Raw)
	}
	writeJSON(w, http.StatusOK, out)
}
