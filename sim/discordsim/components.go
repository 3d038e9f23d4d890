package discordsim

import (
	"encoding/json"
	"fmt"
)

// Rows returns the buttons of the message's action rows, row by row, as
// people see them: a test can tell one row of five from five rows of one.
func (m Message) Rows() [][]Button {
	var rows []struct {
		Components []struct {
			Type     int    `json:"type"`
			CustomID string `json:"custom_id"`
			Label    string `json:"label"`
			Style    int    `json:"style"`
			Disabled bool   `json:"disabled"`
		} `json:"components"`
	}
	if len(m.Components) == 0 || json.Unmarshal(m.Components, &rows) != nil {
		return nil
	}
	var out [][]Button
	for _, r := range rows {
		var row []Button
		for _, c := range r.Components {
			if c.Type == 2 {
				row = append(row, Button{CustomID: c.CustomID, Label: c.Label, Style: c.Style, Disabled: c.Disabled})
			}
		}
		out = append(out, row)
	}
	return out
}

// mayClickLocked panics unless u can see c, as a button must be on their
// screen to be clicked: a DM shows only to its recipient (and the bot).
// The caller holds s.mu.
func (s *Server) mayClickLocked(u *User, c *Channel) {
	if c.Type == ChannelDM && u.ID != c.Recipient {
		panic(fmt.Sprintf("discordsim: %s clicks in the DM channel %s of %s, which they cannot see", u.ID, c.ID, c.Recipient))
	}
}
