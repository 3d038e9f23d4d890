package bot

import "time"

// Surge is a spike of one source's complaints, as the desk channel was
// told of it: kept for the weekly digest, which says what the week's
// surges were.
type Surge struct {
	ID      int64
	Source  string    // the source's name, like "telegram"
	Started time.Time // when the alert was posted
	Ended   time.Time // when it was calming down; zero while it lasts
	Peak    int       // the most complaints in a window while it lasted
	Usual   float64   // the usual count of the window when it started
	About   string    // what it was about, as the alert said it: “fatura” (28), …
}
