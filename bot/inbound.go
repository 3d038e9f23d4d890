package bot

import "time"

// Inbound is one message from a customer, as a source adapter hands it to
// the core. The core stores it before the adapter acknowledges it to its
// network.
type Inbound struct {
	Source       string // the source's name, e.g. "telegram"
	EventID      string // the network's id of the delivery (Telegram update_id); de-duplicates redeliveries
	MessageID    string // the network's id of the message; de-duplicates the same message delivered twice
	Conversation string // where the answer goes (Telegram chat id)
	Customer     Customer
	Text         string
	At           time.Time // when the customer wrote it; zero means now
	Network      string    // display name of the source, like "X (Twitter)"; optional
	PostURL      string    // the public address of the post, when it has one
	Language     string    // e.g. "en", when the network said
	Attachments  []string  // URLs of pictures or files the customer attached
	// Hello marks a conversation opener such as Telegram's /start: the
	// customer is greeted and no ticket is opened.
	Hello bool
}
