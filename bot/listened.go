package bot

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Tickets from the sources caredesk listens to itself (feeds, Mastodon,
// Bluesky) follow two more rules: a feed cannot be answered from the
// desk, and an answer on Mastodon or Bluesky is a public post.

// Answerable reports whether a reply written on the desk can reach the
// customer: a feed's item cannot be answered from caredesk.
func (t Ticket) Answerable() bool { return !strings.HasPrefix(t.Source, "feed:") }

// PublicReplies reports whether a reply is posted in public, under the
// customer's post, for anyone to read: a ticket from a Mastodon or
// Bluesky post that is not a direct message.
func (t Ticket) PublicReplies() bool {
	return !t.Private && t.listened() && t.Answerable()
}

// listened reports whether t came from a source caredesk polls itself.
// None of them can take a rating (no buttons, no rating call): a
// question there would be answered with a post that reopens the ticket.
func (t Ticket) listened() bool {
	for _, kind := range []string{"feed:", "mastodon:", "bluesky:"} {
		if strings.HasPrefix(t.Source, kind) {
			return true
		}
	}
	return false
}

// ownWordsHeld reports whether caredesk keeps its own words (the
// acknowledgement, the hand-over sentence, the rating question) from
// the customer: a feed cannot take them, and on a public post they
// would be public posts no agent decided on.
func (t Ticket) ownWordsHeld() bool { return !t.Answerable() || t.PublicReplies() }

// adopt gives the ticket a feed opened for a post to the source that
// heard the same post and can answer it (the account the post mentions,
// a search): whichever listener polled first, the customer can be
// answered. A ticket that can be answered already stays where it is.
//
// The ticket becomes what the account would have opened: its customer
// and conversation, the account's promise (counted from when it opened)
// and team, and nobody's yet — its owner claimed something nobody could
// answer, and from now on what they write in the thread is public. When
// the customer already has a ticket in that conversation (the post is an
// answer in their thread), the post joins it and the feed's ticket
// closes.
func (b *Bot) adopt(tx Tx, in Inbound, now time.Time) (taken bool, err error) {
	// Tickets keep no PostKey of their own: every listener makes it the
	// post's PostURL, which they keep.
	t, err := tx.TicketByPost(in.PostKey)
	if ErrorCode(err) == ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	heard := Ticket{Source: in.Source}
	if t.Answerable() || !heard.Answerable() {
		return false, nil
	}
	from := NetworkOf(t)
	if existing, err := tx.LatestTicket(in.Source, in.Conversation, in.Customer.ID); err == nil {
		if err := b.file(tx, in, now); err != nil {
			return false, err
		}
		if t.State == Resolved {
			return true, nil
		}
		t.State, t.ResolvedAt, t.UpdatedAt = Resolved, now, now
		if err := b.change(tx, t, Event{Kind: "merged", Detail: fmt.Sprintf("#%d", existing.ID)}, now); err != nil {
			return false, err
		}
		return true, b.notice(tx, t, fmt.Sprintf("🔁 This post is the customer's answer in the conversation of #%d on %s: it goes on there, and this ticket is closed.", existing.ID, NetworkOf(existing)), now)
	} else if ErrorCode(err) != ENOTFOUND {
		return false, err
	}
	released := ""
	if t.State == Claimed {
		released = fmt.Sprintf(" %s, claim it again to answer: what its owner writes in this thread now goes to the customer, in public.", Mention(t.Owner))
		t.State, t.Owner = Open, Agent{}
	}
	t.Source, t.Conversation, t.LastInbound, t.Network = in.Source, in.Conversation, in.MessageID, in.Network
	t.Customer, t.Private, t.UpdatedAt = in.Customer, in.Private, now
	if in.Language != "" {
		t.Language = in.Language
	}
	was := t.Team
	routed := t
	b.route(&routed)
	team := b.teamOf(t)
	var sla SLA
	unanswered := t.FirstReplyAt.IsZero() && t.State != Resolved
	if unanswered {
		sla = team.SLA(t.Source)
		t.Deadline = after(team, t.OpenedAt, sla.FirstResponse, sla.BusinessHours)
	}
	if err := b.change(tx, t, Event{Kind: "adopted", Detail: from + " → " + in.Source}, now); err != nil {
		return false, err
	}
	if unanswered {
		// The promise is the account's, from when the ticket opened; the
		// reminders and pages count from now, as after a move.
		if err := tx.CancelTimers(t.ID, BreachFirstReply, BreachResolution); err != nil {
			return false, err
		}
		breaches := []Timer{{Alarm: BreachFirstReply, DueAt: t.Deadline}}
		if sla.Resolution > 0 {
			breaches = append(breaches, Timer{Alarm: BreachResolution, DueAt: after(team, t.OpenedAt, sla.Resolution, sla.BusinessHours)})
		}
		if err := addTimers(tx, t, breaches); err != nil {
			return false, err
		}
		if err := b.rearm(tx, t, team, now); err != nil {
			return false, err
		}
	}
	if err := b.notice(tx, t, fmt.Sprintf("🔁 This post was heard on %s too: #%d can be answered there now, and replies go under the post.%s", NetworkOf(t), t.ID, released), now); err != nil {
		return false, err
	}
	if unanswered && routed.Team != was {
		return true, b.relocate(tx, t, team, b.teamOf(routed), "caredesk (the post was heard on "+NetworkOf(t)+")", "", now)
	}
	return true, nil
}

// unanswerable is the refusal of a reply to a ticket that cannot have one.
func unanswerable(t Ticket) error {
	where := "on the original post"
	if t.PostURL != "" {
		where += " (" + t.PostURL + ")"
	}
	return Errorf(EINVALID, "#%d came from %s, a feed, which caredesk cannot answer: answer %s, then /desk resolve %d elsewhere <link to your answer>. Nothing was sent.",
		t.ID, NetworkOf(t), where, t.ID)
}

// confirmPublic asks an agent, the first time they /desk reply to a
// public post, to send again: a public answer is read by everyone, and
// nobody should learn that from the customer's followers. ok says the
// reply may go. The mark lasts as long as caredesk remembers what it saw
// (30 days); then it asks once more.
func confirmPublic(tx Tx, a Action, t Ticket, now time.Time) (ask string, ok bool, err error) {
	if !t.PublicReplies() || a.Ref != "" {
		return "", true, nil // a message written in the thread, under the root that says so
	}
	first, err := tx.FirstSight("public-reply:"+a.Agent.ID, now)
	if err != nil || !first {
		return "", err == nil, err
	}
	return fmt.Sprintf("⚠️ #%d came from a public post on %s: your reply will be public too, under the customer's post, for anyone to read. Nothing was sent. "+
		"Send the same command again to post it (caredesk asks once), or /desk private %d first where the network allows it.", t.ID, NetworkOf(t), t.ID), false, nil
}

// elsewhere reads what follows /desk resolve N: nothing, or "elsewhere"
// and the link to an answer given outside caredesk.
func elsewhere(t Ticket, text string) (link string, err error) {
	text = strings.TrimSpace(text)
	rest, said := cutPrefixFold(text, "elsewhere")
	if said {
		text = strings.TrimSpace(rest)
	}
	switch {
	case text == "" && said:
		return "", Errorf(EINVALID, "Add the link to where you answered: /desk resolve %d elsewhere https://… (nothing was changed).", t.ID)
	case text == "":
		return "", nil
	}
	u, perr := url.Parse(text)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(text, " \n") {
		return "", Errorf(EINVALID, "Write where you answered as one link: /desk resolve %d elsewhere https://… (nothing was changed).", t.ID)
	}
	return text, nil
}
