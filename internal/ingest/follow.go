package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// FollowOptions configure a Follower.
type FollowOptions struct {
	// FromStart reads what the file already holds first; by default the
	// follower starts at its end, as tail -F does. A file that appears or
	// replaces the followed one later is always read from its start.
	FromStart bool
	// Poll is how often the file is checked for new data, rotation and
	// truncation; 250ms when zero.
	Poll time.Duration
	// Max is the longest line; MaxLine when zero.
	Max int
	// Counters count too-long lines; may be nil.
	Counters *Counters
}

// Follower reads the lines appended to a file as it grows, for
// `garda ingest --follow`, with tail -F's semantics: it waits for a file
// that does not exist yet, and survives rotation both by rename and create
// (it finishes the old file, then reads the new one from its start) and by
// copytruncate (the file shrinking below the position read, it reads again
// from the start). It polls, so it needs no inotify. A partial last line
// waits for its newline, or for a rotation to end it. Leading NUL bytes
// (the hole copytruncate leaves when the writer does not append) are cut
// from a line.
//
// What polling cannot see: a file truncated and refilled past the position
// read within one poll looks merely grown, and its first lines are missed.
type Follower struct {
	path     string
	opt      FollowOptions
	file     *os.File
	info     os.FileInfo
	sp       splitter
	started  bool // a file has been opened once (later ones start at 0)
	draining bool // the path names a new file: finish the old one first
	timer    *time.Timer
}

// Follow follows the file at path. Nothing is opened until the first call
// to Next.
func Follow(path string, opt FollowOptions) *Follower {
	if opt.Poll <= 0 {
		opt.Poll = 250 * time.Millisecond
	}
	return &Follower{path: path, opt: opt, sp: newSplitter(nil, opt.Max, opt.Counters)}
}

// Next returns the next line, valid until the following call. It blocks
// until there is one or ctx is done (then it returns ctx's error).
func (f *Follower) Next(ctx context.Context) ([]byte, error) {
	for {
		if f.file == nil {
			err := f.open()
			if errors.Is(err, fs.ErrNotExist) {
				f.started = true // the file, when it comes, is new: read it all
				if err := f.wait(ctx); err != nil {
					return nil, err
				}
				continue
			}
			if err != nil {
				return nil, err
			}
		}
		line, err := f.sp.next()
		if err == nil {
			return bytes.TrimLeft(line, "\x00"), nil
		}
		if err != io.EOF {
			return nil, fmt.Errorf("follow %s: %w", f.path, err)
		}
		if f.draining {
			// The old file is read to its end: its partial last line is a
			// line, then the new file.
			f.draining = false
			f.closeFile()
			if line, ok := f.sp.flush(); ok {
				return bytes.TrimLeft(line, "\x00"), nil
			}
			continue
		}
		switch moved, err := f.check(); {
		case err != nil:
			return nil, err
		case moved:
			f.draining = true // read what was written before the rename
			continue
		}
		if err := f.wait(ctx); err != nil {
			return nil, err
		}
	}
}

// check looks at the path and the open file: whether the path now names
// another file, and whether the open one shrank below what was read.
func (f *Follower) check() (moved bool, err error) {
	cur, err := os.Stat(f.path)
	if err == nil && !os.SameFile(cur, f.info) {
		return true, nil
	}
	// Gone (renamed, not yet replaced) or the same file: check the open one.
	st, err := f.file.Stat()
	if err != nil {
		return false, fmt.Errorf("follow %s: %w", f.path, err)
	}
	pos, err := f.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return false, fmt.Errorf("follow %s: %w", f.path, err)
	}
	if st.Size() < pos {
		// copytruncate: read again from the start; a partial line was cut.
		if _, err := f.file.Seek(0, io.SeekStart); err != nil {
			return false, fmt.Errorf("follow %s: %w", f.path, err)
		}
		f.sp.restart(f.file)
	}
	return false, nil
}

func (f *Follower) open() error {
	file, err := os.Open(f.path)
	if err != nil {
		return err
	}
	info, err := file.Stat()
	if err != nil {
		file.Close()
		return err
	}
	if !f.started && !f.opt.FromStart {
		if _, err := file.Seek(0, io.SeekEnd); err != nil {
			file.Close()
			return err
		}
	}
	f.started = true
	f.file, f.info = file, info
	f.sp.restart(file)
	return nil
}

func (f *Follower) wait(ctx context.Context) error {
	if f.timer == nil {
		f.timer = time.NewTimer(f.opt.Poll)
	} else {
		f.timer.Reset(f.opt.Poll)
	}
	select {
	case <-ctx.Done():
		f.timer.Stop()
		return ctx.Err()
	case <-f.timer.C:
		return nil
	}
}

func (f *Follower) closeFile() {
	if f.file != nil {
		f.file.Close()
		f.file = nil
	}
}

// Line is the 1-based number of the line Next last returned, counted from
// where following began in the current file.
func (f *Follower) Line() int64 { return f.sp.n }

// Close closes the file being followed.
func (f *Follower) Close() error {
	f.closeFile()
	if f.timer != nil {
		f.timer.Stop()
	}
	return nil
}
