// Package doctor checks a real set-up of caredesk before the team relies
// on it: the settings, the database and each network, one check at a
// time, written as a checklist a person reads top to bottom.
//
//	ok   Slack: SLACK_BOT_TOKEN works
//	FAIL Slack: the bot is in SLACK_CHANNEL_ID C0DESK: @caredesk is not a member of #care-desk: invite it with /invite @caredesk in that channel.
//	skip Telegram: TELEGRAM_BOT_TOKEN works: TELEGRAM_BOT_TOKEN is not set.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Check is one line of the checklist: what is checked, in the words of
// whoever set caredesk up, and the check itself.
type Check struct {
	Name string
	// Run returns nil when all is well, an error whose text is what to
	// fix as a sentence, or Skip(why) when the check does not apply.
	Run func(ctx context.Context) error
}

// skipped is a check that does not apply, and why.
type skipped struct{ why string }

func (s skipped) Error() string { return s.why }

// Skip is what a check returns when it does not apply: why is a sentence.
func Skip(why string) error { return skipped{why} }

// Run runs the checks in order and writes one line for each to w:
// "ok   <name>", "FAIL <name>: <what to fix>" or "skip <name>: <why>".
// It reports whether every check passed or was skipped.
func Run(ctx context.Context, w io.Writer, checks []Check) bool {
	healthy := true
	for _, c := range checks {
		err := c.Run(ctx)
		var skip skipped
		switch {
		case err == nil:
			fmt.Fprintf(w, "ok   %s\n", c.Name)
		case errors.As(err, &skip):
			fmt.Fprintf(w, "skip %s: %s\n", c.Name, sentence(skip.why))
		default:
			healthy = false
			fmt.Fprintf(w, "FAIL %s: %s\n", c.Name, sentence(err.Error()))
		}
	}
	return healthy
}

// sentence puts what went wrong on one line, ending with a full stop: an
// error joined from several (errors.Join) reads as sentences in a row.
func sentence(s string) string {
	var parts []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if !strings.HasSuffix(line, ".") && !strings.HasSuffix(line, "?") && !strings.HasSuffix(line, "!") {
			line += "."
		}
		parts = append(parts, line)
	}
	return strings.Join(parts, " ")
}

// unreachable words a call to network at base that got no answer, or an
// answer that was not the API's. Only the cause is quoted, never the
// request's URL: Telegram's holds the token.
func unreachable(network, base, setting string, err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return fmt.Errorf("%s at %s answered %s: try again later, or check %s and any proxy", network, base, re.Response.Status, setting)
	}
	return fmt.Errorf("cannot reach %s at %s (%v): check the network, any proxy, and %s", network, base, err, setting)
}
