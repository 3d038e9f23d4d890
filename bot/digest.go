package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ReportRequest is what a SendReport delivery asks the Reporter for. It is
// kept in the outbox as JSON (Delivery.Text).
type ReportRequest struct {
	Kind   string    `json:"kind"`             // "report" (charts for /desk report), "digest", "export" (a CSV)
	Period string    `json:"period,omitempty"` // how the period was asked or named: "week", "month", "2026-11-01..2026-11-30"
	From   time.Time `json:"from"`
	Until  time.Time `json:"until"`            // exclusive
	Source string    `json:"source,omitempty"` // only this source's tickets
	Agent  string    `json:"agent,omitempty"`  // only tickets this agent answered or owned
	Team   string    `json:"team,omitempty"`   // only this team's tickets
}

// The kinds of ReportRequest.
const (
	ReportCharts = "report"
	ReportDigest = "digest"
	ReportExport = "export"
)

// QueueReport queues req for agentID (privately) or, when agentID is "", for
// the desk channel. Reports have queues of their own, so that a storm of
// new tickets never holds back a digest or an agent's export.
func QueueReport(tx Tx, req ReportRequest, agentID string, now time.Time) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("queue %s: %w", req.Kind, err)
	}
	dest := reportQueue
	if agentID != "" {
		dest = dmQueue(agentID)
	}
	return tx.Enqueue(&Delivery{Destination: dest, Job: SendReport, Agent: agentID, Text: string(data), NextAt: now, CreatedAt: now})
}

const reportQueue = "desk:report"

// DigestPolicy says when the desk posts its figures by itself.
type DigestPolicy struct {
	Weekly        bool
	Day           time.Weekday // of the weekly digest
	Minute        int          // of the day, on the team's clock: 540 is 09:00
	Monthly       bool         // also on the first day of each month
	MonthlyMinute int          // at this minute of that day
}

// DefaultDigestPolicy is a weekly digest on Monday at 09:00.
func DefaultDigestPolicy() DigestPolicy {
	return DigestPolicy{Weekly: true, Day: time.Monday, Minute: 9 * 60, MonthlyMinute: 9 * 60}
}

// digestCatchUp is how late a digest may still be posted: a desk that was
// down at 09:00 on Monday posts it when it comes back that day, not a
// week-old one on Thursday.
const digestCatchUp = 12 * time.Hour

// digests queues the weekly and monthly digests whose time has come, once.
func (b *Bot) digests(tx Tx, now time.Time) error {
	p := b.policy.Digest
	loc := b.policy.Calendar.Location
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	var due []ReportRequest
	minute := map[string]int{"week": p.Minute, "month": p.MonthlyMinute}
	if p.Weekly {
		// The latest digest day on or before today.
		d := day.AddDate(0, 0, -((int(day.Weekday()) - int(p.Day) + 7) % 7))
		due = append(due, ReportRequest{Kind: ReportDigest, Period: "week", From: d.AddDate(0, 0, -7), Until: d})
	}
	if p.Monthly {
		d := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
		due = append(due, ReportRequest{Kind: ReportDigest, Period: "month", From: d.AddDate(0, -1, 0), Until: d})
	}
	for _, req := range due {
		at := wallTime(req.Until, minute[req.Period], loc)
		if now.Before(at) || now.Sub(at) > digestCatchUp {
			continue
		}
		fresh, err := tx.FirstSight(fmt.Sprintf("digest:%s:%d", req.Period, req.Until.Unix()), now)
		if err != nil {
			return err
		}
		if !fresh {
			continue
		}
		req.From, req.Until = req.From.UTC(), req.Until.UTC()
		if err := QueueReport(tx, req, "", now); err != nil {
			return err
		}
	}
	return nil
}

// sendReport renders a report and shares it: the figures with their charts
// or export when the desk takes files, else the figures with the words that
// stand in for them.
func (c *Courier) sendReport(ctx context.Context, d Delivery) error {
	if c.reporter == nil {
		return Permanent(errors.New("reports are not set up in this process"))
	}
	var req ReportRequest
	if err := json.Unmarshal([]byte(d.Text), &req); err != nil {
		return Permanent(fmt.Errorf("read the report request: %w", err))
	}
	r, err := c.reporter.Render(ctx, req)
	if err != nil {
		if ErrorCode(err) != "" {
			return Permanent(err)
		}
		return err
	}
	if namer, ok := c.desk.(Namer); ok && d.Agent == "" {
		// Mentions in the channel ping; a digest names people instead.
		r.Text = namer.Names(ctx, r.Text)
	}
	text := r.Text
	if up, ok := c.desk.(Uploader); ok && len(r.Files) > 0 {
		err := up.Upload(ctx, d.Agent, r.Text, r.Files)
		if err == nil {
			return c.finish(ctx, d, nil)
		}
		if !IsPermanent(err) {
			return err
		}
		c.log.Warn("outbox: the desk refused the report's files; posting words instead", "delivery", d.ID, "err", err)
		text += "\n\n(" + err.Error() + ")"
	}
	if len(r.Files) > 0 && r.Fallback != "" {
		text += "\n\n" + r.Fallback
	}
	if d.Agent != "" {
		err = c.desk.DirectMessage(ctx, d.Agent, text)
	} else {
		err = c.desk.Announce(ctx, d.Conversation, text)
	}
	if err != nil {
		return err
	}
	return c.finish(ctx, d, nil)
}
