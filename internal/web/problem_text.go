package web

import "github.com/garda-id/garda/internal/problem"

// problemText is a refusal in the reader's language: the message key the
// domain package named (problem.Error.Keyed), its Label arguments shown as
// their labels. A refusal without a key, or with one the message files do
// not define, gets a generic sentence in the reader's language naming the
// field, never the English words the API answers with.
func (rq *req) problemText(pe *problem.Error) string {
	if pe.Key != "" && hasMessage(pe.Key) {
		args := make([]any, len(pe.Args))
		for i, a := range pe.Args {
			if l, ok := a.(problem.Label); ok {
				a = rq.L(l.Group, l.Value)
			}
			args[i] = a
		}
		return rq.T(pe.Key, args...)
	}
	switch {
	case pe.Field != "":
		return rq.T("problem.field", pe.Field)
	case pe.Code == problem.Forbidden:
		return rq.T("problem.forbidden")
	case pe.Code == problem.Conflict:
		return rq.T("problem.conflict")
	}
	return rq.T("problem.other")
}
