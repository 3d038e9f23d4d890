package webhook

import (
	"fmt"
	"net/http"

	"caredesk/bot"
)

// Rating is a customer's answer to the satisfaction question, as a bridge
// reports it after posting a csat_request, checked by ParseRating; see
// docs/webhook-rating.schema.json.
type Rating struct {
	Ticket     int64  `json:"ticket"`             // the ticket of the csat_request
	Score      int    `json:"score"`              // 1 (bad) to 5 (great)
	CustomerID string `json:"customer_id"`        // who answered: their author.id, as in their complaints
	EventID    string `json:"event_id,omitempty"` // the answer's own id: a repeat with the same id changes nothing
}

type wireRating struct {
	Ticket     looseInt    `json:"ticket"`
	Score      *looseInt   `json:"score"`
	CustomerID looseString `json:"customer_id"`
	EventID    looseString `json:"event_id"`
}

// ParseRating checks a rating body, as ParseComplaint does a complaint:
// ticket, score and customer_id are required, the score is a whole number
// from 1 to 5, and the ids are kept exactly as sent, since they are
// compared with those of the complaints and of the next retry.
func ParseRating(body []byte) (Rating, *FieldError) {
	var w wireRating
	if fe := decode(body, &w); fe != nil {
		return Rating{}, fe
	}
	r := Rating{Ticket: int64(w.Ticket)}
	if r.Ticket <= 0 {
		return Rating{}, fieldErr("ticket", "ticket is required: the ticket of the csat_request this answers, as caredesk sent it.")
	}
	switch {
	case w.Score == nil:
		return Rating{}, fieldErr("score", "score is required: a whole number from %d (bad) to %d (great).", ratingScale.Min, ratingScale.Max)
	case int64(*w.Score) < int64(ratingScale.Min) || int64(*w.Score) > int64(ratingScale.Max):
		return Rating{}, fieldErr("score", "score must be a whole number from %d (bad) to %d (great), not %d.", ratingScale.Min, ratingScale.Max, int64(*w.Score))
	}
	r.Score = int(*w.Score)
	var fe *FieldError
	if r.CustomerID, fe = checkID("customer_id", string(w.CustomerID), true); fe != nil {
		return Rating{}, fe
	}
	if r.EventID, fe = checkID("event_id", string(w.EventID), false); fe != nil {
		return Rating{}, fe
	}
	return r, nil
}

// rating records a customer's answer to the satisfaction question.
func (h *handler) rating(w http.ResponseWriter, req *http.Request) {
	src, body, ok := h.accept(w, req)
	if !ok {
		return
	}
	r, fe := ParseRating(body)
	if fe != nil {
		h.refuseBody(w, req, src, fe)
		return
	}
	if h.rater == nil {
		h.log.Debug("dropped a rating: no Rater is set", "source", SourceName(src.Name), "ticket", r.Ticket)
		writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
		return
	}
	err := h.rater.Rate(req.Context(), bot.Rating{
		Source: SourceName(src.Name), TicketID: r.Ticket, CustomerID: r.CustomerID, Score: r.Score, EventID: r.EventID,
	})
	h.recorded(w, req, src, err, "ticket", "rating", fmt.Sprintf("caredesk could not record the rating of ticket %d just now; send it again in a few seconds with the same event_id.", r.Ticket),
		"ticket", r.Ticket)
}
