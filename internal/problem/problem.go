// Package problem is the catalogue of errors a user can see. Each has a
// stable code that API clients may switch on; the HTTP status and the
// message follow from it. Domain packages return these; the web package
// renders them. Nothing here may carry a secret or another region's data.
package problem

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code.
type Code string

// The catalogue. Add codes here, never inline elsewhere.
const (
	BadRequest       Code = "bad_request"
	InvalidJSON      Code = "invalid_json"
	UnknownField     Code = "unknown_field"
	WrongType        Code = "wrong_type"
	BodyTooLarge     Code = "body_too_large"
	UnsupportedMedia Code = "unsupported_media_type"
	Invalid          Code = "validation_failed"
	Unauthorized     Code = "unauthorized"
	Forbidden        Code = "forbidden"
	NotFound         Code = "not_found"
	MethodNotAllowed Code = "method_not_allowed"
	Conflict         Code = "conflict"
	TooManyAttempts  Code = "too_many_attempts"
	CSRF             Code = "csrf_failed"
	Unavailable      Code = "unavailable"
	Internal         Code = "internal"
)

var statuses = map[Code]int{
	BadRequest: http.StatusBadRequest, InvalidJSON: http.StatusBadRequest, UnknownField: http.StatusBadRequest,
	WrongType: http.StatusBadRequest, Invalid: http.StatusBadRequest,
	BodyTooLarge: http.StatusRequestEntityTooLarge, UnsupportedMedia: http.StatusUnsupportedMediaType,
	Unauthorized: http.StatusUnauthorized, Forbidden: http.StatusForbidden, CSRF: http.StatusForbidden,
	NotFound: http.StatusNotFound, MethodNotAllowed: http.StatusMethodNotAllowed, Conflict: http.StatusConflict,
	TooManyAttempts: http.StatusTooManyRequests, Unavailable: http.StatusServiceUnavailable,
	Internal: http.StatusInternalServerError,
}

// Codes lists the catalogue (for the OpenAPI document and its test).
func Codes() []Code {
	out := make([]Code, 0, len(statuses))
	for c := range statuses {
		out = append(out, c)
	}
	return out
}

// Error is an error a user may see.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Key names the same message in the UI's message files
	// (internal/web/messages), with Args for its verbs: the API answers
	// Message, the pages show the key's text in the reader's language.
	Key  string `json:"-"`
	Args []any  `json:"-"`
}

// Keyed names the message key the UI shows for e, with its arguments
// (a Label argument is shown as its label), and returns e.
func (e *Error) Keyed(key string, args ...any) *Error {
	e.Key, e.Args = key, args
	return e
}

// Label is a message argument that is a code with a label of its own in
// the UI (a status, a role, a reason): the UI shows the message key
// Group+"."+Value, the API the Value.
type Label struct{ Group, Value string }

func (l Label) String() string { return l.Value }

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Status is the HTTP status for the error's code.
func (e *Error) Status() int {
	if s, ok := statuses[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// New makes an error with a code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field makes a validation error about one input field.
func Field(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// As finds the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	e := As(err)
	return e != nil && e.Code == code
}
