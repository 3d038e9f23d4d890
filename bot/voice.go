package bot

import "time"

// Phrase names something caredesk itself says to a customer. The words
// come from a Voice, in the customer's language.
type Phrase string

// The phrases caredesk says to customers.
const (
	SayGreeting     Phrase = "greeting"      // the answer to a conversation opener (/start)
	SayAck          Phrase = "ack"           // a new complaint is received: who answers by when ({name}, {due})
	SayAckClosed    Phrase = "ack_closed"    // the same out of business hours ({name}, {due})
	SayRating       Phrase = "rating"        // how did it go? (five choices follow)
	SayFollowUp     Phrase = "follow_up"     // after a low score
	SayCall         Phrase = "call"          // can we call you? ({agent})
	SayCallThanks   Phrase = "call_thanks"   // after the customer shared a number ({agent})
	SayPrivate      Phrase = "private"       // in public: let's go on in private ({agent})
	SayPrivateHello Phrase = "private_hello" // the first message in the private conversation ({name}, {agent})
	SayHandover     Phrase = "handover"      // another person continues ({agent})
	SayFallback     Phrase = "fallback"      // an answer could not be delivered here
	SaySignature    Phrase = "signature"     // appended to an agent's reply ({agent})
)

// Phrases lists every phrase, for catalogues and their checks.
var Phrases = []Phrase{SayGreeting, SayAck, SayAckClosed, SayRating, SayFollowUp, SayCall, SayCallThanks,
	SayPrivate, SayPrivateHello, SayHandover, SayFallback, SaySignature}

// Words are what a phrase's placeholders stand for.
type Words struct {
	Name  string         // the customer's first name ({name}); "" when unknown
	Agent string         // the agent's first name ({agent})
	Due   time.Time      // the first-answer deadline ({due})
	Zone  *time.Location // where Due is written: the customer's zone, else the team's
	Now   time.Time      // so that {due} says "14:30" today and a day's name otherwise
}

// Voice is how caredesk words what it says to customers: a catalogue of
// phrases in many languages, matched to the customer's.
type Voice interface {
	// Say returns phrase p in the language best matching lang (an IETF
	// tag as the network gave it; "" for the team's default), with w
	// filled in; "" means say nothing.
	Say(lang string, p Phrase, w Words) string
	// Cliche returns the stock customer-service phrase text contains, in
	// its language or the team's, or "" when it reads as a person wrote it.
	Cliche(lang, text string) string
}
