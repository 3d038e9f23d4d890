package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"caredesk/bot"
)

// DigestWords is how many characters of a complaint a digest line shows.
const DigestWords = 90

// DigestLine is one complaint of a storm digest, before a desk renders it.
// Customer and Words are customer data: the desk escapes them. Status is
// caredesk's own sentence, which may hold bot.Mention and bot.ThreadLink.
type DigestLine struct {
	Number    int64
	Network   string // "Telegram"
	Customer  string // "Jane Doe (@jane)"
	Followers int
	HighReach bool
	Repeat    bool   // listed first as a customer who complained before
	Words     string // the complaint's first words, on one line
	Status    string // "" while open; "claimed by …", "resolved", the thread
	// Claim is the button that claims it; nil once someone owns it or it
	// is resolved.
	Claim *Button
}

// Badge is the line's reach badge: 📣 and the audience for a high-reach
// author, 🔁 for a repeat complainer, "" for others.
func (l DigestLine) Badge() string {
	var parts []string
	if l.HighReach {
		parts = append(parts, "📣 "+Thousands(l.Followers))
	}
	if l.Repeat {
		parts = append(parts, "🔁 again")
	}
	return strings.Join(parts, " ")
}

// DigestTitle is the first line of a digest post.
func DigestTitle(g bot.Digest) string {
	first, last := int64(0), int64(0)
	for _, e := range g.Entries {
		if first == 0 || e.Ticket.ID < first {
			first = e.Ticket.ID
		}
		last = max(last, e.Ticket.ID)
	}
	title := fmt.Sprintf("🌪️ Storm digest %d", g.Number)
	if len(g.Entries) > 0 {
		title += fmt.Sprintf(" · %d complaints, #%d–#%d · urgent first, then oldest", len(g.Entries), first, last)
	}
	return title
}

// NewDigestLines returns what each line of g shows, highReach as for
// NewViewWith.
func NewDigestLines(g bot.Digest, highReach int) []DigestLine {
	lines := make([]DigestLine, 0, len(g.Entries))
	for _, e := range g.Entries {
		t := e.Ticket
		l := DigestLine{
			Number: t.ID, Network: bot.NetworkOf(t), Customer: CustomerName(t.Customer),
			Followers: t.Customer.Followers, HighReach: t.HighReach(highReach),
			Repeat: e.First && !t.HighReach(highReach),
			Words:  clipWords(t.Text, DigestWords),
		}
		var status []string
		switch {
		case t.State == bot.Resolved && t.Owner.ID == "":
			status = append(status, "✅ resolved")
		case t.State == bot.Resolved:
			status = append(status, "✅ resolved by "+bot.Mention(t.Owner))
		case t.Owner.ID != "":
			status = append(status, "🙋 "+bot.Mention(t.Owner))
		default:
			l.Claim = &Button{Verb: bot.DoClaim, Label: "Claim #" + strconv.FormatInt(t.ID, 10), Style: "primary", Value: strconv.FormatInt(t.ID, 10)}
		}
		if e.Again {
			status = append(status, "💬 wrote again")
		}
		if t.Moves > 0 {
			status = append(status, "➡️ team "+t.Team)
		}
		if t.DeskThread != "" {
			status = append(status, bot.ThreadLink(t.Channel, t.DeskThread))
		}
		l.Status = strings.Join(status, " · ")
		lines = append(lines, l)
	}
	return lines
}

// clipWords is s on one line, at most n characters, cut at a space where
// one is near, with "…" when cut.
func clipWords(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
