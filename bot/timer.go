package bot

import "time"

// Alarm is what a timer does when it fires.
type Alarm string

// The alarms of a ticket. Each checks, when it fires, that it still
// applies: a reminder of a ticket already answered says nothing.
const (
	RemindFirstReply Alarm = "remind"          // a share of the first-response time is gone
	EscalatePrimary  Alarm = "escalate"        // still unclaimed: ping whoever is on duty
	EscalateBackup   Alarm = "escalate_backup" // still unclaimed: ping the backup
	BreachFirstReply Alarm = "breach"          // the first-response target passed
	BreachResolution Alarm = "breach_resolution"
	AskForRating     Alarm = "ask_rating" // a while after resolving: how did it go?
)

// Timer is an alarm kept in the store, not in a goroutine, so that it
// survives a restart and fires once: firing deletes it in the same
// transaction that queues its messages.
type Timer struct {
	ID       int64
	TicketID int64
	Alarm    Alarm
	Share    int // for RemindFirstReply: the percentage of the target gone
	DueAt    time.Time
}

// RotaChange is a change of the rota made from the desk (an override or a
// swap): stored, shown to the team, and undoable.
type RotaChange struct {
	ID        int64
	Kind      string // "override", "swap"
	By        string // the agent who made it
	At        time.Time
	Summary   string // what it did, in a sentence
	Overrides []Override
	Team      string // the team whose rota it changes; "" on a desk without teams
}
