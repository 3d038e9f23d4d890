package bot

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// listLimit keeps /desk list readable; the oldest tickets come first, and
// they are the ones that matter.
const listLimit = 50

// list answers for the team of the channel it was typed in, or the team
// it names.
func (b *Bot) list(tx Tx, a Action, now time.Time) (string, error) {
	team, err := b.actionTeam(a)
	if err != nil {
		return "", err
	}
	ts, err := b.openOf(tx, team, listLimit+1)
	if err != nil {
		return "", err
	}
	if len(ts) == 0 {
		return fmt.Sprintf("No open tickets%s. Nice.", ofTeam(team)), nil
	}
	// Authors with a large audience first: one angry post there is seen by
	// thousands. Otherwise oldest first, as the store returned them.
	reach := b.policy.HighReach
	slices.SortStableFunc(ts, func(x, y Ticket) int {
		return cmp.Compare(boolInt(y.HighReach(reach)), boolInt(x.HighReach(reach)))
	})
	var s strings.Builder
	fmt.Fprintf(&s, "Open tickets%s, oldest first:\n", ofTeam(team))
	for i, t := range ts {
		if i == listLimit {
			s.WriteString("…and more; answer the oldest first.\n")
			break
		}
		owner := "unclaimed"
		if t.State == Claimed {
			owner = Mention(t.Owner)
		}
		badge := ""
		if t.HighReach(reach) {
			badge = fmt.Sprintf(" 📣 high reach (%d followers)", t.Customer.Followers)
		}
		fmt.Fprintf(&s, "• #%d %s, %s%s: %s, %s\n", t.ID, NetworkOf(t), t.Customer.displayName(), badge, owner, due(t, now))
	}
	return strings.TrimRight(s.String(), "\n"), nil
}

func (b *Bot) show(tx Tx, t Ticket, now time.Time) (string, error) {
	ms, err := tx.Messages(t.ID, 10)
	if err != nil {
		return "", err
	}
	files, err := tx.Attachments(t.ID)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	fmt.Fprintf(&s, "#%d · %s · %s · %s", t.ID, NetworkOf(t), t.Customer.displayName(), t.State)
	if t.Owner.ID != "" {
		fmt.Fprintf(&s, " · owner %s", Mention(t.Owner))
	}
	fmt.Fprintf(&s, " · %s\n", due(t, now))
	for _, m := range ms {
		who := m.AuthorName
		switch m.Kind {
		case FromCustomer:
			who = "customer"
		case Notice:
			who = "caredesk"
		case Reply, Note:
			who = Mention(Agent{ID: m.Author}) + " (" + string(m.Kind) + ")"
		}
		status := ""
		if m.Kind == Reply {
			status = " [" + string(m.Status) + "]"
		}
		text := oneLine(m.Text, 200)
		if m.Kind == FromCustomer {
			text = Quote(text)
		}
		fmt.Fprintf(&s, "%s %s%s: %s%s\n", m.At.Format("Jan 2 15:04"), who, status, text, history(m, files))
	}
	return strings.TrimRight(s.String(), "\n"), nil
}

// history is what /desk show adds to a message: its files, its first
// wording when it was edited, and whether its author deleted it.
func history(m Message, files []Attachment) string {
	var s strings.Builder
	for _, f := range files {
		if f.MessageID != m.ID {
			continue
		}
		fmt.Fprintf(&s, " 📎 %s", Quote(f.Label()))
		if f.State == FileRefused {
			s.WriteString(" (not shown or sent)")
		}
	}
	if !m.EditedAt.IsZero() {
		fmt.Fprintf(&s, " (edited %s; first written: %s)", m.EditedAt.Format("Jan 2 15:04"), Quote(oneLine(m.Original, 200)))
	}
	if !m.DeletedAt.IsZero() {
		fmt.Fprintf(&s, " (deleted on the desk %s)", m.DeletedAt.Format("Jan 2 15:04"))
	}
	return s.String()
}

// due says where a ticket stands against its first-response target.
func due(t Ticket, now time.Time) string {
	switch {
	case t.State == Resolved:
		return "resolved"
	case !t.FirstReplyAt.IsZero():
		return "answered in " + span(t.FirstReplyAt.Sub(t.OpenedAt))
	case now.After(t.Deadline):
		return "first answer overdue by " + span(now.Sub(t.Deadline))
	}
	return fmt.Sprintf("answer due %s (in %s)", At(t.Deadline, "t"), span(t.Deadline.Sub(now)))
}

// span is a duration as people say it: "41 min", "2 h 5 min", "3 days".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return days(d)
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
