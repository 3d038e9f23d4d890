package bot

import "time"

// SLA is what a source's customers are promised.
type SLA struct {
	FirstResponse time.Duration
	Resolution    time.Duration // 0: no resolution target
	// BusinessHours counts only business hours toward the targets, for
	// sources the team answers in office hours only.
	BusinessHours bool
}

// Escalation says who is told when a ticket waits, and when.
type Escalation struct {
	// UnclaimedAfter: a ticket still unclaimed this long after it arrived
	// pings the person on duty (out of hours) or the channel (in hours).
	UnclaimedAfter time.Duration
	// BackupAfter: this much later, still unclaimed, the backup is pinged.
	BackupAfter time.Duration
	// Lead is pinged, with the channel, when a first-response target is
	// missed. "" for nobody.
	Lead string
	// Reminders are the shares of the first-response time, in percent,
	// after which the ticket's thread is reminded.
	Reminders []int
	// WeekendNotice is how long before a closed stretch of a day and a half
	// or more (a weekend, a holiday) the team is told who covers it.
	WeekendNotice time.Duration
}

// DefaultEscalation pings after 15 minutes, the backup 15 minutes later,
// reminds at half and four fifths of the time, and announces a weekend an
// hour before it starts.
func DefaultEscalation() Escalation {
	return Escalation{UnclaimedAfter: 15 * time.Minute, BackupAfter: 15 * time.Minute, Reminders: []int{50, 80}, WeekendNotice: time.Hour}
}
