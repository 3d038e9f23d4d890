package report

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"caredesk/bot"
)

// ExportHeader is the first row of an export, the columns' names.
var ExportHeader = []string{"number", "source", "customer_handle", "opened", "first_answer", "resolved",
	"owner", "sla_met", "seconds_to_first_answer", "csat"}

// Export writes the tickets of q's period as CSV (RFC 4180, times in UTC
// RFC 3339), one page of tickets at a time, so that a year's export costs
// no more memory than a day's. sla_met is "yes", "no", or "" while the
// deadline has not come; empty cells are what has not happened.
func Export(ctx context.Context, r Reader, q Query, now time.Time, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return err
	}
	var werr error
	rows := 0
	err := each(ctx, r, q, func(t bot.Ticket) {
		if werr == nil {
			werr = cw.Write(exportRow(t, now))
		}
		// A page at a time reaches the client, not the whole file at the end.
		if rows++; rows%pageSize == 0 && werr == nil {
			cw.Flush()
			werr = cw.Error()
		}
	})
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("write the export: %w", werr)
	}
	cw.Flush()
	return cw.Error()
}

func exportRow(t bot.Ticket, now time.Time) []string {
	sla, seconds := "", ""
	if met, known := slaMet(t, now); known {
		sla = yesNo(met)
	}
	if !t.FirstReplyAt.IsZero() {
		seconds = strconv.FormatInt(int64(t.FirstReplyAt.Sub(t.OpenedAt)/time.Second), 10)
	}
	csat := ""
	if t.Rating > 0 {
		csat = strconv.Itoa(t.Rating)
	}
	return []string{strconv.FormatInt(t.ID, 10), t.Source, cell(t.Customer.Handle),
		stamp(t.OpenedAt), stamp(t.FirstReplyAt), stamp(t.ResolvedAt), cell(owner(t.Owner)), sla, seconds, csat}
}

// cell keeps outside text from being read as a formula by a spreadsheet
// that opens the export (CSV injection): a leading =, +, -, @, tab or
// carriage return gets an apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// owner is the owner's name, or their desk id when the desk gave no name.
func owner(a bot.Agent) string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}
