package discord

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"caredesk/bot"
)

// apiError is a call Discord answered with an error: its status, its JSON
// code and message, said in one line. It unwraps to discordgo's error.
type apiError struct {
	op      string // what caredesk was doing, like "create message"
	status  int
	code    int
	message string
	err     error
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("discord %s: HTTP %d", e.op, e.status)
	if e.message != "" {
		s += " " + e.message
	}
	if e.code != 0 {
		s += fmt.Sprintf(" (code %d)", e.code)
	}
	return s
}

func (e *apiError) Unwrap() error { return e.err }

// restStatus returns the HTTP status and Discord's JSON code of re.
func restStatus(re *discordgo.RESTError) (status, code int) {
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	if re.Message != nil {
		code = re.Message.Code
	}
	return status, code
}

// describe says err in one line without the request: a RESTError prints
// Discord's whole body, which is long and may echo what was sent.
func describe(err error) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) {
		status, code := restStatus(re)
		e := &apiError{op: "call", status: status, code: code, err: err}
		if re.Message != nil {
			e.message = re.Message.Message
		}
		return e
	}
	return err
}

// discordCode returns Discord's JSON error code of err, 0 when it has none.
func discordCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) {
		_, code := restStatus(re)
		return code
	}
	return 0
}

// deliveryError tells the outbox how to retry a failed call: after the
// wait Discord asked for (429), never (a 4xx that retrying cannot mend:
// an unknown channel or message, missing access or permissions, an
// invalid body, a user who takes no DMs), or with backoff (5xx, network,
// and 401, which waits for someone to fix DISCORD_BOT_TOKEN rather than
// dropping what was to be sent).
func deliveryError(op string, err error) error {
	if err == nil {
		return nil
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		wait := time.Second // when Discord did not say
		if rl.RateLimit != nil && rl.TooManyRequests != nil && rl.RetryAfter > 0 {
			wait = rl.RetryAfter
		}
		return bot.RetryAfter(wait, fmt.Errorf("discord %s: rate limited, retry after %s: %w", op, wait, err))
	}
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		if strings.Contains(err.Error(), "Exceeded Max retries") {
			return fmt.Errorf("discord %s: Discord kept answering 502 Bad Gateway: %w", op, err)
		}
		return fmt.Errorf("discord %s: %w", op, err)
	}
	status, code := restStatus(re)
	e := &apiError{op: op, status: status, code: code, err: err}
	if re.Message != nil {
		e.message = re.Message.Message
	}
	switch {
	case status == http.StatusTooManyRequests:
		// discordgo could not read the body; the header still says how long.
		secs, _ := strconv.ParseFloat(re.Response.Header.Get("Retry-After"), 64)
		return bot.RetryAfter(max(time.Duration(secs*float64(time.Second)), time.Second), e)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%w: Discord rejected DISCORD_BOT_TOKEN; copy a new one from the Developer Portal and restart — this waits", e)
	case status == http.StatusRequestTimeout:
		return e
	case status >= 400 && status < 500:
		return bot.Permanent(e)
	}
	return e
}
