package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/bwmarrin/discordgo"
	slackapi "github.com/slack-go/slack"
)

// TestUnreachable: what caredesk waits out at start (no connection, a
// timeout, a 5xx or 429) and what stops it (a network's answer, such as a
// rejected token or a wrong channel).
func TestUnreachable(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "https://slack.com/api/auth.test", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	rest := func(code int) error {
		return &discordgo.RESTError{Response: &http.Response{StatusCode: code}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("cannot reach Slack at https://slack.com/api/: %w", refused), true},
		{"a timeout", &net.DNSError{Err: "timeout", IsTimeout: true}, true},
		{"Slack's outage", fmt.Errorf("cannot reach Slack: %w", slackapi.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}), true},
		{"Slack's rate limit", slackapi.StatusCodeError{Code: 429}, true},
		{"Slack's 404", slackapi.StatusCodeError{Code: 404}, false},
		{"a rejected token", fmt.Errorf("Slack rejected SLACK_BOT_TOKEN: %w", slackapi.SlackErrorResponse{Err: "invalid_auth"}), false},
		{"Discord's outage", fmt.Errorf("cannot reach Discord: %w", rest(502)), true},
		{"Discord's 401", rest(401), false},
		{"a sentence", errors.New("SLACK_CHANNEL_ID is empty"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unreachable(tt.err); got != tt.want {
				t.Errorf("unreachable(%v) = %t, want %t", tt.err, got, tt.want)
			}
		})
	}
}
