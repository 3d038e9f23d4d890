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
	// PostKey is the post's identity across sources (its canonical public
	// address), so that the same post heard by two listeners (a feed and
	// a mention, two searches) opens one ticket. "" for a message that is
	// only ever heard once.
	PostKey     string
	Language    string   // e.g. "en", when the network said
	Attachments []string // addresses of pictures or files the customer attached, shown as links
	// Files are what the customer sent as files (a Telegram photo, a
	// Discord attachment): From and Origin say where their bytes are, which
	// the courier fetches and shows in the ticket's thread.
	Files []Attachment
	// Edit says the customer changed their message MessageID to Text: it
	// changes what the thread shows, and the first wording is kept.
	Edit bool
	// Hello marks a conversation opener such as Telegram's /start: the
	// customer is greeted and no ticket is opened.
	Hello bool
	// Private says the conversation is the customer's alone with the brand
	// (a Telegram private chat, a Discord DM, a bridge that says so), where
	// caredesk acknowledges a new complaint; public posts are not.
	Private bool
	// TimeZone is the customer's IANA zone, when the network said; the
	// acknowledgement's deadline is written in it.
	TimeZone string
	// Contact is a phone number the customer shared, after /desk call;
	// Text is then empty.
	Contact *Contact
}

// Contact is a phone number shared on a network (Telegram's contact).
type Contact struct {
	Phone     string
	FirstName string
	LastName  string
	// UserID is whose number it is on the network, when the network says:
	// a customer may share someone else's card, which is not their own
	// consent to be called. "" when the network does not say.
	UserID string
}

// Reachability is a network telling that a customer stopped or started
// taking messages from the brand (Telegram's my_chat_member: they blocked
// the bot, or started it again).
type Reachability struct {
	Source       string
	Conversation string
	CustomerID   string
	Blocked      bool
	EventID      string // de-duplicates redeliveries
}
