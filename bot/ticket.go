package bot

import (
	"fmt"
	"regexp"
	"time"
)

// State is where a ticket is in its life: open → claimed → resolved, and back
// to open or claimed when the customer writes again within the reopen window.
type State string

// The states of a ticket.
const (
	Open     State = "open"
	Claimed  State = "claimed"
	Resolved State = "resolved"
)

// Customer is the person who wrote to the brand, as their network knows them.
type Customer struct {
	ID     string // the customer's id on the source network
	Name   string // display name, e.g. "Jane Doe"
	Handle string // username without "@", may be empty
	// ProfileURL and Followers are what a network tells about the author's
	// reach; a complaint from someone with a large audience is urgent.
	ProfileURL string
	Followers  int
}

// Agent is a member of the support team, as the desk knows them.
type Agent struct {
	ID   string // the desk's user id (Slack "U…", Discord snowflake)
	Name string // may be empty: the desk renders Mention(a) as the name
}

// Mention is how caredesk names an agent in text it writes to the desk.
// Slack and Discord both render "<@ID>" as the person's name (and notify
// them when it appears in a channel message), so the core can write
// sentences that both desks show well.
func Mention(a Agent) string {
	if a.ID == "" {
		return "nobody"
	}
	return "<@" + a.ID + ">"
}

// mentionPattern matches how Slack (<@U123|alice>, <@U123>) and Discord
// (<@123>, <@!123>) write a user in text an agent typed.
var mentionPattern = regexp.MustCompile(`^<@!?([A-Za-z0-9]+)(?:\|([^>]*))?>$`)

// ParseMention reads word as a desk's mention of a user, the way either
// desk writes it; ok is false for any other word.
func ParseMention(word string) (a Agent, ok bool) {
	m := mentionPattern.FindStringSubmatch(word)
	if m == nil {
		return Agent{}, false
	}
	return Agent{ID: m[1], Name: m[2]}, true
}

// Here is how caredesk pings everyone in the desk channel: both desks
// render "<!here>" as their own channel-wide mention.
const Here = "<!here>"

// ThreadLink is how caredesk links a ticket's thread in text it writes to
// the desk: "<thread:CHANNEL/THREAD>", CHANNEL "" for the desk's own. The
// Slack desk shows it as a link to the thread, the Discord desk as the
// thread's channel mention (a Discord thread is a channel).
func ThreadLink(channel, thread string) string { return "<thread:" + channel + "/" + thread + ">" }

// At is how caredesk writes a time for the desk: Discord's "<t:UNIX:style>"
// token, which Discord shows in each reader's own zone and the Slack desk
// turns into Slack's date formatting. style is t (time), d (date), f (both)
// or R (relative: "in 40 minutes").
func At(t time.Time, style string) string {
	return fmt.Sprintf("<t:%d:%s>", t.Unix(), style)
}

// Ticket is one customer conversation on one source, shown on the desk as
// one thread and numbered #ID for people.
type Ticket struct {
	ID           int64
	Source       string // the source's name: "telegram", "discord", "webhook:twitter"
	Network      string // how people call the source ("X (Twitter)"); "" means derived from Source
	PostURL      string // the original post on the network, when it has a public address
	Language     string // the language the customer wrote in, when the network said
	Conversation string // where replies go on the source (a Telegram chat id)
	Customer     Customer
	Text         string // the first message, shown on the root of the thread
	State        State
	Owner        Agent // zero while open and unclaimed
	Handovers    int   // transfers from one owner to another; at most one
	Reopens      int
	DeskThread   string // the desk's id of the root message; "" until posted
	LastInbound  string // source id of the customer's latest message, to reply to
	OpenedAt     time.Time
	Deadline     time.Time // first-response target
	FirstReplyAt time.Time // zero until a reply reached the customer
	FirstReplyBy Agent     // who wrote that first reply; reports credit them
	ResolvedAt   time.Time // zero unless resolved
	UpdatedAt    time.Time
	// The customer's satisfaction: asked once after the ticket was
	// resolved (RatingAskedAt), answered 1–5 (Rating, 0 until then).
	RatingAskedAt time.Time
	Rating        int
	RatedAt       time.Time
	// The customer's side: a private conversation (Telegram chat, Discord
	// DM) is acknowledged; TimeZone is theirs when the network said; Phone
	// is the number they shared for a call; Blocked says they blocked the
	// brand's bot, so replies cannot reach them.
	Private  bool
	TimeZone string
	Phone    string
	Blocked  bool
	// Team owns the ticket ("" on a desk without teams); Routed says which
	// rule sent it there; Channel is the desk channel its thread is in
	// ("" for the desk's own); Moves counts its moves between teams.
	Team    string
	Routed  string
	Channel string
	Moves   int
	// Left marks a ticket as the courier renders it in a thread it has
	// left for another team's channel: its old root shows where it went,
	// without buttons. Never stored.
	Left bool
}

// Overdue reports whether the first-response deadline passed without a reply
// reaching the customer.
func (t Ticket) Overdue(now time.Time) bool {
	return t.FirstReplyAt.IsZero() && t.State != Resolved && now.After(t.Deadline)
}

// HighReach reports whether the customer's audience is at least threshold
// followers (a threshold of 0 means no ticket is).
func (t Ticket) HighReach(threshold int) bool {
	return threshold > 0 && t.Customer.Followers >= threshold
}

// Kind is what a message on a ticket is.
type Kind string

// The kinds of message on a ticket.
const (
	FromCustomer Kind = "customer" // the customer wrote it on the source
	Reply        Kind = "reply"    // the owner wrote it to the customer
	Note         Kind = "note"     // a team member wrote it for the team only
	Notice       Kind = "notice"   // caredesk wrote it into the thread
)

// Status is how far a reply got on its way to the customer.
type Status string

// The statuses of a reply. Other kinds of message have no status.
const (
	Pending   Status = "pending"
	Delivered Status = "delivered"
	Failed    Status = "failed"
)

// Message is one message on a ticket.
type Message struct {
	ID         int64
	TicketID   int64
	Kind       Kind
	Author     string // customer id or agent id; "" for notices
	AuthorName string
	Text       string
	SourceRef  string // the message's id on the source network, once known
	DeskRef    string // the message's id on the desk, once shown there
	Status     Status // replies only
	Reason     string // why a reply failed
	At         time.Time
	// Original is the first wording of a message its author changed
	// (EditedAt), kept for the ticket's history; "" when never edited.
	Original  string
	EditedAt  time.Time
	DeletedAt time.Time // when its author deleted it on the desk (replies)
}

// Event is one change of a ticket's owner or state: claimed, transferred,
// resolved, reopened. Managers' reports are built from events.
type Event struct {
	TicketID int64
	Kind     string // "opened", "claimed", "transferred", "resolved", "reopened", "replied", "breached", "rated", "edited"
	Actor    string // agent id; "" when the customer or caredesk caused it
	Detail   string
	At       time.Time
}
