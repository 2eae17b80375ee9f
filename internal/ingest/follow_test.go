package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// follower reads lines from a Follower in the background so a test can
// write and then expect.
type follower struct {
	t     *testing.T
	lines chan string
	errc  chan error
}

func startFollow(t *testing.T, path string, opt FollowOptions) *follower {
	t.Helper()
	opt.Poll = 5 * time.Millisecond
	f := Follow(path, opt)
	ctx, cancel := context.WithCancel(context.Background())
	fl := &follower{t: t, lines: make(chan string, 100), errc: make(chan error, 1)}
	go func() {
		defer f.Close()
		for {
			line, err := f.Next(ctx)
			if err != nil {
				fl.errc <- err
				return
			}
			fl.lines <- string(line)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-fl.errc:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("follower ended with %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("follower did not stop on cancel")
		}
	})
	return fl
}

func (fl *follower) expect(want ...string) {
	fl.t.Helper()
	for _, w := range want {
		select {
		case got := <-fl.lines:
			if got != w {
				fl.t.Fatalf("got line %q, want %q", got, w)
			}
		case err := <-fl.errc:
			fl.t.Fatalf("follower ended with %v, want line %q", err, w)
		case <-time.After(5 * time.Second):
			fl.t.Fatalf("no line, want %q", w)
		}
	}
}

func (fl *follower) expectNothing() {
	fl.t.Helper()
	select {
	case got := <-fl.lines:
		fl.t.Fatalf("unexpected line %q", got)
	case <-time.After(50 * time.Millisecond):
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestFollowFromEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	appendFile(t, path, "old 1\nold 2\n")
	fl := startFollow(t, path, FollowOptions{})
	fl.expectNothing() // started at the end
	appendFile(t, path, "new 1\nnew 2\n")
	fl.expect("new 1", "new 2")
	appendFile(t, path, "half")
	fl.expectNothing() // a partial line waits for its newline
	appendFile(t, path, " and half\r\n")
	fl.expect("half and half")
}

func TestFollowFromStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	appendFile(t, path, "old 1\nold 2\n")
	fl := startFollow(t, path, FollowOptions{FromStart: true})
	fl.expect("old 1", "old 2")
	appendFile(t, path, "new\n")
	fl.expect("new")
}

// TestFollowRenameCreate is logrotate's default: the file is renamed, the
// writer goes on writing to it until told to reopen, a new file is
// created under the name. Every line of both arrives, in order.
func TestFollowRenameCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	appendFile(t, path, "")
	fl := startFollow(t, path, FollowOptions{FromStart: true})
	appendFile(t, path, "a1\n")
	fl.expect("a1")

	old, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	old.WriteString("a2 written after the rename\n")
	time.Sleep(20 * time.Millisecond) // the name is missing for a while
	old.WriteString("a3 then a partial line without newline")
	old.Close()
	appendFile(t, path, "b1\nb2\n")
	fl.expect("a2 written after the rename", "a3 then a partial line without newline", "b1", "b2")

	// And again, with the new file created before anything is written.
	os.Rename(path, path+".2")
	appendFile(t, path, "")
	time.Sleep(20 * time.Millisecond)
	appendFile(t, path, "c1\n")
	fl.expect("c1")
}

// TestFollowCopyTruncate is logrotate's copytruncate: the file is copied
// and cut to zero under the writer, which goes on writing.
func TestFollowCopyTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	appendFile(t, path, "before\n")
	fl := startFollow(t, path, FollowOptions{FromStart: true})
	fl.expect("before")
	appendFile(t, path, "x1\nx2\n")
	fl.expect("x1", "x2")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	appendFile(t, path, "y1\n")
	fl.expect("y1")

	// A writer that does not append leaves a hole of NULs before its
	// next line; the line still arrives.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("z1\n"), 8)
	f.Close()
	fl.expect("z1")
}

// TestFollowMissing waits for a file that is not there yet and reads it
// whole when it comes.
func TestFollowMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.log")
	fl := startFollow(t, path, FollowOptions{})
	fl.expectNothing()
	appendFile(t, path, "first\n")
	fl.expect("first")
}

func TestFollowTooLong(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	appendFile(t, path, "")
	var c Counters
	fl := startFollow(t, path, FollowOptions{FromStart: true, Max: 10, Counters: &c})
	appendFile(t, path, "0123456789abc")
	time.Sleep(20 * time.Millisecond)
	appendFile(t, path, "def\nok\n")
	fl.expect("ok")
	if s := c.Snapshot(); s.Rejected[TooLong] != 1 {
		t.Fatalf("counters %+v", s)
	}
}

// TestFollowCancel: a follower waiting for lines returns when its context
// ends, not at its next poll an hour later (were it to wait, the test
// would hang until go test's timeout: no clock is read here).
func TestFollowCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	appendFile(t, path, "")
	f := Follow(path, FollowOptions{Poll: time.Hour})
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}
