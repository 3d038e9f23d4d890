package telegramsim

import (
	"fmt"
	"slices"
)

// Contact is a phone number shared in a chat, as Telegram's contact.
type Contact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name,omitempty"`
	UserID      int64  `json:"user_id,omitempty"` // whose number, when they are on Telegram; 0 otherwise
}

// ShareContact is from the customer pressing the reply keyboard's
// request_contact button in chatID: it queues the message Telegram sends
// the bot, which carries the customer's own number, and returns its
// update_id. A from.ID of 0 means the chat's id; c.UserID of 0, c's empty
// names, mean from's, as the button shares the presser's own card. The
// button must be on the customer's keyboard (a message of the bot brought
// it and none took it away), and the card must be from's: ShareContact
// panics otherwise, since that is a bug in the test. Someone else's card
// comes through SendContactCard.
func (s *Server) ShareContact(chatID int64, from User, c Contact) (updateID int) {
	if from.ID == 0 {
		from.ID = chatID
	}
	if c.UserID == 0 {
		c.UserID = from.ID
	}
	if c.UserID != from.ID {
		panic(fmt.Sprintf("telegramsim: ShareContact with the card of user %d by user %d: the button shares the presser's own number; use SendContactCard", c.UserID, from.ID))
	}
	if c.FirstName == "" {
		c.FirstName, c.LastName = from.FirstName, from.LastName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.chats[chatID]
	if ch == nil || ch.keyboard == nil || !slices.ContainsFunc(slices.Concat(ch.keyboard.Buttons...), func(b KeyboardButton) bool { return b.RequestContact }) {
		panic(fmt.Sprintf("telegramsim: ShareContact in chat %d, whose keyboard has no request_contact button", chatID))
	}
	return s.customerMessageLocked(chatID, from, map[string]any{"contact": c})
}

// SendContactCard is from the customer sending a contact card from the
// attachment menu: anyone's number, their own or someone else's, with no
// button needed. c.UserID is whose it is (0: someone not on Telegram). It
// returns the update's id.
func (s *Server) SendContactCard(chatID int64, from User, c Contact) (updateID int) {
	if from.ID == 0 {
		from.ID = chatID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.customerMessageLocked(chatID, from, map[string]any{"contact": c})
}

// BlockBot is from the customer blocking the bot in their private chat
// chatID: it queues the my_chat_member update Telegram sends (the bot's
// status goes from member to kicked) and returns its update_id. From then
// on, until UnblockBot, sendMessage and edits in the chat answer 403
// "Forbidden: bot was blocked by the user". A from.ID of 0 means the
// chat's id. BlockBot panics on a chat that is not private or a bot
// already blocked, as Telegram sends no such update.
func (s *Server) BlockBot(chatID int64, from User) (updateID int) {
	return s.setBlocked(chatID, from, true)
}

// UnblockBot is from the customer unblocking (restarting) the bot: the
// my_chat_member update from kicked back to member. It panics unless
// BlockBot blocked the chat.
func (s *Server) UnblockBot(chatID int64, from User) (updateID int) {
	return s.setBlocked(chatID, from, false)
}

// setBlocked records a block or unblock and queues its update.
func (s *Server) setBlocked(chatID int64, from User, blocked bool) (updateID int) {
	if from.ID == 0 {
		from.ID = chatID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		c = &chat{object: privateChat(chatID, from)}
		s.chats[chatID] = c
	}
	if c.object["type"] != "private" {
		panic(fmt.Sprintf("telegramsim: a customer blocks or unblocks a bot in private chats only; chat %d is a %v", chatID, c.object["type"]))
	}
	if c.blocked == blocked {
		panic(fmt.Sprintf("telegramsim: chat %d: the bot's blocked state is already %t", chatID, blocked))
	}
	c.blocked = blocked
	status := map[bool]string{false: "member", true: "kicked"}
	return s.pushLocked(normalize(map[string]any{"my_chat_member": map[string]any{
		"chat": c.object, "from": from, "date": s.nowLocked().Unix(),
		"old_chat_member": map[string]any{"user": botUser, "status": status[!blocked]},
		"new_chat_member": map[string]any{"user": botUser, "status": status[blocked]},
	}}))
}

// customerMessageLocked queues a message from the customer in chatID
// with fields, in the chat as known or as a new private chat, and returns
// its update_id. s.mu must be held.
func (s *Server) customerMessageLocked(chatID int64, from User, fields map[string]any) (updateID int) {
	chatObj := privateChat(chatID, from)
	if c := s.chats[chatID]; c != nil && c.object != nil {
		chatObj = c.object
	}
	msg := map[string]any{"from": from, "chat": chatObj}
	for k, v := range fields {
		msg[k] = v
	}
	return s.pushLocked(normalize(map[string]any{"message": msg}))
}

// privateChat is the private chat of from with the bot, as updates show it.
func privateChat(chatID int64, from User) map[string]any {
	chatObj := map[string]any{"id": chatID, "type": "private", "first_name": from.FirstName}
	if from.LastName != "" {
		chatObj["last_name"] = from.LastName
	}
	if from.Username != "" {
		chatObj["username"] = from.Username
	}
	return chatObj
}
