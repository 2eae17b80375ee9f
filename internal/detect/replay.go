package detect

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
)

// ReplayOptions configure an offline replay.
type ReplayOptions struct {
	Format  format.Format
	Asset   string // stamped on every event (its id as text), optional
	Region  string
	Workers int // parallel inspectors; 0 = GOMAXPROCS
	// Evidence is how many events each alert keeps (at most
	// alert.MaxEvidence); 0 = 3.
	Evidence int
	// PerEvent, when set, is called for every event that raised a
	// signal, with those signals, in the order the scenarios saw them
	// (time order within ReorderWindow).
	PerEvent func(ev *event.Event, sigs []alert.Signal)
}

// ReplayResult is what a replay read and found.
type ReplayResult struct {
	Lines    int64                    `json:"lines"`
	Accepted int64                    `json:"accepted"`
	Rejected [ingest.NumReasons]int64 `json:"-"`
	Alerts   []*alert.Alert           `json:"-"`
}

// RejectedTotal sums the rejected lines.
func (r ReplayResult) RejectedTotal() int64 {
	var n int64
	for _, v := range r.Rejected {
		n += v
	}
	return n
}

// MaxLine is the longest line a replay accepts; longer ones are rejected.
const MaxLine = 1 << 20

// blockSize is how much a block reads: the unit of work a worker takes.
// Small enough that a hostile log (about a millisecond of CRS per line,
// some 300 lines per 64 KiB) still spreads over every worker: with 1 MiB
// blocks a 5,000-line hostile log was one or two blocks, so replay ran on
// one core (BenchmarkReplay/hostile: 1,055 lines/s wall for 1,098 per
// CPU-second). On benign lines a block is still some 300 of them, whose
// hand-over costs nothing beside their inspection.
const blockSize = 64 << 10

// item is one accepted line's event and what inspection found in it.
type item struct {
	ev event.Event
	f  Finding
}

// block is a run of whole lines and, once inspected, their events.
type block struct {
	seq      int
	data     []byte
	first    int64       // line number of the first line
	items    []*item     // handed to the shard and back (observeHeld)
	times    []eventTime // the items' times
	lines    int64
	rejected [ingest.NumReasons]int64
}

// A block's buffer holds a read (blockSize) after the unfinished line of
// the read before (at most MaxLine bytes).
var blockPool = sync.Pool{New: func() any { return &block{data: make([]byte, 0, blockSize+MaxLine+2)} }}

// Replay reads a log, detects over it in parallel, and in time order for
// the behaviour scenarios, and returns the aggregated alerts.
func (e *Engine) Replay(ctx context.Context, r io.Reader, opts ReplayOptions) (ReplayResult, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan *block, workers*2)
	done := make(chan *block, workers*2)
	// Blocks in flight, whatever their order: a slow block cannot let the
	// others pile up behind it in memory.
	tokens := make(chan struct{}, workers*4)
	var readErr error
	go func() {
		defer close(todo)
		readErr = split(ctx, r, todo, tokens)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := e.NewInspector()
			p := ingest.Parser{Format: opts.Format, Asset: opts.Asset, Region: opts.Region}
			for b := range todo {
				e.inspectBlock(in, &p, b)
				select {
				case done <- b:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	// In order: behaviour scenarios and aggregation.
	var res ReplayResult
	shard := e.NewShard()
	if opts.Evidence <= 0 {
		opts.Evidence = 3
	}
	agg := alert.NewAggregatorKeeping(opts.Evidence)
	pending := map[int]*block{}
	next := 0
	var sigs []alert.Signal
	// take adds the signals to their alerts, and tells PerEvent of them
	// event by event (an Observe may release several).
	var take func()
	// An event's signals come together: those of the events before are
	// taken at once, so that sigs stays short when a Flush releases a whole
	// log's events (a hostile log's 30,000 lie within the reorder window;
	// growing sigs to their 35,000 signals was a third of Flush's time).
	emit := func(s alert.Signal) {
		if n := len(sigs); n > 0 && sigs[n-1].Event != s.Event {
			take()
		}
		sigs = append(sigs, s)
	}
	take = func() {
		for i := 0; i < len(sigs); {
			j := i + 1
			for j < len(sigs) && sigs[j].Event == sigs[i].Event {
				j++
			}
			for _, s := range sigs[i:j] {
				agg.Add(s)
			}
			if opts.PerEvent != nil {
				opts.PerEvent(sigs[i].Event, sigs[i:j])
			}
			i = j
		}
		sigs = sigs[:0]
	}
	for b := range done {
		pending[b.seq] = b
		for {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			res.Lines += b.lines
			for i := range b.rejected {
				res.Rejected[i] += b.rejected[i]
			}
			for i, it := range b.items {
				res.Accepted++
				b.items[i] = shard.observeHeld(it, b.times[i], emit)
				take()
			}
			b.items, b.times = b.items[:0], b.times[:0]
			blockPool.Put(b)
			<-tokens
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if readErr != nil {
		return res, readErr
	}
	if err := e.CRSReady(); err != nil {
		return res, err // no event was inspected by CRS: the findings are not whole
	}
	flush(shard, &sigs, take)
	res.Alerts = agg.Alerts()
	return res, nil
}

// flushBatch is how many signals flush hands over at a time (at least).
const flushBatch = 256

// flush feeds the scenarios the events the shard still holds, on this
// goroutine, while take adds their signals to the alerts on another, in
// the same order: the workers are done, and a log whose lines all lie
// within the reorder window (a hostile log's 30,000) is held whole until
// here, so this is the replay's serial tail. A batch ends between two
// events, never within one (take groups an event's signals), and the
// events stay valid until the next Observe, which never comes.
func flush(shard *Shard, sigs *[]alert.Signal, take func()) {
	batches := make(chan []alert.Signal, 8)
	taken := make(chan struct{})
	go func() {
		defer close(taken)
		for b := range batches {
			*sigs = b
			take()
		}
	}()
	var batch []alert.Signal
	shard.Flush(func(s alert.Signal) {
		if n := len(batch); n >= flushBatch && batch[n-1].Event != s.Event {
			batches <- batch
			batch = make([]alert.Signal, 0, 2*flushBatch)
		}
		batch = append(batch, s)
	})
	batches <- batch
	close(batches)
	<-taken
}

// inspectBlock parses and inspects every line of a block.
func (e *Engine) inspectBlock(in *Inspector, p *ingest.Parser, b *block) {
	data := b.data
	n := b.first
	// Lines are parsed from strings of up to chunkSize bytes of whole
	// lines, one allocation per chunk rather than per line (a fifth of the
	// parser's CPU on genlog's benign lines went to that allocation). An
	// event kept as evidence holds its chunk, so chunks stay small.
	// Formats that are no format.StringParser parse from the block's bytes.
	_, chunked := p.Format.(format.StringParser)
	var chunk string
	chunkStart, chunkEnd := 0, 0 // where chunk lies in b.data
	for pos := 0; pos < len(data); {
		start := pos
		nl := bytes.IndexByte(data[pos:], '\n')
		end := len(data)
		if nl >= 0 {
			end = pos + nl
			pos = end + 1
		} else {
			pos = len(data)
		}
		if end > start && data[end-1] == '\r' {
			end--
		}
		n++
		if end == start {
			continue
		}
		b.lines++
		if end-start > MaxLine {
			b.rejected[ingest.TooLong]++
			continue
		}
		if chunked && (start < chunkStart || end > chunkEnd) {
			chunkStart, chunkEnd = start, chunkLimit(data, start, end)
			chunk = string(data[chunkStart:chunkEnd])
		}
		if len(b.items) == cap(b.items) {
			b.items = append(b.items, nil)
		} else {
			b.items = b.items[:len(b.items)+1]
		}
		it := b.items[len(b.items)-1]
		if it == nil {
			it = &item{}
			b.items[len(b.items)-1] = it
		}
		var err error
		if chunked {
			err = p.ParseString(chunk[start-chunkStart:end-chunkStart], &it.ev)
		} else {
			err = p.Parse(data[start:end], &it.ev)
		}
		if err != nil {
			b.rejected[ingest.ReasonOf(err)]++
			b.items = b.items[:len(b.items)-1]
			continue
		}
		it.ev.Line = n
		in.Inspect(&it.ev, &it.f)
		b.times = append(b.times, timeOf(&it.ev))
	}
}

// chunkSize is how many bytes of lines inspectBlock converts to a string at
// once: some 16 access-log lines.
const chunkSize = 4 << 10

// chunkLimit is where the chunk that starts with the line data[start:end]
// ends: after the last whole line within chunkSize bytes, and never
// before end.
func chunkLimit(data []byte, start, end int) int {
	limit := start + chunkSize
	if limit >= len(data) {
		return len(data)
	}
	if nl := bytes.LastIndexByte(data[start:limit], '\n'); nl >= 0 && start+nl >= end {
		return start + nl
	}
	return end
}

// split cuts the input into blocks of whole lines, reading straight into
// each block's buffer. A line longer than MaxLine is passed on cut to
// MaxLine+1 bytes (enough for the inspector to reject it) however long it
// is, and the rest of it is skipped without being held.
func split(ctx context.Context, r io.Reader, out chan<- *block, tokens chan struct{}) error {
	seq := 0
	var line int64
	var carry []byte  // the start of a line that continues in the next read
	skipping := false // inside an over-long line: drop bytes to its end
	for {
		b := blockPool.Get().(*block)
		b.seq, b.first, b.lines, b.rejected = seq, line, 0, [ingest.NumReasons]int64{}
		b.data = append(b.data[:0], carry...)
		n, err := io.ReadFull(r, b.data[len(b.data):len(b.data)+blockSize])
		b.data = b.data[:len(b.data)+n]
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return err
		}
		if skipping {
			nl := bytes.IndexByte(b.data, '\n')
			if nl < 0 && !eof {
				blockPool.Put(b)
				continue
			}
			skipping = false
			if nl >= 0 {
				b.data = b.data[:copy(b.data, b.data[nl+1:])]
			} else {
				b.data = b.data[:0]
			}
		}
		cut := len(b.data)
		if !eof {
			cut = bytes.LastIndexByte(b.data, '\n') + 1
		}
		if rest := b.data[cut:]; len(rest) > MaxLine {
			b.data = append(b.data[:cut+MaxLine+1], '\n')
			carry, skipping = carry[:0], true
		} else {
			carry = append(carry[:0], rest...)
			b.data = b.data[:cut]
		}
		if len(b.data) > 0 {
			seq++
			line += int64(bytes.Count(b.data, []byte{'\n'}))
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else {
			blockPool.Put(b)
		}
		if eof {
			return nil
		}
	}
}
