package discordsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"
)

// CommandName is the application command SlashCommand invokes.
const CommandName = "desk"

// Interaction types and the initial response types, as Discord numbers
// them.
const (
	InteractionCommand   = 2
	InteractionComponent = 3

	ResponseMessage         = 4 // CHANNEL_MESSAGE_WITH_SOURCE
	ResponseDeferred        = 5 // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "thinking…", edited later
	ResponseDeferredUpdate  = 6 // DEFERRED_UPDATE_MESSAGE: a click acknowledged, nothing shown
	ResponseUpdateMessage   = 7 // UPDATE_MESSAGE: the clicked message edited
	flagEphemeral           = 64
	interactionTokenPrefix  = "aW50ZXJhY3Rpb24"
	unknownInteractionCode  = 10062
	alreadyAcknowledgedCode = 40060
	unknownWebhookCode      = 10015
)

// interaction is one interaction a person started, guarded by Server.mu.
type interaction struct {
	id, token string
	kind      int
	user      string
	channelID string
	messageID string // the clicked message, for components
	created   time.Time
	resp      Response
}

// Response is what the bot answered to an interaction: the initial
// callback, the original response after its edits, and follow-ups.
type Response struct {
	Type       int  // the initial callback's type (ResponseDeferred…); 0 while unanswered
	Ephemeral  bool // only the person who acted sees the original response
	MessageID  string
	Content    string // the original response's content after its latest edit
	Embeds     json.RawMessage
	Components json.RawMessage
	// AllowedMentions is the latest one sent with the original response.
	AllowedMentions AllowedMentions
	Edits           int // PATCHes of @original
	Deleted         bool
	Followups       []Followup
	// Refused are callbacks Discord turned down: "late" after the
	// interaction timed out, "repeated" after it was acknowledged.
	Refused []string
	// Latency is how long after the interaction the first answer came.
	Latency time.Duration
}

// Done reports whether the agent has seen the bot's final answer: a
// message response, a deferred one edited, or a click acknowledged.
func (r Response) Done() bool {
	switch r.Type {
	case ResponseMessage, ResponseDeferredUpdate, ResponseUpdateMessage:
		return true
	case ResponseDeferred:
		return r.Edits > 0 || r.Deleted
	}
	return false
}

// Followup is a follow-up message of an interaction.
type Followup struct {
	ID              string
	Content         string
	Ephemeral       bool
	AllowedMentions AllowedMentions
}

// Interaction is a handle on an interaction a person started, to read and
// wait for the bot's answer.
type Interaction struct {
	ID    string
	Token string
	s     *Server
}

// Response returns the bot's answer so far.
func (i Interaction) Response() Response {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	in := i.s.interactions[i.ID]
	r := in.resp
	r.Followups = slices.Clone(r.Followups)
	r.Refused = slices.Clone(r.Refused)
	return r
}

// Wait returns the answer once cond holds for it, or ctx's error.
func (i Interaction) Wait(ctx context.Context, cond func(Response) bool) (Response, error) {
	var r Response
	err := i.s.Wait(ctx, func() bool {
		r = i.Response()
		return cond(r)
	})
	return r, err
}

// SlashCommand is user typing /desk subcommand with options in channelID
// (the desk channel or a thread): the bot gets INTERACTION_CREATE of type
// 2 with the subcommand and its options, typed as the registered /desk
// command declares them (an integer ticket, a USER "to" given as the user
// id, a string text). Options not registered, or a /desk that was never
// registered, panic: Discord's client would not let anyone type them.
// Before any registration the types follow the Go values.
func (s *Server) SlashCommand(user, subcommand string, options map[string]any, channelID string) Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok {
		panic(fmt.Sprintf("discordsim: SlashCommand in channel %s, which does not exist", channelID))
	}
	u := s.userLocked(user)
	cmdID, opts, resolved := s.commandOptionsLocked(subcommand, options)
	data := map[string]any{
		"id": cmdID, "name": CommandName, "type": 1,
		"options": []any{map[string]any{"name": subcommand, "type": 1, "options": opts}},
	}
	if c.GuildID != "" {
		data["guild_id"] = c.GuildID
	}
	if resolved != nil {
		data["resolved"] = resolved
	}
	return s.interactLocked(InteractionCommand, u, c, nil, data)
}

// commandOptionsLocked types options as the registered command does. The
// caller holds s.mu.
func (s *Server) commandOptionsLocked(sub string, options map[string]any) (string, []any, map[string]any) {
	var declared []CommandOption
	cmdID := ""
	registered := false
	for _, c := range s.commands[s.opts.GuildID] {
		if c.Name != CommandName {
			continue
		}
		registered, cmdID = true, c.ID
		o, ok := c.Option(sub)
		if !ok || o.Type != 1 {
			panic(fmt.Sprintf("discordsim: /%s has no subcommand %q", CommandName, sub))
		}
		declared = o.Options
		for _, d := range declared {
			if _, given := options[d.Name]; d.Required && !given {
				panic(fmt.Sprintf("discordsim: /%s %s needs its option %q", CommandName, sub, d.Name))
			}
		}
	}
	if !registered {
		cmdID = s.snowflakeLocked()
	}
	names := make([]string, 0, len(options))
	for n := range options {
		names = append(names, n)
	}
	order := func(n string) int {
		return slices.IndexFunc(declared, func(d CommandOption) bool { return d.Name == n })
	}
	sort.Slice(names, func(a, b int) bool {
		if oa, ob := order(names[a]), order(names[b]); oa != ob {
			return oa < ob
		}
		return names[a] < names[b]
	})
	var resolved map[string]any
	opts := []any{}
	for _, n := range names {
		v := options[n]
		typ := 3
		if i := order(n); i >= 0 {
			typ = declared[i].Type
		} else if registered {
			panic(fmt.Sprintf("discordsim: /%s %s has no option %q", CommandName, sub, n))
		} else {
			switch v.(type) {
			case int, int64, float64:
				typ = 4
			}
		}
		if typ == 6 {
			id := fmt.Sprint(v)
			u := s.userLocked(id)
			if resolved == nil {
				resolved = map[string]any{"users": map[string]any{}, "members": map[string]any{}}
			}
			resolved["users"].(map[string]any)[id] = userObject(u)
			resolved["members"].(map[string]any)[id] = memberObject(u, false)
			v = id
		}
		opts = append(opts, map[string]any{"name": n, "type": typ, "value": v})
	}
	return cmdID, opts, resolved
}

// ClickButton is user clicking the button customID under message msgID
// of channelID (a guild channel, a thread, or the user's DM with the bot):
// the bot gets INTERACTION_CREATE of type 3 with the message, and with the
// user as "member" in a guild or as "user" in a DM. The button must be on
// the message and enabled, and the channel one the user can see, as it
// must be on screen to be clicked.
func (s *Server) ClickButton(user, channelID, msgID, customID string) Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.liveLocked(channelID, msgID)
	if !ok {
		panic(fmt.Sprintf("discordsim: ClickButton on message %s, which is not in channel %s", msgID, channelID))
	}
	found := false
	for _, b := range m.Buttons() {
		found = found || (b.CustomID == customID && !b.Disabled)
	}
	if !found {
		panic(fmt.Sprintf("discordsim: message %s has no enabled button %q", msgID, customID))
	}
	u, c := s.userLocked(user), s.channels[channelID]
	s.mayClickLocked(u, c)
	data := map[string]any{"custom_id": customID, "component_type": 2}
	return s.interactLocked(InteractionComponent, u, c, m, data)
}

// interactLocked records an interaction and dispatches it. The caller
// holds s.mu.
func (s *Server) interactLocked(kind int, u *User, c *Channel, m *Message, data map[string]any) Interaction {
	in := &interaction{
		id: s.snowflakeLocked(), token: interactionTokenPrefix + randomHex(32),
		kind: kind, user: u.ID, channelID: c.ID, created: time.Now(),
	}
	obj := map[string]any{
		"id": in.id, "application_id": s.opts.ApplicationID, "type": kind, "data": data,
		"channel_id": c.ID, "channel": s.channelObjectLocked(c), "token": in.token, "version": 1,
		"locale": "en-US", "app_permissions": "2248473465835073", "entitlements": []any{},
	}
	if c.GuildID != "" {
		obj["guild_id"], obj["guild_locale"], obj["context"] = c.GuildID, "en-US", 0
		obj["member"] = memberObject(u, true)
		obj["authorizing_integration_owners"] = map[string]any{"0": c.GuildID}
	} else {
		obj["user"], obj["context"] = userObject(u), 1
	}
	if m != nil {
		in.messageID = m.ID
		obj["message"] = s.messageObjectLocked(m)
	}
	s.interactions[in.id] = in
	s.byToken[in.token] = in
	s.dispatchLocked("INTERACTION_CREATE", obj, 0)
	s.notifyLocked()
	return Interaction{ID: in.id, Token: in.token, s: s}
}

// Interactions returns handles on every interaction, oldest first.
func (s *Server) Interactions() []Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Interaction
	for _, in := range s.interactions {
		out = append(out, Interaction{ID: in.id, Token: in.token, s: s})
	}
	sort.Slice(out, func(a, b int) bool { return idLess(out[a].ID, out[b].ID) })
	return out
}

// callbackBody is an interaction's initial response.
type callbackBody struct {
	Type int          `json:"type"`
	Data *messageBody `json:"data"`
}

func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	var b callbackBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.interactions[r.PathValue("interaction")]
	switch {
	case !ok || in.token != r.PathValue("token"):
		writeError(w, http.StatusNotFound, unknownInteractionCode, "Unknown interaction")
		return
	case in.resp.Type != 0:
		in.resp.Refused = append(in.resp.Refused, "repeated")
		s.notifyLocked()
		writeError(w, http.StatusBadRequest, alreadyAcknowledgedCode, "Interaction has already been acknowledged.")
		return
	case time.Since(in.created) > s.opts.InteractionTimeout:
		in.resp.Refused = append(in.resp.Refused, "late")
		s.notifyLocked()
		writeError(w, http.StatusNotFound, unknownInteractionCode, "Unknown interaction")
		return
	}
	allowed := []int{ResponseMessage, ResponseDeferred, 9}
	if in.kind == InteractionComponent {
		allowed = append(allowed, ResponseDeferredUpdate, ResponseUpdateMessage)
	}
	if !slices.Contains(allowed, b.Type) {
		invalidForm("type", "Value must be one of the interaction's response types.").write(w)
		return
	}
	data := messageBody{}
	if b.Data != nil {
		data = *b.Data
	}
	if b.Type == ResponseMessage || b.Type == ResponseUpdateMessage {
		if e := validateMessage(data, b.Type == ResponseUpdateMessage); e != nil {
			e.write(w)
			return
		}
	}
	in.resp.Type, in.resp.Latency = b.Type, time.Since(in.created)
	switch b.Type {
	case ResponseMessage, ResponseDeferred:
		in.resp.Ephemeral = data.Flags&flagEphemeral != 0
		in.resp.MessageID = s.snowflakeLocked()
		applyResponse(&in.resp, data)
	case ResponseUpdateMessage:
		if m, ok := s.liveLocked(in.channelID, in.messageID); ok {
			s.editLocked(m, data)
		}
	}
	s.notifyLocked()
	w.WriteHeader(http.StatusNoContent)
}

func applyResponse(r *Response, b messageBody) {
	if b.Content != nil {
		r.Content = *b.Content
	}
	if isSet(b.Embeds) {
		r.Embeds = emptyToNil(b.Embeds)
	}
	if isSet(b.Components) {
		r.Components = emptyToNil(b.Components)
	}
	if isSet(b.AllowedMentions) {
		r.AllowedMentions = parseAllowed(b.AllowedMentions)
	}
}

// webhookLocked finds the interaction of a webhook URL, which must have
// been answered first. The caller holds s.mu.
func (s *Server) webhookLocked(r *http.Request) (*interaction, *apiError) {
	in, ok := s.byToken[r.PathValue("token")]
	if !ok || r.PathValue("application") != s.opts.ApplicationID || in.resp.Type == 0 {
		return nil, &apiError{status: 404, code: unknownWebhookCode, msg: "Unknown Webhook"}
	}
	return in, nil
}

func (s *Server) editOriginal(w http.ResponseWriter, r *http.Request) {
	var b messageBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, e := s.webhookLocked(r)
	if e == nil {
		e = validateMessage(b, true)
	}
	if e != nil {
		e.write(w)
		return
	}
	if in.resp.Type == ResponseDeferredUpdate || in.resp.Type == ResponseUpdateMessage {
		// @original of a click is the clicked message.
		m, ok := s.liveLocked(in.channelID, in.messageID)
		if !ok {
			errUnknownMessage.write(w)
			return
		}
		s.editLocked(m, b)
		writeJSON(w, http.StatusOK, s.messageObjectLocked(m))
		return
	}
	applyResponse(&in.resp, b)
	in.resp.Edits++
	s.notifyLocked()
	writeJSON(w, http.StatusOK, s.webhookMessageLocked(in, in.resp.MessageID, in.resp.Content, in.resp.Ephemeral))
}

func (s *Server) deleteOriginal(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, e := s.webhookLocked(r)
	if e != nil {
		e.write(w)
		return
	}
	in.resp.Deleted = true
	s.notifyLocked()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) followup(w http.ResponseWriter, r *http.Request) {
	var b messageBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, e := s.webhookLocked(r)
	if e == nil {
		e = validateMessage(b, false)
	}
	if e != nil {
		e.write(w)
		return
	}
	f := Followup{ID: s.snowflakeLocked(), Ephemeral: b.Flags&flagEphemeral != 0, AllowedMentions: parseAllowed(b.AllowedMentions)}
	if b.Content != nil {
		f.Content = *b.Content
	}
	in.resp.Followups = append(in.resp.Followups, f)
	s.notifyLocked()
	if r.URL.Query().Get("wait") != "true" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, s.webhookMessageLocked(in, f.ID, f.Content, f.Ephemeral))
}

func (s *Server) editFollowup(w http.ResponseWriter, r *http.Request) {
	var b messageBody
	if !decode(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, e := s.webhookLocked(r)
	if e != nil {
		e.write(w)
		return
	}
	i := slices.IndexFunc(in.resp.Followups, func(f Followup) bool { return f.ID == r.PathValue("message") })
	if i < 0 {
		errUnknownMessage.write(w)
		return
	}
	f := &in.resp.Followups[i]
	if b.Content != nil {
		f.Content = *b.Content
	}
	s.notifyLocked()
	writeJSON(w, http.StatusOK, s.webhookMessageLocked(in, f.ID, f.Content, f.Ephemeral))
}

// webhookMessageLocked is an interaction's response message as Discord
// returns it. The caller holds s.mu.
func (s *Server) webhookMessageLocked(in *interaction, id, content string, ephemeral bool) map[string]any {
	flags := 0
	if ephemeral {
		flags = flagEphemeral
	}
	return map[string]any{
		"id": id, "channel_id": in.channelID, "author": userObject(s.users[s.opts.BotUserID]),
		"content": content, "timestamp": snowflakeTime(id).Format(time.RFC3339Nano), "type": 20,
		"flags": flags, "webhook_id": s.opts.ApplicationID, "application_id": s.opts.ApplicationID,
		"embeds": []any{}, "attachments": []any{}, "mentions": []any{}, "components": []any{},
	}
}
