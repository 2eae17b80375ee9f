package web

import (
	"net/http"

	"github.com/garda-id/garda/internal/store"
)

// Handler is the server made from d on db (d.DB is replaced), as its
// handler: the shape package webtest builds its test worlds from
// (web.Deps{...}.Handler), since webtest cannot import web, whose own tests
// use it too.
func (d Deps) Handler(db *store.DB) (http.Handler, error) {
	d.DB = db
	s, err := New(d)
	if err != nil {
		return nil, err
	}
	return s.Handler(), nil
}
