package webhook_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"caredesk/adapters/webhook"
	"caredesk/bot"
	"caredesk/sim/bridgesim"
)

// callRequest is an agent asking Jane for a number to call her on.
var callRequest = bot.Outgoing{
	Ticket: bot.Ticket{ID: 12, Source: "webhook:twitter"}, Conversation: "thread-9", ReplyTo: "tw-1",
	Text: "Could you share a number we can call you on?", AgentName: "Alice", Purpose: bot.ForCall, Key: "caredesk-90",
}

// movePrivate is an agent asking Jane to go on in a DM.
var movePrivate = bot.Outgoing{
	Ticket: bot.Ticket{ID: 12, Source: "webhook:twitter"}, Conversation: "thread-9", ReplyTo: "tw-1",
	Text: "Could you send us your order number in a DM?", AgentName: "Alice", Purpose: bot.ForPrivate, Key: "caredesk-91",
}

// acknowledgement is caredesk's own word that a complaint was filed.
var acknowledgement = bot.Outgoing{
	Ticket: bot.Ticket{ID: 12, Source: "webhook:twitter"}, Conversation: "thread-9", ReplyTo: "tw-1",
	Text: "Thanks, we have your message: an agent answers by 10:30.", Purpose: bot.ForNotice, Key: "caredesk-92",
}

func TestSendTellsTheBridgeWhatEachPurposeIsFor(t *testing.T) {
	withReply := func(m bot.Outgoing, id int64) bot.Outgoing { m.MessageID = id; return m }
	about := bridgesim.InReplyTo{MessageID: "tw-1", ConversationID: "thread-9"}
	tests := []struct {
		name string
		out  bot.Outgoing
		want bridgesim.Reply
	}{
		{"a request for a phone number", callRequest, bridgesim.Reply{
			Kind: "call_request", Source: "twitter", Ticket: 12, Text: callRequest.Text, Agent: bridgesim.Agent{Name: "Alice"},
			InReplyTo: about, IdempotencyKey: "caredesk-90", ID: "bridge-1",
		}},
		{"a request for a phone number the agent can hear about", withReply(callRequest, 400), bridgesim.Reply{
			Kind: "call_request", Source: "twitter", Ticket: 12, ReplyID: 400, Text: callRequest.Text, Agent: bridgesim.Agent{Name: "Alice"},
			InReplyTo: about, IdempotencyKey: "caredesk-90", ID: "bridge-1",
		}},
		{"an invitation to go on in private", movePrivate, bridgesim.Reply{
			Kind: "move_private", Source: "twitter", Ticket: 12, Text: movePrivate.Text, Agent: bridgesim.Agent{Name: "Alice"},
			InReplyTo: about, IdempotencyKey: "caredesk-91", ID: "bridge-1",
		}},
		{"an acknowledgement", acknowledgement, bridgesim.Reply{
			Kind: "message", Source: "twitter", Ticket: 12, Text: acknowledgement.Text,
			InReplyTo: about, IdempotencyKey: "caredesk-92", ID: "bridge-1",
		}},
		{"caredesk's own words never ask for a report", withReply(acknowledgement, 401), bridgesim.Reply{
			Kind: "message", Source: "twitter", Ticket: 12, Text: acknowledgement.Text,
			InReplyTo: about, IdempotencyKey: "caredesk-92", ID: "bridge-1",
		}},
		{"nor does the satisfaction question", withReply(question, 402), bridgesim.Reply{
			Kind: "csat_request", Source: "twitter", Ticket: 12, Text: question.Text, Scale: &bridgesim.Scale{Min: 1, Max: 5},
			InReplyTo: about, IdempotencyKey: "caredesk-81", ID: "bridge-1",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bridge := startBridge(t, twitterSecret)
			c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
			if _, err := c.Send(testContext(t), tc.out); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := bridge.Replies(); len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Errorf("the bridge took %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRequestsAboutNoTicketAreNotSent(t *testing.T) {
	tests := []struct {
		out  bot.Outgoing
		says string
	}{
		{bot.Outgoing{Conversation: "thread-9", Text: "Your number?", Purpose: bot.ForCall, Key: "caredesk-93"}, "request for a phone number names no ticket"},
		{bot.Outgoing{Conversation: "thread-9", Text: "DM us?", Purpose: bot.ForPrivate, Key: "caredesk-94"}, "invitation to go on in private names no ticket"},
	}
	for _, tc := range tests {
		t.Run(string(tc.out.Purpose), func(t *testing.T) {
			bridge := startBridge(t, twitterSecret)
			c, _ := newClient(t, bridge.ReplyURL(), webhook.ClientOptions{})
			_, err := c.Send(testContext(t), tc.out)
			if !bot.IsPermanent(err) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Send = %v, want a permanent error saying %q", err, tc.says)
			}
			if len(bridge.Attempts()) != 0 {
				t.Errorf("it reached the bridge: %+v", bridge.Attempts())
			}
		})
	}
}

// TestPrivateMessagesJoinTheirTicket is the bridge's side of moving a
// conversation private: the customer's DM comes back with the public
// conversation's id, marked private, with their time zone.
func TestPrivateMessagesJoinTheirTicket(t *testing.T) {
	d := startDesk(t, webhook.Options{})
	bridge := startBridge(t, twitterSecret)
	dm := bridgesim.Complaint{
		ID: "dm-7", ConversationID: "thread-9", Author: bridgesim.Author{ID: "u1", Handle: "jane"},
		Text: "My order number is 1234", Private: true, TimeZone: "Europe/Istanbul",
	}
	if status, body, err := bridge.SendComplaint(d.url, "twitter", dm); err != nil || status != http.StatusAccepted {
		t.Fatalf("answer %d %s %v", status, body, err)
	}
	_, stored := d.receiver.got()
	want := bot.Inbound{
		Source: "webhook:twitter", MessageID: "dm-7", Conversation: "thread-9",
		Customer: bot.Customer{ID: "u1", Handle: "jane"}, Text: "My order number is 1234",
		Network: "X (Twitter)", Private: true, TimeZone: "Europe/Istanbul",
	}
	if len(stored) != 1 || !reflect.DeepEqual(stored[0], want) {
		t.Errorf("stored %+v\nwant %+v", stored, want)
	}
}
