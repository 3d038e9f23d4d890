package bot

import (
	"errors"
	"fmt"
)

// Codes of application errors: the ones whose message is written for the
// agent to read. Any other error is internal, logged, and reaches the agent
// as an apology.
const (
	ECONFLICT  = "conflict"  // the ticket is in a state that does not allow it
	EFORBIDDEN = "forbidden" // someone else has to do it
	EINVALID   = "invalid"   // the request itself is wrong
	ENOTFOUND  = "not_found" // no such ticket
)

// Error is an application error: a code for programs and a sentence for
// people that says what to do.
type Error struct {
	Code    string
	Message string
}

// Error returns the sentence.
func (e *Error) Error() string { return e.Message }

// Errorf returns an application error with a formatted sentence.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, "" for any other.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrorMessage returns the sentence of an application error, "" for any
// other: internal details are not for agents.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
