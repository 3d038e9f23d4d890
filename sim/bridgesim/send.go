package bridgesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"caredesk/adapters/webhook"
)

// Complaint is a complaint body as a bridge sends it
// (docs/webhook-complaint.schema.json). Empty fields are left out.
type Complaint struct {
	ID             string   `json:"id"`
	ConversationID string   `json:"conversation_id,omitempty"`
	Author         Author   `json:"author"`
	Text           string   `json:"text"`
	URL            string   `json:"url,omitempty"`
	Language       string   `json:"language,omitempty"`
	Timestamp      string   `json:"timestamp,omitempty"` // RFC 3339; a string, so that tests can send a wrong one
	Attachments    []string `json:"attachments,omitempty"`
	Private        bool     `json:"private,omitempty"`   // a DM, not a public post
	TimeZone       string   `json:"time_zone,omitempty"` // IANA, like "Europe/Istanbul"; a string, so that tests can send a wrong one
}

// Author is who wrote a complaint.
type Author struct {
	ID         string `json:"id"`
	Handle     string `json:"handle,omitempty"`
	Name       string `json:"name,omitempty"`
	ProfileURL string `json:"profile_url,omitempty"`
	Followers  int    `json:"followers,omitempty"`
}

// Status is a bridge's report on a reply (docs/webhook-status.schema.json).
type Status struct {
	ReplyID int64  `json:"reply_id"`
	Status  string `json:"status"` // "delivered" or "failed"
	Reason  string `json:"reason,omitempty"`
	URL     string `json:"url,omitempty"`
	ID      string `json:"id,omitempty"`
}

// Rating is a customer's answer to a csat_request, as a bridge reports it
// (docs/webhook-rating.schema.json). Empty fields are left out, so that
// tests can send one without a required field.
type Rating struct {
	Ticket     int64  `json:"ticket,omitempty"`
	Score      int    `json:"score,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	EventID    string `json:"event_id,omitempty"`
}

// SendComplaint POSTs c, signed now with the bridge's secret, to
// botURL/hooks/name, and returns caredesk's answer.
func (s *Server) SendComplaint(botURL, name string, c Complaint) (status int, body []byte, err error) {
	return s.sendJSON(botURL, "/hooks/"+name, c)
}

// ReportStatus POSTs r, signed now, to botURL/hooks/name/status, and
// returns caredesk's answer.
func (s *Server) ReportStatus(botURL, name string, r Status) (status int, body []byte, err error) {
	return s.sendJSON(botURL, "/hooks/"+name+"/status", r)
}

// SendRating POSTs r, signed now, to botURL/hooks/name/rating, and
// returns caredesk's answer.
func (s *Server) SendRating(botURL, name string, r Rating) (status int, body []byte, err error) {
	return s.sendJSON(botURL, "/hooks/"+name+"/rating", r)
}

func (s *Server) sendJSON(botURL, path string, v any) (int, []byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return 0, nil, fmt.Errorf("bridgesim: encode %s: %w", path, err)
	}
	return s.SendRaw(botURL, path, body, s.Signed(body, s.now()))
}

// Signed returns the signature headers of body signed with the bridge's
// secret at the given time, for SendRaw: a test can sign at a stale time,
// or change the body after signing.
func (s *Server) Signed(body []byte, at time.Time) http.Header {
	h := http.Header{}
	webhook.SetSignature(h, s.secret, at, body)
	return h
}

// SendRaw POSTs body to botURL+path with the headers h, exactly as given,
// and with Content-Type: application/json unless h sets one. It is for
// requests a well-behaved bridge would not send: forged, stale, unsigned,
// malformed.
func (s *Server) SendRaw(botURL, path string, body []byte, h http.Header) (status int, answer []byte, err error) {
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(botURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("bridgesim: %w", err)
	}
	for k, vs := range h {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("bridgesim: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	answer, err = io.ReadAll(io.LimitReader(resp.Body, webhook.MaxBodySize))
	if err != nil {
		return resp.StatusCode, answer, fmt.Errorf("bridgesim: read the answer to %s: %w", path, err)
	}
	return resp.StatusCode, answer, nil
}
