package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Job is what a delivery does when it leaves the process.
type Job string

// The jobs of the outbox. Desk jobs render the ticket as it is when they are
// delivered, not as it was when they were queued, so a late update never
// shows stale facts.
const (
	PostTicket    Job = "post_ticket"    // the ticket's root message on the desk
	UpdateTicket  Job = "update_ticket"  // re-render the root after a change
	PostMessage   Job = "post_message"   // a message into the ticket's thread
	Whisper       Job = "whisper"        // an ephemeral message to one agent
	MarkDelivered Job = "mark_delivered" // a sign on the agent's message that the customer got it
	SendReply     Job = "send_reply"     // the owner's reply to the customer
	SendGreeting  Job = "send_greeting"  // the answer to a conversation opener (/start)
	Announce      Job = "announce"       // a message of its own in the desk channel (hand-overs)
	DirectMessage Job = "direct_message" // a private message to one agent (on-call pings)
	SendNotice    Job = "send_notice"    // caredesk's own words to a ticket's customer: Text names the Phrase, Agent who {agent} is
	MovePrivate   Job = "move_private"   // take the ticket's public conversation private (Agent asked)
	AskRating     Job = "ask_rating"     // the satisfaction question to the customer of a resolved ticket
	SendReport    Job = "send_report"    // figures and charts, rendered when delivered (Reporter), to one agent or the channel
	FetchFiles    Job = "fetch_files"    // download the files a customer sent with a message, then make their PostFiles due
	PostFiles     Job = "post_files"     // show the files a customer sent with a message in the thread, once downloaded
	EditMessage   Job = "edit_message"   // re-render a thread message its author changed
	EditReply     Job = "edit_reply"     // change the customer's copy of a delivered reply the owner edited
	DeleteReply   Job = "delete_reply"   // take back from the customer a delivered reply the owner deleted
	PostDigest    Job = "post_digest"    // list storm complaints in digest posts, and edit those whose lines changed
)

// Delivery is one item of the durable outbox. Deliveries to one Destination
// leave one at a time; those of one ticket (a lane) in the order they were
// queued, while a ticket whose delivery keeps failing does not hold back
// the other tickets of its destination. Different destinations do not wait
// for each other.
type Delivery struct {
	ID          int64
	Destination string // the queue: "desk", "desk:aside", "telegram:12345"
	Job         Job
	TicketID    int64  // 0 for greetings
	MessageID   int64  // for PostMessage, SendReply, MarkDelivered
	Agent       string // for Whisper: who sees it
	Source      string // for SendGreeting: the source's name
	// Conversation is where it goes: for SendGreeting the customer's
	// conversation; for Announce and SendReport the desk channel ("" for
	// the desk's own); for a desk job of a moved ticket's former thread,
	// "CHANNEL THREAD" (see Former).
	Conversation string
	Text         string // for Whisper and SendGreeting
	Attempts     int
	NextAt       time.Time // not before
	CreatedAt    time.Time
	LastError    string
}

// Key is the delivery's idempotency key: the same on every attempt, so a
// network that honours keys (a webhook bridge) can drop a repeat.
func (d Delivery) Key() string { return fmt.Sprintf("caredesk-%d", d.ID) }

// Outgoing is a message for a customer, as a Source sends it.
type Outgoing struct {
	Ticket       Ticket // zero for greetings
	Conversation string // where it goes on the source
	ReplyTo      string // the source id of the customer's message it answers; may be empty
	Text         string
	MessageID    int64  // the reply's id, for networks that report on it later (ReplyReport); 0 for greetings
	AgentName    string // who wrote it, for networks that show it
	Key          string // idempotency key, the same on every attempt
	// Purpose is what the message is for beyond its words; a source that
	// cannot show what a purpose asks for sends Text alone.
	Purpose Purpose
	// Files go with Text (an owner's reply with a PDF); each fits the
	// source's limits (FileTaker). Text may then be empty.
	Files []Upload
}

// Purpose is what a message to a customer is for, beyond its words.
type Purpose string

// The purposes of messages to customers.
const (
	// ForReply is an agent's answer (MessageID is the reply's id).
	ForReply Purpose = ""
	// ForRating asks "how did it go?" about Ticket: the source shows Text
	// with five choices, 1 (bad) to 5 (great), whose answer comes back as
	// a Rating (see RatingData).
	ForRating Purpose = "rating"
	// ForCall asks for a phone number to call the customer on: a source
	// that can shows a button that shares it (Telegram's request_contact),
	// and the number comes back as an Inbound with a Contact.
	ForCall Purpose = "call"
	// ForPrivate asks the customer to go on in private: a bridge posts it
	// the network's way (a DM invitation).
	ForPrivate Purpose = "private"
	// ForNotice is caredesk's own words: a greeting, an acknowledgement, a
	// follow-up; no agent wrote it and nothing reports on it.
	ForNotice Purpose = "notice"
)

// Source is a network customers write on, as the delivery workers see it:
// something that can send a message to a customer.
type Source interface {
	// Send delivers m and returns the network's id of the sent message.
	Send(ctx context.Context, m Outgoing) (ref string, err error)
}

// Desk is the team's chat where tickets are worked, as the delivery workers
// see it. Every method is called with the ticket as it is now.
type Desk interface {
	// PostTicket shows a new ticket as a root message and returns the root's
	// id, which is the ticket's thread from then on.
	PostTicket(ctx context.Context, t Ticket) (thread string, err error)
	// UpdateTicket re-renders the root of a ticket already posted.
	UpdateTicket(ctx context.Context, t Ticket) error
	// PostMessage writes m into the ticket's thread and returns its id. Text
	// of FromCustomer messages is customer data and must be escaped.
	PostMessage(ctx context.Context, t Ticket, m Message) (ref string, err error)
	// Whisper shows text to one agent only, in the ticket's thread when t
	// has one.
	Whisper(ctx context.Context, t Ticket, agentID, text string) error
	// MarkDelivered puts a sign on the agent's message m (its DeskRef) that
	// it reached the customer.
	MarkDelivered(ctx context.Context, t Ticket, m Message) error
	// Announce posts text as a message of its own in the desk channel
	// channel, "" for the desk's own.
	Announce(ctx context.Context, channel, text string) error
	// DirectMessage writes text to one agent privately, so it reaches them
	// off shift, on their phone.
	DirectMessage(ctx context.Context, agentID, text string) error
}

// Digester is a desk that can list many tickets in one post, for storm
// mode (see StormPolicy). A desk that cannot has no storm mode.
type Digester interface {
	// DigestSize is how many tickets one digest post lists at most, within
	// the desk's limits on a message.
	DigestSize() int
	// PostDigest posts g as a message of its own in its channel and
	// returns its id.
	PostDigest(ctx context.Context, g Digest) (ref string, err error)
	// UpdateDigest edits the post of g (g.Ref) to show g as it is now.
	UpdateDigest(ctx context.Context, g Digest) error
	// FindDigest looks for a post of g made by an attempt whose answer was
	// lost, and returns its id, or "" when there is none.
	FindDigest(ctx context.Context, g Digest) (ref string, err error)
}

// File is a document caredesk gives to the team: a chart or an export.
type File struct {
	Name  string // file name with its extension, "first-answer.png"
	Title string // shown with the file
	Alt   string // what a picture shows, for people who cannot see it
	Data  []byte
}

// Uploader is a Desk that can share files. The courier falls back to
// words (Announce, DirectMessage) when the desk is not one, or when an
// upload fails for good (the app lacks the scope).
type Uploader interface {
	// Upload posts text with files privately to agentID, or in the desk
	// channel when agentID is "".
	Upload(ctx context.Context, agentID, text string, files []File) error
}

// Rendered is a report made ready for the desk.
type Rendered struct {
	Text     string // the figures, always shown
	Files    []File // charts and exports
	Fallback string // what stands in for Files when they cannot be uploaded
}

// Reporter renders a report at delivery time from what a SendReport
// delivery asked for, so that the outbox keeps a small request, not
// pictures, and a retry shows the figures as they are then. An *Error is a
// request that cannot be met, not a failure to retry.
type Reporter interface {
	Render(ctx context.Context, req ReportRequest) (Rendered, error)
}

// PrivateOpener is a Source on which a public conversation can go on in
// private: Discord opens a DM with the author of a community post.
type PrivateOpener interface {
	// OpenPrivate returns the private conversation with t's customer,
	// opening it if needed; replies to it go there from then on.
	OpenPrivate(ctx context.Context, t Ticket) (conversation string, err error)
}

// Profiles is a Desk that knows its people's names, for the signature on
// their replies ("— Ayşe") and for telling a customer who continues.
type Profiles interface {
	// FirstName returns the agent's first name as their desk profile has
	// it (Slack's first name, else their display name's first word;
	// Discord's server nickname or global name), or "" when unknown.
	FirstName(ctx context.Context, agentID string) (string, error)
}

// RootFinder is a Desk that can look up whether a ticket's root is
// already posted. The courier asks it before posting a root again after an
// attempt whose outcome is unknown (the answer was lost, or the process died
// before recording it), so one complaint never gets two threads.
type RootFinder interface {
	// FindTicket returns the thread of t's root if the desk has one, or "".
	FindTicket(ctx context.Context, t Ticket) (thread string, err error)
}

// MessageFinder is a Desk that can look up whether a message is already in
// its ticket's thread, so that a thread post whose outcome is unknown (an
// escalation's ping, a customer's message) is not posted twice.
type MessageFinder interface {
	// FindMessage returns the desk's id of m in t's thread, or "".
	FindMessage(ctx context.Context, t Ticket, m Message) (ref string, err error)
}

// Namer is a Desk that can write its people's mentions as names. A reply
// an agent wrote on the desk may mention a colleague ("<@U024BE7LH> will
// call you"); the customer should read "@alice", not the desk's markup.
type Namer interface {
	// Names returns text with every mention of a desk user as "@name".
	Names(ctx context.Context, text string) string
}

// DeliveryError says how a failed delivery should be retried. Adapters wrap
// their errors with Permanent or RetryAfter; any other error is temporary and
// retried with exponential backoff.
type DeliveryError struct {
	Err        error
	Permanent  bool          // retrying will not help (a 4xx, a blocked bot)
	RetryAfter time.Duration // the network asked to wait this long (429 Retry-After)
}

func (e *DeliveryError) Error() string { return e.Err.Error() }

// Unwrap returns the network's error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Permanent marks err as one that retrying will not mend.
func Permanent(err error) error { return &DeliveryError{Err: err, Permanent: true} }

// RetryAfter marks err as a request to wait d before the next attempt.
func RetryAfter(d time.Duration, err error) error { return &DeliveryError{Err: err, RetryAfter: d} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var e *DeliveryError
	return errors.As(err, &e) && e.Permanent
}

// RetryAfterOf returns the wait a network asked for, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *DeliveryError
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
