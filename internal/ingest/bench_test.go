package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
)

// benchFile writes a log of n lines, repeating the genlog.py sample the
// format benchmarks use, and returns its path and size.
func benchFile(b *testing.B, n int, gz bool) (string, int64) {
	b.Helper()
	sample, err := os.ReadFile(filepath.Join("format", "testdata", "bench", "genlog-nginx.log"))
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.SplitAfter(bytes.TrimSuffix(sample, []byte("\n")), []byte("\n"))
	lines[len(lines)-1] = append(lines[len(lines)-1], '\n')
	path := filepath.Join(b.TempDir(), "access.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var size int64
	for i := 0; i < n; i++ {
		m, _ := bw.Write(lines[i%len(lines)])
		size += int64(m)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if zw != nil {
		zw.Close()
	}
	f.Close()
	return path, size
}

const benchLines = 200_000

func benchRead(b *testing.B, gz bool) {
	path, size := benchFile(b, benchLines, gz)
	b.SetBytes(size)
	b.ReportAllocs()
	ctx := context.Background()
	cpu := cpuTime()
	for b.Loop() {
		r, err := Open(path, 0, nil)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		r.Close()
		if n != benchLines {
			b.Fatalf("%d lines", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*benchLines), "cpu-ns/line")
}

// BenchmarkReader reads a 200,000-line (42 MB) access log.
func BenchmarkReader(b *testing.B) { benchRead(b, false) }

// BenchmarkReaderGzip reads the same log gzipped.
func BenchmarkReaderGzip(b *testing.B) { benchRead(b, true) }

// BenchmarkReplay is the ingest half of `detect replay`: read, check, parse
// with the nginx format and count, every line of a 200,000-line log.
func BenchmarkReplay(b *testing.B) {
	path, size := benchFile(b, benchLines, false)
	b.SetBytes(size)
	b.ReportAllocs()
	ctx := context.Background()
	cpu := cpuTime()
	for b.Loop() {
		var c Counters
		r, err := Open(path, 0, &c)
		if err != nil {
			b.Fatal(err)
		}
		p := &Parser{Format: format.Nginx{}, Counters: &c}
		if err := Run(ctx, r, p, func(*event.Event) error { return nil }); err != nil {
			b.Fatal(err)
		}
		r.Close()
		if s := c.Snapshot(); s.Accepted != benchLines {
			b.Fatalf("%+v", s)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*benchLines), "cpu-ns/line")
}
