package telegramsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// firstUpdateID is where update ids start. Not 0 or 1, so that a client that
// confirms with the wrong offset shows it.
const firstUpdateID = 100001

// updateQueue holds the updates not yet confirmed, oldest first.
type updateQueue struct {
	nextID  int
	pending []queued
	offset  int // the highest offset confirmed: every update_id below it is gone
}

// queued is one update as it goes on the wire.
type queued struct {
	id  int
	raw json.RawMessage
}

// pollState tracks getUpdates calls: Telegram serves one poller per bot and
// ends an older long poll with 409 when a newer one arrives.
type pollState struct {
	gen     int // bumped by every getUpdates
	waiting int // long polls in progress
}

// CustomerWrites queues the update Telegram sends when a customer writes
// text to the bot in a private chat, and returns its update_id. A from.ID of
// 0 means the chat's id, as in private chats. Text starting with "/" carries
// a bot_command entity, like a real command.
func (s *Server) CustomerWrites(chatID int64, from User, text string) (updateID int) {
	if from.ID == 0 {
		from.ID = chatID
	}
	msg := textFields(text)
	msg["from"], msg["chat"] = from, privateChat(chatID, from)
	return s.Push(map[string]any{"message": msg})
}

// Push queues any update, such as an edited message, a photo with a
// caption, a callback query or a message from another bot, and returns the
// update_id it was given (any update_id in update is replaced: ids rise in
// the order updates are pushed). In "message" and "channel_post", a missing
// message_id is the chat's next one and a missing date is now. Chats that
// appear in messages become known, so the bot can write to them. An update
// of a kind the bot left out of its allowed_updates is not queued, as
// Telegram makes none, though it uses up its id (see AllowedUpdates). Push
// panics if update cannot be encoded as JSON: that is a bug in the caller.
func (s *Server) Push(update map[string]any) (updateID int) {
	u := normalize(update)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushLocked(u)
}

// pushLocked queues u, which normalize made, and returns its update_id.
// s.mu must be held.
func (s *Server) pushLocked(u map[string]any) (updateID int) {
	id := s.updates.nextID
	s.updates.nextID++
	u["update_id"] = id
	for _, key := range []string{"message", "edited_message", "channel_post", "edited_channel_post"} {
		if msg, isMap := u[key].(map[string]any); isMap {
			s.learnChatLocked(msg, key == "message" || key == "channel_post")
		}
	}
	if !s.wantsLocked(u) {
		return id // Telegram does not make updates the bot did not ask for
	}
	raw, err := json.Marshal(u)
	if err != nil {
		panic(fmt.Sprintf("telegramsim: Push: %v", err))
	}
	s.updates.pending = append(s.updates.pending, queued{id: id, raw: raw})
	s.notifyLocked()
	return id
}

// normalize turns update, which may hold structs such as User, into plain
// JSON values that Push can inspect and complete.
func normalize(update map[string]any) map[string]any {
	raw, err := json.Marshal(update)
	if err != nil {
		panic(fmt.Sprintf("telegramsim: Push: %v", err))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	u := map[string]any{}
	if err := dec.Decode(&u); err != nil {
		panic(fmt.Sprintf("telegramsim: Push: %v", err))
	}
	return u
}

// learnChatLocked remembers the chat of msg and keeps its message counter
// ahead of every id seen; a new message without an id gets the next one,
// and a missing date is now. New messages are remembered too, for
// CustomerEdits and deleteMessage.
func (s *Server) learnChatLocked(msg map[string]any, isNew bool) {
	chatObj, _ := msg["chat"].(map[string]any)
	chatID, err := number(chatObj["id"])
	if err != nil {
		return
	}
	c := s.chats[chatID]
	if c == nil {
		c = &chat{}
		s.chats[chatID] = c
	}
	c.object = chatObj
	if id, err := number(msg["message_id"]); err == nil {
		c.lastMsg = max(c.lastMsg, int(id))
	} else if isNew {
		c.lastMsg++
		msg["message_id"] = c.lastMsg
	}
	if _, has := msg["date"]; !has {
		msg["date"] = s.nowLocked().Unix()
	}
	if isNew {
		c.rememberLocked(msg)
	}
}

// number reads an integer from a decoded JSON value.
func number(v any) (int64, error) {
	switch n := v.(type) {
	case json.Number:
		return n.Int64()
	case float64:
		return int64(n), nil
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	}
	return 0, fmt.Errorf("not a number: %v", v)
}

// LastMessageID returns the newest message id in the chat, the customer's
// or the bot's, or 0 for a chat the simulator has not seen. Tests use it to
// know which message a reply should answer.
func (s *Server) LastMessageID(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return c.lastMsg
	}
	return 0
}

// Offset returns the highest offset confirmed so far: every update whose
// update_id is below it was acknowledged (by getUpdates or a webhook's 2xx)
// and will never be delivered again.
func (s *Server) Offset() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updates.offset
}

// Pending returns how many updates are waiting to be confirmed: what a
// getUpdates without an offset would return.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates.pending)
}

// Polling returns how many getUpdates calls are waiting for updates right
// now, so a test can tell that a long poll has begun.
func (s *Server) Polling() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls.waiting
}

// confirmLocked forgets every update below offset.
func (s *Server) confirmLocked(offset int) {
	if offset <= s.updates.offset {
		return
	}
	s.updates.offset = offset
	keep := s.updates.pending[:0]
	for _, q := range s.updates.pending {
		if q.id >= offset {
			keep = append(keep, q)
		}
	}
	s.updates.pending = keep
	s.notifyLocked()
}

// getUpdates serves updates with Telegram's offset semantics and long
// polling: it answers as soon as there is something to return, when
// timeout seconds pass, or gives way with 409 Conflict to a newer poller or
// a webhook.
func (s *Server) getUpdates(r *http.Request, p map[string]string) answer {
	offset, _ := strconv.Atoi(p["offset"])
	limit, err := strconv.Atoi(p["limit"])
	if err != nil || limit < 1 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	timer := time.NewTimer(time.Duration(max(timeout, 0)) * time.Second)
	defer timer.Stop()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hook.url != "" {
		return fail(http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
	}
	if err := s.allowLocked(p); err != nil {
		return fail(http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	s.polls.gen++
	gen, hookGen := s.polls.gen, s.hook.gen
	s.notifyLocked() // an older long poll must give way
	if offset < 0 {
		// Negative: the last -offset updates; everything before is forgotten.
		if n := len(s.updates.pending) + offset; n > 0 {
			s.confirmLocked(s.updates.pending[n].id)
		}
		offset = 0
	} else {
		s.confirmLocked(offset)
	}
	s.polls.waiting++
	s.notifyLocked()
	defer func() {
		s.polls.waiting--
		s.notifyLocked()
	}()
	expired := timeout <= 0
	for {
		batch := make([]json.RawMessage, 0, limit)
		for _, q := range s.updates.pending {
			if q.id >= offset && len(batch) < limit {
				batch = append(batch, q.raw)
			}
		}
		if len(batch) > 0 || expired {
			return ok(batch)
		}
		ch := s.changed.Changed()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			expired = true
		case <-r.Context().Done():
		case <-s.stop:
		}
		s.mu.Lock()
		switch {
		case r.Context().Err() != nil || s.closed:
			return fail(http.StatusInternalServerError, "Internal Server Error: the poller went away")
		case s.revoked:
			return fail(http.StatusUnauthorized, "Unauthorized")
		case s.polls.gen != gen:
			return fail(http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
		case s.hook.gen != hookGen && s.hook.url != "":
			return fail(http.StatusConflict, "Conflict: terminated by setWebhook request")
		}
	}
}
