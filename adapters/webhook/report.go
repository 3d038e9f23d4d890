package webhook

import (
	"strings"

	"caredesk/bot"
)

// maxReason bounds a report's reason: a sentence or two for the agent.
const maxReason = 1000

// Report is what a bridge says about a reply after it took it, after
// ParseReport checked it.
type Report struct {
	ReplyID int64      `json:"reply_id"`         // the reply's reply_id as caredesk sent it
	Status  bot.Status `json:"status"`           // bot.Delivered or bot.Failed
	Reason  string     `json:"reason,omitempty"` // why it failed
	URL     string     `json:"url,omitempty"`    // where the posted reply can be seen
	ID      string     `json:"id,omitempty"`     // the report's own id: a repeat with the same id changes nothing
}

type wireReport struct {
	ReplyID looseInt    `json:"reply_id"`
	Status  string      `json:"status"`
	Reason  string      `json:"reason"`
	URL     string      `json:"url"`
	ID      looseString `json:"id"`
}

// ParseReport checks a status report body, as ParseComplaint does a
// complaint: reply_id and status are required; the status is "delivered"
// or "failed" in any case; the reason is trimmed and cut of control
// characters.
func ParseReport(body []byte) (Report, *FieldError) {
	var w wireReport
	if fe := decode(body, &w); fe != nil {
		return Report{}, fe
	}
	r := Report{ReplyID: int64(w.ReplyID), Status: bot.Status(strings.ToLower(strings.TrimSpace(w.Status))), Reason: cleanText(w.Reason)}
	if r.ReplyID <= 0 {
		return Report{}, fieldErr("reply_id", "reply_id is required: the reply_id of the reply this report is about, as caredesk sent it.")
	}
	if r.Status != bot.Delivered && r.Status != bot.Failed {
		return Report{}, fieldErr("status", "status must be \"delivered\" or \"failed\", not %q.", clip(w.Status, 40))
	}
	var fe *FieldError
	if fe = checkLength("reason", r.Reason, maxReason); fe != nil {
		return Report{}, fe
	}
	if r.URL, fe = checkURL("url", w.URL); fe != nil {
		return Report{}, fe
	}
	if r.ID, fe = checkID("id", string(w.ID), false); fe != nil {
		return Report{}, fe
	}
	return r, nil
}
