package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
)

// Button is one button under a ticket's root message.
type Button struct {
	Verb  bot.Verb // what pressing it does
	Label string
	Style string // "primary", "danger" or "" (the desks' own words)
	Value string // the ticket number, carried back when pressed
}

// View is what a ticket's root message shows, before a desk renders it in
// its own blocks or components. Customer and Text are customer data: the
// desk escapes them. Times are for the desk to show in each reader's zone.
type View struct {
	Number  int64
	Network string // "Telegram"
	PostURL string // link to the original post; "" when the network has none
	// ProfileURL is the author's page on the network; "" when unknown.
	ProfileURL string
	// Followers is the author's audience; HighReach marks it as large
	// enough that the complaint is urgent whatever its wording.
	Followers int
	HighReach bool
	Customer  string // "Jane Doe (@jane)"
	Text      string
	Status    string // a sentence, may contain bot.Mention
	Opened    time.Time
	Deadline  time.Time // first-response target; zero once answered or resolved
	Overdue   bool
	Answered  time.Time // first reply reached the customer; zero if not yet
	Buttons   []Button
}

// FollowerCount is the author's audience as people write it: 48,200.
func (v View) FollowerCount() string { return Thousands(v.Followers) }

// Thousands writes a count as people write it on the desk: 48,200.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Title is the first line of the root: "#12 · Telegram".
func (v View) Title() string {
	return "#" + strconv.FormatInt(v.Number, 10) + " · " + v.Network
}

// NewView returns what ticket t's root shows at now.
func NewView(t bot.Ticket, now time.Time) View {
	return NewViewWith(t, now, 0)
}

// NewViewWith is NewView for a desk that marks authors with at least
// highReach followers (0: never).
func NewViewWith(t bot.Ticket, now time.Time, highReach int) View {
	v := View{
		Number:     t.ID,
		Network:    bot.NetworkOf(t),
		PostURL:    t.PostURL,
		ProfileURL: t.Customer.ProfileURL,
		Followers:  t.Customer.Followers,
		Customer:   CustomerName(t.Customer),
		Text:       t.Text,
		Opened:     t.OpenedAt,
		Answered:   t.FirstReplyAt,
	}
	v.HighReach = t.HighReach(highReach)
	if t.FirstReplyAt.IsZero() && t.State != bot.Resolved {
		v.Deadline = t.Deadline
		v.Overdue = t.Overdue(now)
	}
	value := strconv.FormatInt(t.ID, 10)
	claim := Button{Verb: bot.DoClaim, Label: "Claim", Style: "primary", Value: value}
	resolve := Button{Verb: bot.DoResolve, Label: "Resolve", Value: value}
	switch t.State {
	case bot.Open:
		v.Status = "Open: nobody has claimed it yet."
		v.Buttons = []Button{claim, resolve}
	case bot.Claimed:
		v.Status = "Claimed by " + bot.Mention(t.Owner) + "."
		v.Buttons = []Button{resolve}
	case bot.Resolved:
		v.Status = "Resolved by " + bot.Mention(t.Owner) + "."
		if t.Owner.ID == "" {
			v.Status = "Resolved."
		}
	}
	if t.Reopens > 0 && t.State != bot.Resolved {
		v.Status += " Reopened: the customer wrote again."
	}
	if t.Phone != "" {
		v.Status += " 📞 Shared a number: " + bot.Quote(t.Phone) + "."
	}
	if t.Blocked {
		v.Status += " 🚫 The customer blocked the bot: replies cannot reach them."
	}
	switch {
	case t.Rating > 0:
		v.Status += " Customer's rating: " + Stars(t.Rating) + " " + strconv.Itoa(t.Rating) + "/5."
	case !t.RatingAskedAt.IsZero() && t.State == bot.Resolved:
		v.Status += " Asked how it went; no answer yet."
	}
	switch {
	case !t.Answerable():
		v.Status += fmt.Sprintf(" 📰 From a feed: caredesk cannot answer it. Answer on the original post, then /desk resolve %d elsewhere <link>.", t.ID)
	case t.PublicReplies():
		v.Status += " 🌐 Replies are public: they appear under the customer's post on " + v.Network + "."
	}
	if t.Team != "" {
		// Which rule sent it here, so a wrong rule is seen and mended.
		team := "Team " + t.Team
		if t.Routed != "" {
			team += ": " + t.Routed
		}
		v.Status = team + ". " + v.Status
	}
	if t.Left {
		// A root the ticket has left: nothing to press here any more.
		v.Status = "➡️ Moved to team " + t.Team + ": it goes on in its thread there."
		v.Buttons, v.Deadline, v.Overdue = nil, time.Time{}, false
	}
	return v
}

// Stars draws a 1–5 score as five stars: ★★★★☆.
func Stars(score int) string {
	score = min(max(score, 0), 5)
	return strings.Repeat("★", score) + strings.Repeat("☆", 5-score)
}

// CustomerName is "Jane Doe (@jane)", or whichever part the network gave.
func CustomerName(c bot.Customer) string {
	switch {
	case c.Name != "" && c.Handle != "":
		return c.Name + " (@" + c.Handle + ")"
	case c.Handle != "":
		return "@" + c.Handle
	case c.Name != "":
		return c.Name
	}
	return "customer " + c.ID
}
