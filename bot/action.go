package bot

import "time"

// Verb is what an agent asks caredesk to do.
type Verb string

// The verbs agents use. DoSay is a message written inside a ticket's thread:
// the core decides whether it goes to the customer or stays a note.
const (
	DoClaim    Verb = "claim"
	DoReply    Verb = "reply"
	DoNote     Verb = "note"
	DoTransfer Verb = "transfer"
	DoResolve  Verb = "resolve"
	DoShow     Verb = "show"
	DoList     Verb = "list"
	DoSay      Verb = "say"
	DoSLA      Verb = "sla"           // open tickets by time left to the first answer
	DoRota     Verb = "rota"          // who is on duty now and next
	DoRotaWeek Verb = "rota week"     // the coming seven days
	DoOverride Verb = "rota override" // put To on duty From–Until
	DoSwap     Verb = "rota swap"     // exchange To's and Other's next shifts
	DoUndo     Verb = "rota undo"     // take back the newest rota change
	DoCall     Verb = "call"          // ask the customer for a number to call them on
	DoCallDone Verb = "call done"     // record a call made, with what was agreed (Text)
	DoPrivate  Verb = "private"       // move a public conversation to a private one
	DoEdit     Verb = "edit"          // an agent changed their message Ref in a ticket's thread to Text
	DoDelete   Verb = "delete"        // an agent deleted their message Ref in a ticket's thread
	DoMove     Verb = "move"          // give the ticket to another team (Team), in its channel
)

// Action is one thing an agent did on the desk: a slash command, a button,
// an emoji on a ticket's root, or a message in a ticket's thread.
type Action struct {
	Verb   Verb
	Ticket int64  // the ticket's number; 0 when Thread names it
	Thread string // the desk id of the ticket's root, when the action happened on or in it
	// Channel is the desk channel the action happened in: the rota, SLA
	// and list commands answer for its team. Team names a team instead
	// (--team), or where a ticket moves to.
	Channel string
	Team    string
	Agent   Agent // who did it
	To      Agent // the new owner (transfer), who covers (override), one side of a swap
	Other   Agent // the other side of a swap
	// From and Until are an override's range as written on the team's
	// clock: their fields are read as wall-clock time in the team's zone,
	// whatever zone they carry.
	From, Until time.Time
	Text        string // the reply or note
	// Files are what the agent attached to a message in a ticket's
	// thread (From is FromDesk): the owner's go to the customer with the
	// reply; anyone else's stay on the desk.
	Files   []Attachment
	Ref     string // the desk id of the agent's own message (Say), to mark it delivered
	EventID string // the desk's id of the event; a repeated id changes nothing
	// Whisper asks for the answer to be shown to the agent through the desk
	// (an ephemeral message) because the action came without a way to
	// answer it directly, such as an emoji or a button.
	Whisper bool
}

// Result is what caredesk answers an agent: one sentence, or a short list.
type Result struct {
	Text string // "" when there is nothing to say (a duplicate event, a thread that is no ticket)
}
