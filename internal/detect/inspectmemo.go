package detect

import (
	"encoding/binary"
	"hash/maphash"
	"slices"

	"github.com/garda-id/garda/internal/detect/payload"
	"github.com/garda-id/garda/internal/detect/scenario"
	"github.com/garda-id/garda/internal/detect/sigma"
	"github.com/garda-id/garda/internal/event"
)

// inspectMemo remembers, per inspector, what the checks before CRS found
// in a request (Sigma's rules, the classifier's and Garda's own argument
// checks, and whether the prefilter sends it to CRS). Those depend on the
// event only through the fields of its key, so a request seen again (a
// site's pages and assets, from a handful of browsers: half of genlog's
// benign lines are among its 256 commonest) costs a key and a lookup
// instead of every scan. CRS itself still runs on every suspicious request
// as before, through the verdict cache. A direct-mapped table: a new key
// replaces the one in its slot.
type inspectMemo struct {
	fields []event.Field // what the key holds, besides the dataset
	seed   maphash.Seed
	key    []byte // the last lookup's key
	hash   uint64 // and its hash
	// hashes are the slots' keys' hashes (0: empty), apart, so that a
	// miss reads a small table and not the slot.
	hashes [inspectMemoSlots]uint64
	slots  [inspectMemoSlots]memoSlot
}

type memoSlot struct {
	key        []byte
	sigma      []*sigma.Rule
	classes    scenario.Class
	payload    []payload.Finding
	suspicious bool
}

const (
	inspectMemoSlots = 2048 // a power of two
	inspectMemoKey   = 1024 // a longer key is not remembered
)

// newInspectMemo returns a memo for checks that read sigmaFields and the
// request fields, or nil when the Sigma rules read the client address
// (every client's requests would differ).
func newInspectMemo(sigmaFields []event.Field) *inspectMemo {
	if slices.Contains(sigmaFields, event.SourceIP) {
		return nil
	}
	fields := slices.Clone(sigmaFields)
	for _, f := range []event.Field{event.HTTPMethod, event.URLOriginal, event.URLPath, event.URLQuery,
		event.HTTPVersion, event.URLDomain, event.UserAgent, event.Referrer} {
		if !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	return &inspectMemo{fields: fields, seed: maphash.MakeSeed()}
}

// lookup returns the slot for ev's key and whether it holds ev's finding;
// nil when the key is too long to remember.
func (m *inspectMemo) lookup(ev *event.Event) (*memoSlot, bool) {
	k := binary.AppendUvarint(m.key[:0], uint64(len(ev.Dataset)))
	k = append(k, ev.Dataset...)
	for _, f := range m.fields {
		v := ev.Get(f)
		k = binary.AppendUvarint(k, uint64(len(v)))
		k = append(k, v...)
	}
	m.key = k
	if len(k) > inspectMemoKey {
		return nil, false
	}
	h := maphash.Bytes(m.seed, k) | 1
	i := h & (inspectMemoSlots - 1)
	m.hash = h
	s := &m.slots[i]
	return s, m.hashes[i] == h && string(s.key) == string(k)
}

// store fills the slot the last lookup returned with f's findings and
// the prefilter's answer.
func (m *inspectMemo) store(s *memoSlot, f *Finding, suspicious bool) {
	s.key = append(s.key[:0], m.key...)
	s.sigma = append(s.sigma[:0], f.Sigma...)
	s.classes = f.Classes
	s.payload = append(s.payload[:0], f.Payload...)
	s.suspicious = suspicious
	m.hashes[m.hash&(inspectMemoSlots-1)] = m.hash
}
