// Package pipeline carries the live log stream: accepted lines go onto the
// bus, split into partitions by client address, and each partition is
// detected by one instance at a time (the holder of its lease), so one
// client's requests always meet the same windowed state. Nothing counts as
// accepted before JetStream has stored it.
package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"net/netip"
	"strconv"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
)

// Partitions is how many ways the event stream is split.
const Partitions = 8

// Message headers of an event batch.
const (
	headerAsset  = "Garda-Asset"
	headerRegion = "Garda-Region"
	headerFormat = "Garda-Format"
	headerBatch  = "Garda-Batch"
	headerSender = "Garda-Sender"
	// A drill's batch names its run and its place in the run (from 1),
	// and its last batch says so.
	headerDrill = "Garda-Drill"
	headerPart  = "Garda-Drill-Part"
	headerLast  = "Garda-Drill-Last"
)

// maxMessage bounds one bus message (JetStream's default limit is 1 MiB).
const maxMessage = 512 << 10

// partitionOf spreads clients over the partitions with a fixed hash
// (FNV-1a), so every instance that ingests sends a client to the same one.
func partitionOf(ip netip.Addr) int {
	if !ip.IsValid() {
		return 0
	}
	h := fnv.New32a()
	b := ip.As16()
	h.Write(b[:])
	return int(h.Sum32() % Partitions)
}

// Source says where lines come from.
type Source struct {
	AssetID int64
	Region  string
	Format  format.Format
	// Sender is who sent the lines (sender.Sender's String) and Batch the
	// server's id of the batch they came in: the events carry both, so
	// that what detection makes of them can say whose lines it was.
	Sender string
	Batch  string
}

// Result counts what became of the lines of one Publish.
type Result struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
}

// Publish parses lines (to refuse what no format reads and to learn each
// line's client), and publishes the accepted ones to their partitions,
// returning once JetStream has stored every message. A non-empty batchID
// names the batch: sent again within the bus's duplicate window (a retry
// after a lost answer), its messages are recognised and not stored twice.
// It is the sender's own id, so it counts within src.Sender only: one
// sender cannot have another's batch taken for a retry.
// counters may be nil.
func Publish(ctx context.Context, b *bus.Bus, src Source, lines []Line, batchID string, counters *ingest.Counters) (Result, error) {
	var res Result
	p := ingest.Parser{Format: src.Format, Counters: counters}
	bodies := make([]*bytes.Buffer, Partitions)
	chunks := make([]int, Partitions)
	var msgs []bus.Msg
	asset := strconv.FormatInt(src.AssetID, 10)
	flush := func(part int) {
		if bodies[part] == nil || bodies[part].Len() == 0 {
			return
		}
		m := bus.Msg{
			Subject: b.Subject(bus.Events, "p"+strconv.Itoa(part), asset),
			Data:    bytes.Clone(bodies[part].Bytes()),
			Header: map[string][]string{
				headerAsset: {asset}, headerRegion: {src.Region}, headerFormat: {src.Format.Name()},
				headerBatch: {src.Batch}, headerSender: {src.Sender},
			},
		}
		if batchID != "" {
			m.ID = fmt.Sprintf("%s|%s/%d/%d", src.Sender, batchID, part, chunks[part])
		}
		chunks[part]++
		msgs = append(msgs, m)
		bodies[part].Reset()
	}
	var ev event.Event
	for _, l := range lines {
		if len(l.Text) == 0 {
			continue
		}
		if len(l.Text)+32 > maxMessage {
			// No message could carry it: refused like any over-long line.
			counters.Reject(ingest.TooLong)
			res.Rejected++
			continue
		}
		if p.Parse(l.Text, &ev) != nil {
			res.Rejected++
			continue
		}
		part := partitionOf(ev.IP)
		if bodies[part] == nil {
			bodies[part] = &bytes.Buffer{}
		}
		if bodies[part].Len()+len(l.Text)+32 > maxMessage {
			flush(part)
		}
		appendLine(bodies[part], l)
		res.Accepted++
	}
	for part := range bodies {
		flush(part)
	}
	if len(msgs) == 0 {
		return res, nil
	}
	if _, err := b.PublishBatch(ctx, msgs); err != nil {
		return Result{Rejected: res.Rejected}, fmt.Errorf("store events on the bus: %w", err)
	}
	return res, nil
}

// appendLine writes one line of a batch's body: its number, a tab, the
// line.
func appendLine(body *bytes.Buffer, l Line) {
	body.WriteString(strconv.FormatInt(l.N, 10))
	body.WriteByte('\t')
	body.Write(l.Text)
	body.WriteByte('\n')
}

// PublishDrill publishes a drill run's traffic on the drills stream, never
// on the events stream: the batches are encoded as Publish encodes them,
// marked with the run and their place in it, in order, the last one saying
// it is the last (a run without lines is one empty last batch). Every line
// goes, parsed or not: the drill detector parses them and counts the
// rejected ones as live detection does. Published again (a retry), a
// batch is not stored twice within the bus's duplicate window, and the
// drill detector counts a run's batch once whenever it comes.
func PublishDrill(ctx context.Context, b *bus.Bus, run int64, src Source, lines []Line) (batches int, err error) {
	if run <= 0 {
		return 0, fmt.Errorf("publish drill: no run")
	}
	var bodies [][]byte
	var body bytes.Buffer
	for _, l := range lines {
		if len(l.Text) == 0 {
			continue
		}
		if len(l.Text)+32 > maxMessage {
			continue // no message could carry it, as in Publish
		}
		if body.Len()+len(l.Text)+32 > maxMessage {
			bodies = append(bodies, bytes.Clone(body.Bytes()))
			body.Reset()
		}
		appendLine(&body, l)
	}
	bodies = append(bodies, bytes.Clone(body.Bytes()))
	asset, id := strconv.FormatInt(src.AssetID, 10), strconv.FormatInt(run, 10)
	for i, data := range bodies {
		h := map[string][]string{
			headerAsset: {asset}, headerRegion: {src.Region}, headerFormat: {src.Format.Name()},
			headerBatch: {src.Batch}, headerSender: {src.Sender}, headerDrill: {id}, headerPart: {strconv.Itoa(i + 1)},
		}
		if i == len(bodies)-1 {
			h[headerLast] = []string{"1"}
		}
		// One at a time: the run's batches are stored in their order.
		if _, err := b.Publish(ctx, b.Subject(bus.Drills, "r"+id), data, bus.WithMsgID(fmt.Sprintf("drill|%d/%d", run, i)),
			withHeaders(h)); err != nil {
			return i, fmt.Errorf("store drill run %d's traffic on the bus: %w", run, err)
		}
	}
	return len(bodies), nil
}

func withHeaders(h map[string][]string) bus.PublishOption {
	return func(m *bus.Msg) { m.Header = h }
}

// Lines wraps raw lines whose numbers in their source are unknown.
func Lines(raw [][]byte) []Line {
	out := make([]Line, len(raw))
	for i, t := range raw {
		out[i] = Line{Text: t}
	}
	return out
}

// Batch is one bus message of events, decoded.
type Batch struct {
	AssetID int64
	Region  string
	Format  string
	ID      string // the server's id of the batch the lines came in ("" before senders were recorded)
	Sender  string // who sent them
	// Drill is the drill run the batch is traffic of (0: real traffic),
	// Part its place in the run (from 1), and Last says it is the run's
	// last batch.
	Drill int64
	Part  int64
	Last  bool
	Lines []Line
}

// Line is one raw log line with its number in its source.
type Line struct {
	N    int64
	Text []byte
}

// Decode reads a message written by Publish.
func Decode(m bus.Msg) (Batch, error) {
	var bt Batch
	get := func(k string) string {
		if v := m.Header[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	id, err := strconv.ParseInt(get(headerAsset), 10, 64)
	if err != nil {
		return bt, fmt.Errorf("event batch without an asset id: %w", err)
	}
	bt.AssetID, bt.Region, bt.Format = id, get(headerRegion), get(headerFormat)
	bt.ID, bt.Sender = get(headerBatch), get(headerSender)
	if v, ok := m.Header[headerDrill]; ok {
		// Marked as a drill's: a mark that does not read is still a mark,
		// never taken for real traffic.
		if len(v) == 0 || v[0] == "" {
			return bt, fmt.Errorf("event batch with an empty drill mark")
		}
		if bt.Drill, err = strconv.ParseInt(v[0], 10, 64); err != nil || bt.Drill <= 0 {
			return bt, fmt.Errorf("event batch with a bad drill mark %q", v[0])
		}
		if bt.Part, err = strconv.ParseInt(get(headerPart), 10, 64); err != nil || bt.Part <= 0 {
			return bt, fmt.Errorf("drill run %d's batch without its place in the run", bt.Drill)
		}
		bt.Last = get(headerLast) == "1"
	}
	data := m.Data
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			nl = len(data)
		}
		rec := data[:nl]
		data = data[min(nl+1, len(data)):]
		tab := bytes.IndexByte(rec, '\t')
		if tab < 0 {
			return bt, fmt.Errorf("event batch: malformed record")
		}
		n, err := strconv.ParseInt(string(rec[:tab]), 10, 64)
		if err != nil {
			return bt, fmt.Errorf("event batch: bad line number: %w", err)
		}
		bt.Lines = append(bt.Lines, Line{N: n, Text: rec[tab+1:]})
	}
	return bt, nil
}
