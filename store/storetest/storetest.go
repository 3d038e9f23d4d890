// Package storetest is the contract every bot.Store keeps: what the core may
// rely on whichever database is underneath. A store's own tests call Run.
package storetest

import (
	"testing"
	"time"

	"caredesk/bot"
)

// Run tests the store that open returns. open is called once per subtest and
// must return an empty store; closing it is open's job (t.Cleanup).
//
// Times are written with microsecond precision, the finest that PostgreSQL
// keeps, and in a zone other than UTC: a store must hand back the same
// instant, in UTC.
func Run(t *testing.T, open func(t *testing.T) bot.Store) {
	tests := []struct {
		name string
		test func(*testing.T, bot.Store)
	}{
		{"TicketRoundTrip", testTicketRoundTrip},
		{"SaveTicket", testSaveTicket},
		{"TicketNumbers", testTicketNumbers},
		{"NotFound", testNotFound},
		{"TicketByThread", testTicketByThread},
		{"LatestTicket", testLatestTicket},
		{"CustomerTicket", testCustomerTicket},
		{"TicketByPost", testTicketByPost},
		{"OpenTickets", testOpenTickets},
		{"OpenTicketsOfTeams", testOpenTicketsOfTeams},
		{"TicketTeams", testTicketTeams},
		{"FormerThreads", testFormerThreads},
		{"TicketsOpened", testTicketsOpened},
		{"CountOpened", testCountOpened},
		{"FirstOpened", testFirstOpened},
		{"OpenCounts", testOpenCounts},
		{"MessageRoundTrip", testMessageRoundTrip},
		{"Messages", testMessages},
		{"SameReplies", testSameReplies},
		{"MessageBySource", testMessageBySource},
		{"MessageByDeskRef", testMessageByDeskRef},
		{"Attachments", testAttachments},
		{"KeptAttachments", testKeptAttachments},
		{"MissingTicket", testMissingTicket},
		{"FirstSight", testFirstSight},
		{"Rollback", testRollback},
		{"PanicRollsBack", testPanicRollsBack},
		{"ViewIsReadOnly", testViewIsReadOnly},
		{"DeliveryRoundTrip", testDeliveryRoundTrip},
		{"OutboxFIFO", testOutboxFIFO},
		{"DueDestinations", testDueDestinations},
		{"OutboxLanes", testOutboxLanes},
		{"PauseDestination", testPauseDestination},
		{"Leases", testLeases},
		{"OutboxModel", testOutboxModel},
		{"PostponeDelivery", testPostponeDelivery},
		{"HurryDeliveries", testHurryDeliveries},
		{"DeliveryIDsNotReused", testDeliveryIDsNotReused},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"UpdatesTogether", testUpdatesTogether},
		{"Timers", testTimers},
		{"RotaChanges", testRotaChanges},
		{"RotaChangesOfTeams", testRotaChangesOfTeams},
		{"SurgeRoundTrip", testSurgeRoundTrip},
		{"EndSurge", testEndSurge},
		{"SurgePeak", testSurgePeak},
		{"SurgesOfAPeriod", testSurgesOfAPeriod},
		{"CurrentStorm", testCurrentStorm},
		{"ListingRoundTrip", testListingRoundTrip},
		{"Parked", testParked},
		{"Unlisted", testUnlisted},
		{"DigestNumbers", testDigestNumbers},
		{"LastDigest", testLastDigest},
		{"SaveDigest", testSaveDigest},
		{"DigestsSince", testDigestsSince},
		{"DigestListings", testDigestListings},
		{"FreshDeliveries", testFreshDeliveries},
		{"FreshDue", testFreshDue},
		{"OldestDue", testOldestDue},
		{"DueLanes", testDueLanes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

// t0 is a Saturday 03:00 in Istanbul, with microseconds.
var t0 = time.Date(2025, 3, 8, 3, 0, 0, 123456000, time.FixedZone("+03", 3*60*60))

func update(t *testing.T, s bot.Store, fn func(bot.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s bot.Store, fn func(bot.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// checkTime reports whether got is want: the same instant, in UTC, and zero
// only when want is zero.
func checkTime(t *testing.T, field string, got, want time.Time) bool {
	t.Helper()
	switch {
	case want.IsZero() && !got.IsZero():
		t.Errorf("%s = %v, want the zero time", field, got)
	case !got.Equal(want):
		t.Errorf("%s = %v, want %v", field, got, want)
	case got.Location() != time.UTC:
		t.Errorf("%s is in %v, want UTC", field, got.Location())
	default:
		return true
	}
	return false
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, bot.ErrorCode(err), bot.ENOTFOUND)
		return
	}
	if bot.ErrorMessage(err) == "" {
		t.Errorf("%s: ENOTFOUND without a sentence for the agent", what)
	}
}
