package discord

import (
	"context"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
)

// Rater takes a customer's answer to the satisfaction question. The core's
// *bot.Bot is one. nil means stored (or a repeat); an application error
// (bot.Error) or a bot.Permanent one is the core's final "no"; any other
// error means "not stored": Discord does not send a click again, so the
// customer is asked to press again.
type Rater interface {
	Rate(ctx context.Context, r bot.Rating) error
}

// What the person who pressed a rating button reads, only them, when the
// answer is not taken: the core refuses it (in a server channel anyone can
// press the buttons under the customer's message), or could not store it.
const (
	RatingRefused  = "Only the customer who was asked can answer this question."
	RatingNotSaved = "Sorry, we could not save that, please press again."
)

// rateTimeout bounds the core's work on a click: Discord takes the answer
// to an interaction only within three seconds, and the customer must
// learn whether their answer counted.
const rateTimeout = 2 * time.Second

// ratingComponents is one action row of the five answers about ticket,
// 1 (bad) to 5 (great), each carrying bot.RatingData as its custom_id.
func ratingComponents(ticket int64) []discordgo.MessageComponent {
	row := discordgo.ActionsRow{}
	for score := 1; score <= 5; score++ {
		row.Components = append(row.Components, discordgo.Button{
			Label: strconv.Itoa(score), Style: discordgo.SecondaryButton, CustomID: bot.RatingData(ticket, score),
		})
	}
	return []discordgo.MessageComponent{row}
}

// isRating reports whether i is a press of a rating button.
func isRating(i *discordgo.Interaction) bool {
	if i.Type != discordgo.InteractionMessageComponent {
		return false
	}
	_, _, ok := bot.ParseRatingData(i.MessageComponentData().CustomID)
	return ok
}

// rating hands a press of a rating button to the core and answers the
// interaction within Discord's three seconds: the question's buttons give
// way to the answer, or the person who pressed reads, only them, why it
// did not count. The interaction's id is the answer's event id.
func (g *gateway) rating(ctx context.Context, i *discordgo.Interaction) {
	d := g.d
	ticket, score, _ := bot.ParseRatingData(i.MessageComponentData().CustomID)
	user := i.User // in a DM
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User // in a server
	}
	if user == nil {
		return // Discord names who pressed in every interaction
	}
	var answer *discordgo.InteractionResponse
	if d.opts.Rater == nil {
		d.log.Debug("dropped a rating: no Rater is set", "ticket", ticket, "interaction", i.ID)
		answer = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	} else {
		rctx, cancel := context.WithTimeout(ctx, rateTimeout)
		first, err := g.rated.rate(i.Message, func() error {
			return d.opts.Rater.Rate(rctx, bot.Rating{Source: SourceName, TicketID: ticket, CustomerID: user.ID, Score: score, EventID: i.ID})
		})
		cancel()
		switch {
		case err == nil && first:
			answer = answered(i.Message, score)
		case err == nil:
			// A second press before the buttons went: the core kept the
			// first, which the question shows.
			answer = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
		case refused(err):
			d.log.Info("the core refused a rating", "ticket", ticket, "user", user.ID, "err", err)
			answer = privately(RatingRefused)
		default:
			d.log.Error("could not store a customer's rating; they are asked to press again", "ticket", ticket, "user", user.ID, "interaction", i.ID, "err", err)
			answer = privately(RatingNotSaved)
		}
	}
	if err := d.respond(ctx, i, answer); err != nil {
		d.log.Warn("could not answer a press of a rating button", "interaction", i.ID, "err", describe(err))
		if answer.Type == discordgo.InteractionResponseUpdateMessage {
			g.rated.forget(i.Message) // the buttons stay: the next press shows the answer
		}
	}
}

// answered is the question m with its buttons replaced by the score.
func answered(m *discordgo.Message, score int) *discordgo.InteractionResponse {
	text := "Your answer: " + strconv.Itoa(score) + " of 5. Thank you!"
	if m != nil && m.Content != "" && utf8.RuneCountInString(m.Content)+2+utf8.RuneCountInString(text) <= maxContent {
		text = m.Content + "\n\n" + text
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: text, Components: []discordgo.MessageComponent{}, AllowedMentions: noMentions()},
	}
}

// privately is a message only the person who pressed sees.
func privately(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: text, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
	}
}

// maxRated bounds how many questions seen remembers.
const maxRated = 1024

// seen remembers the questions whose answer is shown, within one Run, so
// that of two quick presses (clicks are handled at once, each on its own)
// only the one the core kept is shown.
type seen struct {
	mu  sync.Mutex // held across Rate: the first to rate is the first to show
	ids map[string]bool
}

// rate calls the core and reports whether m's answer is yet to be shown,
// remembering that it is now. A click names its message; one that does not
// counts as first.
func (s *seen) rate(m *discordgo.Message, rate func() error) (first bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := rate(); err != nil {
		return false, err
	}
	if m == nil || m.ID == "" {
		return true, nil
	}
	if s.ids[m.ID] {
		return false, nil
	}
	if s.ids == nil || len(s.ids) >= maxRated {
		s.ids = map[string]bool{}
	}
	s.ids[m.ID] = true
	return true, nil
}

// forget undoes rate's remembering m, when its answer could not be shown.
func (s *seen) forget(m *discordgo.Message) {
	if m == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, m.ID)
}
