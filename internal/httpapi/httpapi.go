// Package httpapi holds the conventions every Garda JSON endpoint follows:
// strict request decoding (one object, known fields, right types, bounded
// size), error bodies with the problem catalogue's codes, and cursor
// pagination. Handlers use it so that no endpoint invents its own.
package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/garda-id/garda/internal/problem"
)

// MaxBody is the largest JSON body accepted by default.
const MaxBody = 1 << 20

// Decode reads one JSON object into dst. It refuses other media types,
// bodies over limit bytes, unknown fields, wrong types and trailing data,
// each with its own code and a message that names the field.
func Decode(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem.New(problem.UnsupportedMedia, "send JSON with Content-Type: application/json (got %q)", ct)
		}
	}
	if limit <= 0 {
		limit = MaxBody
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, limit)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return problem.New(problem.BodyTooLarge, "request body is larger than %d bytes", limit)
		}
		return problem.New(problem.InvalidJSON, "request body must hold exactly one JSON object")
	}
	return nil
}

func decodeError(err error, limit int64) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return problem.New(problem.BodyTooLarge, "request body is larger than %d bytes", limit)
	case errors.As(err, &syntax):
		return problem.New(problem.InvalidJSON, "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.Is(err, io.EOF):
		return problem.New(problem.InvalidJSON, "request body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.New(problem.InvalidJSON, "malformed JSON: the body ends early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return problem.New(problem.WrongType, "request body must be a JSON object, not %s", typ.Value)
		}
		e := problem.New(problem.WrongType, "field %q must be %s, not %s", field, jsonType(typ.Type.Kind().String()), typ.Value)
		e.Field = field
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := problem.New(problem.UnknownField, "unknown field %q", name)
		e.Field = name
		return e
	}
	return problem.New(problem.InvalidJSON, "cannot read the request body: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float") {
		return "a number"
	}
	return kind
}

// Write sends v as JSON with a status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// Fail sends err as {"error":{"code","message"}}. An error outside the
// catalogue is logged and shown as "internal", never with its text.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := problem.As(err)
	switch {
	case p == nil && Unreachable(err):
		// The database (or another service the request needs) did not
		// answer: nothing was done, and the client should come back.
		log.WarnContext(r.Context(), "request refused: a service it needs is unreachable", "method", r.Method, "path", r.URL.Path, "err", err)
		p = problem.New(problem.Unavailable, "the service is briefly unavailable (its database or bus did not answer); nothing was changed: retry in a few seconds")
	case p == nil:
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p = problem.New(problem.Internal, "something went wrong on the server; it has been logged")
	}
	if w.Header().Get("Retry-After") == "" {
		switch p.Code {
		case problem.TooManyAttempts:
			w.Header().Set("Retry-After", "60")
		case problem.Unavailable:
			w.Header().Set("Retry-After", "5")
		}
	}
	Write(w, p.Status(), map[string]*problem.Error{"error": p})
}

// Page is a requested page of a list: ?limit=&cursor=.
type Page struct {
	Limit  int
	Cursor string // opaque to clients; the list decides what it holds
}

// DefaultLimit and MaxLimit bound every list.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ParsePage reads limit and cursor, refusing malformed values.
func ParsePage(r *http.Request) (Page, error) {
	p := Page{Limit: DefaultLimit}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return p, problem.New(problem.BadRequest, "limit must be a whole number from 1 to %d", MaxLimit)
		}
		p.Limit = n
	}
	if s := r.URL.Query().Get("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) == 0 || len(b) > 200 {
			return p, problem.New(problem.BadRequest, "cursor is not one this server gave out")
		}
		p.Cursor = string(b)
	}
	return p, nil
}

// IDCursor reads the cursor as the id a descending list continues below (0 = from the top).
func (p Page) IDCursor() (int64, error) {
	if p.Cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(p.Cursor, 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.New(problem.BadRequest, "cursor is not one this server gave out")
	}
	return id, nil
}

// EncodeCursor makes the opaque next_cursor for a position.
func EncodeCursor(pos string) string {
	if pos == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(pos))
}

// List is the shape of every list response.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// NewList makes a page from up to limit+1 fetched items: the extra one only
// says there is more, and pos gives the cursor for the last item kept.
func NewList[T any](items []T, limit int, pos func(T) string) List[T] {
	if items == nil {
		items = []T{}
	}
	l := List[T]{Items: items}
	if len(items) > limit {
		l.Items = items[:limit]
		l.NextCursor = EncodeCursor(pos(items[limit-1]))
	}
	return l
}

// IDPos is the cursor position of an item identified by a numeric id.
func IDPos(id int64) string { return fmt.Sprint(id) }

// BoolParam reads a yes/no query parameter: absent, "false" or "0" is
// false, "true" or "1" true, anything else an invalid field naming it.
func BoolParam(r *http.Request, name string) (bool, error) {
	switch r.URL.Query().Get(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, problem.Field(name, "must be true or false")
}

// ListByID answers a list read whose pages are cut on numeric ids, newest
// first: it reads ?limit= and ?cursor=, asks list for the items before that
// id (up to limit+1 of them, the extra one saying there is more), and
// writes the page with the next cursor at the last item's id.
func ListByID[T any](w http.ResponseWriter, r *http.Request, id func(T) int64, list func(before int64, limit int) ([]T, error)) error {
	page, err := ParsePage(r)
	if err != nil {
		return err
	}
	before, err := page.IDCursor()
	if err != nil {
		return err
	}
	items, err := list(before, page.Limit)
	if err != nil {
		return err
	}
	Write(w, http.StatusOK, NewList(items, page.Limit, func(t T) string { return IDPos(id(t)) }))
	return nil
}

// Unreachable reports whether err says a service a request needs (the
// database, the bus) could not be reached or dropped the connection, as
// opposed to a fault in the request or the code: such a request is
// answered 503 with Retry-After, not 500.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// pgx says so in words when a pooled connection died under a query.
	msg := err.Error()
	for _, s := range []string{"conn closed", "failed to connect", "connection refused", "connection reset", "unexpected EOF", "broken pipe", "no connection to the server"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
