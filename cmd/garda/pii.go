package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/ocr"
	"github.com/garda-id/garda/internal/pii"
)

func piiCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "pii", Short: "Find personal data (NIK, KK, NPWP, phone numbers) in text"}
	cmd.AddCommand(piiScanCmd())
	return cmd
}

// maxPIILine is the longest line read whole; a longer one is scanned in
// pieces of this size (a number cut at the seam may be missed).
const maxPIILine = 1 << 20

// piiSummary is the JSON summary of `garda pii scan`: counts and regions,
// never a value.
type piiSummary struct {
	Files int   `json:"files"`
	Lines int   `json:"lines"`
	Bytes int64 `json:"bytes"`
	pii.Result
}

func piiScanCmd() *cobra.Command {
	var perLine bool
	cmd := &cobra.Command{
		Use:   "scan [--per-line] FILE...",
		Short: "Count the personal data in files (a suspect dump, a page): per category, province and regency",
		Long: `Scan reads each FILE ("-" for standard input; gzip is read as such, and a PNG, JPEG or
GIF image as the text tesseract reads in it) and prints a JSON
summary: distinct NIK, KK, NPWP and phone numbers, NIKs of women, the provinces and
regencies of the NIKs (Kemendagri codes and names), and the share of NIK-, NPWP- and
phone-shaped numbers that validate (near 1 for real data, low for made-up numbers).
With --per-line it prints one JSON line per input line instead:
{"line":N,"nik":n,"kk":k,"npwp":m,"phone":p}. Values are never printed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Every file must open, and read as text, before anything is
			// printed.
			var inputs []*bufio.Reader
			for _, name := range args {
				var in io.Reader = cmd.InOrStdin()
				if name != "-" {
					f, err := os.Open(name)
					if err != nil {
						return fmt.Errorf("pii scan: %w", err)
					}
					defer f.Close()
					in = f
				}
				r, err := textReader(cmd.Context(), in)
				if err != nil {
					return fmt.Errorf("pii scan %s: %w", name, err)
				}
				inputs = append(inputs, r)
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			enc := json.NewEncoder(out)
			s := pii.NewScanner()
			var sum piiSummary
			for i, br := range inputs {
				// Each file has its own table header and line numbers; the
				// summary counts distinct values across all of them.
				s.NextFile()
				for {
					line, err := readLine(br)
					if len(line) > 0 || err == nil {
						sum.Lines++
						sum.Bytes += int64(len(line)) + 1
						c := s.Line(line)
						if perLine {
							if len(inputs) > 1 {
								if err := enc.Encode(struct {
									File string `json:"file"`
									pii.Line
								}{args[i], c}); err != nil {
									return err
								}
							} else if err := enc.Encode(c); err != nil {
								return err
							}
						}
					}
					if err == io.EOF {
						break
					}
					if err != nil {
						return fmt.Errorf("pii scan %s: %w", args[i], err)
					}
				}
			}
			if perLine {
				return nil
			}
			sum.Files = len(inputs)
			sum.Result = s.Result()
			enc.SetIndent("", "  ")
			return enc.Encode(sum)
		},
	}
	cmd.Flags().BoolVar(&perLine, "per-line", false, "one JSON line of counts per input line instead of the summary")
	return cmd
}

// readLine returns the next line without its newline, at most maxPIILine
// bytes of it; the rest of a longer line comes back as the next lines.
func readLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull && len(buf) < maxPIILine {
			continue
		}
		if err == bufio.ErrBufferFull {
			err = nil
		}
		return string(bytes.TrimSuffix(buf, []byte("\n"))), err
	}
}

// textReader reads a gzip stream as its content, an image (PNG, JPEG,
// GIF: a screenshot of a leak) as the text OCR reads in it, and refuses
// other binary files (a PDF, a spreadsheet, a zip): numbers inside those
// are compressed or encoded, and a scan would report none without saying why.
func textReader(ctx context.Context, r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(8)
	if isImage(magic) {
		img, err := io.ReadAll(io.LimitReader(br, ocr.DefaultMaxBytes+1))
		if err != nil {
			return nil, err
		}
		text, err := ocr.Read(ctx, img)
		if err != nil {
			return nil, err
		}
		return bufio.NewReader(strings.NewReader(text)), nil
	}
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	head, _ := br.Peek(8 << 10)
	if bytes.IndexByte(head, 0) >= 0 || bytes.HasPrefix(head, []byte("%PDF-")) || bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return nil, fmt.Errorf("not text (a PDF, spreadsheet or other binary file?): convert it first, e.g. pdftotext -layout, or save as CSV")
	}
	return br, nil
}

// isImage recognises the image formats ocr.Read accepts by their magic.
func isImage(m []byte) bool {
	return bytes.HasPrefix(m, []byte("\x89PNG\r\n\x1a\n")) || bytes.HasPrefix(m, []byte("\xff\xd8\xff")) ||
		bytes.HasPrefix(m, []byte("GIF87a")) || bytes.HasPrefix(m, []byte("GIF89a"))
}
