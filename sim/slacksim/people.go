package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// UserPosts is a person writing text in the desk channel, in the thread of
// threadTS when it is not "": the message is recorded and the bot gets a
// message event. text is what the person typed; Slack delivers it escaped
// (see typed). It returns when the bot acknowledged the event, with
// Slack's retries if it did not at first, and an error if it never did.
func (s *Server) UserPosts(user, threadTS, text string) (ts, eventID string, err error) {
	s.mu.Lock()
	m, err := s.userMessageLocked(user, threadTS, text)
	if err != nil {
		s.mu.Unlock()
		return "", "", err
	}
	s.messages = append(s.messages, m)
	s.notifyLocked()
	ev := s.messageEventLocked(*m)
	s.mu.Unlock()
	return m.TS, ev.id, s.deliverEvent(ev)
}

// userMessageLocked makes, without recording it, the message user writes
// with text: in the desk channel, or in the thread of threadTS when it is
// not "" (a reply to a reply joins its parent's thread). It makes user
// known to the workspace. The caller holds s.mu.
func (s *Server) userMessageLocked(user, threadTS, text string) (*Message, error) {
	m := &Message{Channel: s.opts.ChannelID, User: user, Text: s.typedLocked(text, false)}
	if threadTS != "" {
		parent := s.messageLocked(threadTS)
		if parent == nil {
			return nil, fmt.Errorf("slacksim: no message %s to reply to", threadTS)
		}
		m.Channel, m.ThreadTS = parent.Channel, parent.TS
		if parent.ThreadTS != "" {
			m.ThreadTS = parent.ThreadTS
		}
	}
	if _, known := s.users[user]; !known {
		s.users[user] = user
	}
	m.TS = s.tsLocked()
	return m, nil
}

// SharedFile is a file a person shares with UserSharesFile.
type SharedFile struct {
	Name  string // its filename, like "invoice.pdf"; required, without "/"
	Title string // as Slack shows it; default Name
	MIME  string // its mimetype; default from Name's extension, or else sniffed from Data
	Data  []byte
}

// UserSharesFile is a person sharing files, with text (which may be ""),
// in the desk channel, or in the thread of threadTS when it is not "": one
// message carrying them is recorded, and the bot gets a message event of
// subtype file_share with the files in full. Each file gets an id and a
// url_private_download on the simulator that serves its bytes to the bot
// token while the app holds files:read (see Downloads, DownloadMethod).
// It returns as UserPosts does.
func (s *Server) UserSharesFile(user, threadTS, text string, files ...SharedFile) (ts, eventID string, err error) {
	if len(files) == 0 {
		return "", "", errors.New("slacksim: a file share needs a file")
	}
	for _, f := range files {
		if f.Name == "" || strings.Contains(f.Name, "/") {
			return "", "", fmt.Errorf("slacksim: a shared file needs a name without a slash, not %q", f.Name)
		}
	}
	s.mu.Lock()
	m, err := s.userMessageLocked(user, threadTS, text)
	if err != nil {
		s.mu.Unlock()
		return "", "", err
	}
	for _, f := range files {
		sf := s.storeLocked(s.idLocked("F"), f.Name, f.Title, f.MIME, user, slices.Clone(f.Data))
		m.Files = append(m.Files, sf.id)
		s.files = append(s.files, File{
			ID: sf.id, Name: sf.name, Title: sf.title, MIME: sf.mime, User: user, Data: sf.data,
			Channel: m.Channel, ThreadTS: m.ThreadTS, Comment: m.Text, MessageTS: m.TS,
		})
	}
	s.messages = append(s.messages, m)
	s.notifyLocked()
	ev := s.messageEventLocked(*m)
	s.mu.Unlock()
	return m.TS, ev.id, s.deliverEvent(ev)
}

// EditMessage is a person editing their message ts to text: the message
// is changed and Slack delivers a message_changed event, with the message
// as it is now (and "edited") and as it was, which a bot must not take for
// a new message.
func (s *Server) EditMessage(user, ts, text string) (eventID string, err error) {
	s.mu.Lock()
	m := s.messageLocked(ts)
	if m == nil || m.User != user || m.BotID != "" {
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: %s has no message %s", user, ts)
	}
	previous := s.messageObjectLocked(*m)
	m.Text = s.typedLocked(text, false)
	m.Edits++
	m.EditedBy, m.EditedTS = user, s.tsLocked()
	ev := s.messageChangedLocked(*m, previous)
	s.notifyLocked()
	s.mu.Unlock()
	return ev.id, s.deliverEvent(ev)
}

// DeleteMessage is a person deleting their message ts: it is removed,
// with the reactions on it, and Slack delivers a message_deleted event
// naming it in deleted_ts, with the message as it was. The files it
// shared stay in the workspace, as Slack keeps them. A thread's root that
// has replies is not deleted: Slack leaves a tombstone in its place,
// which the simulator does not model.
func (s *Server) DeleteMessage(user, ts string) (eventID string, err error) {
	s.mu.Lock()
	i := slices.IndexFunc(s.messages, func(m *Message) bool { return m.TS == ts })
	if i < 0 || s.messages[i].User != user || s.messages[i].BotID != "" {
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: %s has no message %s", user, ts)
	}
	m := s.messages[i]
	if m.IsRoot() && slices.ContainsFunc(s.messages, func(r *Message) bool { return r.ThreadTS == ts && r.TS != ts }) {
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: message %s has replies; Slack would leave a tombstone", ts)
	}
	previous := s.messageObjectLocked(*m)
	s.messages = slices.Delete(s.messages, i, i+1)
	s.reactions = slices.DeleteFunc(s.reactions, func(r Reaction) bool { return r.Channel == m.Channel && r.TS == ts })
	now := s.tsLocked()
	ev := s.newEventLocked(map[string]any{
		"type": "message", "subtype": "message_deleted", "hidden": true, "channel": m.Channel,
		"ts": now, "event_ts": now, "deleted_ts": ts, "channel_type": channelType(m.Channel),
		"previous_message": previous,
	})
	s.notifyLocked()
	s.mu.Unlock()
	return ev.id, s.deliverEvent(ev)
}

// AddReaction is a person putting emoji name (without colons, skin tone
// as "raising_hand::skin-tone-3") on message ts: recorded, and the bot
// gets a reaction_added event.
func (s *Server) AddReaction(user, ts, name string) (eventID string, err error) {
	s.mu.Lock()
	m := s.messageLocked(ts)
	if m == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: no message %s to react to", ts)
	}
	r := Reaction{Channel: m.Channel, TS: ts, Name: name, User: user}
	for _, have := range s.reactions {
		if have == r {
			s.mu.Unlock()
			return "", errors.New("slacksim: already_reacted")
		}
	}
	s.reactions = append(s.reactions, r)
	now := s.tsLocked()
	ev := s.newEventLocked(map[string]any{
		"type": "reaction_added", "user": user, "reaction": name, "item_user": m.User,
		"item": map[string]any{"type": "message", "channel": m.Channel, "ts": ts}, "event_ts": now,
	})
	s.notifyLocked()
	s.mu.Unlock()
	return ev.id, s.deliverEvent(ev)
}

// SendEvent delivers any inner event (a JSON object such as a
// channel_join message or a message in another channel) in an
// event_callback, as Slack would, without recording anything.
func (s *Server) SendEvent(inner any) (eventID string, err error) {
	s.mu.Lock()
	ev := s.newEventLocked(inner)
	s.mu.Unlock()
	return ev.id, s.deliverEvent(ev)
}

// Response is the bot's answer to a slash command or a request: the HTTP
// response in HTTP mode, the ack's payload in Socket Mode.
type Response struct {
	Status       int // HTTP status; 200 for a Socket Mode ack
	ContentType  string
	Body         []byte
	ResponseType string // "ephemeral" or "in_channel" when Body is Slack's JSON
	Text         string // Body's "text", or Body itself when it is plain text
}

func newResponse(status int, contentType string, body []byte) Response {
	r := Response{Status: status, ContentType: contentType, Body: body}
	var msg struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if json.Unmarshal(body, &msg) == nil {
		r.ResponseType, r.Text = msg.ResponseType, msg.Text
	} else {
		r.Text = string(body)
	}
	return r
}

// SlashCommand is userID (userName) typing command (like "/desk") with
// text in the desk channel. It returns the bot's answer. Slack does not
// retry commands: a bot that fails or is late is an error.
func (s *Server) SlashCommand(userID, userName, command, text string) (Response, error) {
	return s.SlashCommandIn(s.opts.ChannelID, userID, userName, command, text)
}

// SlashCommandIn is SlashCommand typed in channel, which AddChannel made
// (or the desk channel).
func (s *Server) SlashCommandIn(channel, userID, userName, command, text string) (Response, error) {
	s.mu.Lock()
	s.users[userID] = userName
	name := s.opts.ChannelName
	if c, ok := s.channels[channel]; ok {
		name = c.name
	}
	if !s.opts.RawCommandText {
		text = s.typedLocked(text, true)
	}
	n := s.nextLocked()
	fields := map[string]string{
		"token": s.opts.VerificationToken, "team_id": s.opts.TeamID, "team_domain": "caredesk-sim",
		"channel_id": channel, "channel_name": name,
		"user_id": userID, "user_name": userName, "command": command, "text": text,
		"api_app_id": s.opts.AppID, "is_enterprise_install": "false",
		"response_url": fmt.Sprintf("%s/response/commands/%d", s.URL(), n),
		"trigger_id":   fmt.Sprintf("%d.%d.%032x", 1700000000+n, n, n),
	}
	s.mu.Unlock()

	form := url.Values{}
	for k, v := range fields {
		form.Set(k, v)
	}
	payload, _ := json.Marshal(fields)
	return s.request("slash_command", "slash_commands", form, payload, true)
}

// ClickButton is a person clicking the button actionID (with value, when
// not "") under message messageTS. The button must be on the message, as
// it must be on screen to be clicked.
func (s *Server) ClickButton(userID, userName, messageTS, actionID, value string) error {
	s.mu.Lock()
	s.users[userID] = userName
	m := s.messageLocked(messageTS)
	if m == nil {
		s.mu.Unlock()
		return fmt.Errorf("slacksim: no message %s", messageTS)
	}
	var button *Button
	for _, b := range m.Buttons() {
		if b.ActionID == actionID && (value == "" || b.Value == value) {
			button = &b
			break
		}
	}
	if button == nil {
		s.mu.Unlock()
		return fmt.Errorf("slacksim: message %s has no button %s %q", messageTS, actionID, value)
	}
	n := s.nextLocked()
	actionTS := fmt.Sprintf("%d.%06d", time.Now().Unix(), n%1_000_000)
	cb := map[string]any{
		"type":  "block_actions",
		"user":  map[string]any{"id": userID, "username": userName, "name": userName, "team_id": s.opts.TeamID},
		"token": s.opts.VerificationToken, "api_app_id": s.opts.AppID, "is_enterprise_install": false,
		"team":         map[string]any{"id": s.opts.TeamID, "domain": "caredesk-sim"},
		"container":    map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false},
		"channel":      map[string]any{"id": m.Channel, "name": s.channels[m.Channel].name},
		"message":      s.messageObjectLocked(*m),
		"state":        map[string]any{"values": map[string]any{}},
		"trigger_id":   fmt.Sprintf("%d.%d.%032x", 1700000000+n, n, n),
		"response_url": fmt.Sprintf("%s/response/actions/%d", s.URL(), n),
		"actions": []map[string]any{{
			"type": "button", "action_id": button.ActionID, "block_id": button.BlockID, "value": button.Value,
			"style": button.Style, "text": map[string]any{"type": "plain_text", "text": button.Text, "emoji": true},
			"action_ts": actionTS,
		}},
	}
	s.mu.Unlock()

	payload, _ := json.Marshal(cb)
	r, err := s.request("interactive", "interactive", url.Values{"payload": {string(payload)}}, payload, false)
	if err == nil && r.Status/100 != 2 {
		err = fmt.Errorf("slacksim: the bot answered the click with HTTP %d", r.Status)
	}
	return err
}

// request hands a slash command or an interaction to the bot once, as a
// signed form in HTTP mode or an envelope in Socket Mode.
func (s *Server) request(kind, envelope string, form url.Values, payload []byte, acceptsResponse bool) (Response, error) {
	d := Delivery{Kind: kind}
	defer func() { s.recordDelivery(d) }()
	if target := s.requestTarget(); target != "" {
		d.Mode = "http"
		status, ctype, body, reason, err := s.post(target, []byte(form.Encode()), "application/x-www-form-urlencoded", nil, time.Now(), true)
		d.Status, d.Reason, d.Acked = status, reason, err == nil && status/100 == 2
		if err != nil {
			return Response{}, fmt.Errorf("slacksim: %s: %s: %w", kind, reason, err)
		}
		return newResponse(status, ctype, body), nil
	}
	d.Mode = "socket"
	a, err := s.sendEnvelope(envelope, payload, acceptsResponse, 0, "")
	if err != nil {
		d.Reason = "timeout"
		return Response{}, fmt.Errorf("slacksim: %s: %w", kind, err)
	}
	d.Acked = true
	return newResponse(200, "application/json", a.Payload), nil
}

// VerifyURL sends the url_verification challenge Slack sends when an app's
// request URL is saved, and returns the bot's answer.
func (s *Server) VerifyURL(challenge string) (Response, error) {
	target := s.requestTarget()
	if target == "" {
		return Response{}, errors.New("slacksim: no request URL; call SetRequestURL")
	}
	body, _ := json.Marshal(map[string]any{"token": s.opts.VerificationToken, "challenge": challenge, "type": "url_verification"})
	status, ctype, resp, reason, err := s.post(target, body, "application/json", nil, time.Now(), true)
	s.recordDelivery(Delivery{Kind: "url_verification", Mode: "http", Status: status, Acked: err == nil && status/100 == 2, Reason: reason})
	if err != nil {
		return Response{}, err
	}
	return newResponse(status, ctype, resp), nil
}
