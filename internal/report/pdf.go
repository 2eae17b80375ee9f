package report

import "github.com/garda-id/garda/internal/pdfdoc"

// PDF is the one PDF writer Garda has (package pdfdoc), which the takedown
// letters use too.
type PDF = pdfdoc.PDF

// Marking is a label every page carries; see pdfdoc.Marking.
type Marking = pdfdoc.Marking

// NewPDF starts a document with one empty page.
func NewPDF() *PDF { return pdfdoc.New() }
