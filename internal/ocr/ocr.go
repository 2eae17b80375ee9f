// Package ocr reads the text in an image through Debian's tesseract binary
// (packages tesseract-ocr and tesseract-ocr-ind), in Indonesian and English.
// It bounds what it accepts (format, bytes, pixels) and how long tesseract
// may run, and says clearly when tesseract or its language data is missing.
// It never keeps an image or its text: the caller decides what is stored.
package ocr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // formats whose size DecodeConfig can check
	_ "image/jpeg"
	_ "image/png"
	"os/exec"
	"strings"
	"time"
)

// Limits and defaults of a Reader.
const (
	DefaultLanguages = "ind+eng"
	DefaultTimeout   = 60 * time.Second
	DefaultMaxBytes  = 20 << 20
	DefaultMaxPixels = 40_000_000 // a 40-megapixel image: any phone photo or screenshot
	maxText          = 1 << 20    // more text than this from one image is not a page
)

// ErrUnavailable wraps every error that says tesseract cannot run here.
var ErrUnavailable = errors.New("ocr unavailable")

// Reader runs tesseract with limits. The zero value uses the defaults.
type Reader struct {
	Binary    string        // tesseract's path; "" looks it up in PATH
	Languages string        // tesseract -l value; "" is DefaultLanguages
	Timeout   time.Duration // per image; 0 is DefaultTimeout
	MaxBytes  int           // 0 is DefaultMaxBytes
	MaxPixels int           // 0 is DefaultMaxPixels
}

// Read returns the text in image with the default Reader.
func Read(ctx context.Context, image []byte) (string, error) {
	return Reader{}.Read(ctx, image)
}

// Available reports, as an error wrapping ErrUnavailable, why the default
// Reader cannot run: no tesseract binary, or no language data for ind/eng.
func Available() error { return Reader{}.Available() }

func (r Reader) binary() (string, error) {
	if r.Binary != "" {
		return r.Binary, nil
	}
	p, err := exec.LookPath("tesseract")
	if err != nil {
		return "", fmt.Errorf("%w: tesseract not found in PATH (install the Debian packages tesseract-ocr and tesseract-ocr-ind)", ErrUnavailable)
	}
	return p, nil
}

func (r Reader) languages() string {
	if r.Languages != "" {
		return r.Languages
	}
	return DefaultLanguages
}

// Available checks that the binary runs and has every language asked for.
func (r Reader) Available() error {
	bin, err := r.binary()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--list-langs").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s --list-langs: %v", ErrUnavailable, bin, err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	for _, l := range strings.Split(r.languages(), "+") {
		if !have[l] {
			pkg := "tesseract-ocr-" + l
			return fmt.Errorf("%w: tesseract has no %q language data (install the Debian package %s)", ErrUnavailable, l, pkg)
		}
	}
	return nil
}

// Read returns the text tesseract reads in img. Only PNG, JPEG and GIF are
// accepted, since their size can be checked before anything decodes them.
func (r Reader) Read(ctx context.Context, img []byte) (string, error) {
	maxBytes := cmpOr(r.MaxBytes, DefaultMaxBytes)
	if len(img) == 0 {
		return "", errors.New("ocr: empty image")
	}
	if len(img) > maxBytes {
		return "", fmt.Errorf("ocr: image of %d bytes is over the limit of %d", len(img), maxBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return "", fmt.Errorf("ocr: not a PNG, JPEG or GIF image: %w", err)
	}
	maxPixels := cmpOr(r.MaxPixels, DefaultMaxPixels)
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return "", fmt.Errorf("ocr: %s image of %dx%d pixels is over the limit of %d pixels", format, cfg.Width, cfg.Height, maxPixels)
	}
	bin, err := r.binary()
	if err != nil {
		return "", err
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "stdin", "stdout", "-l", r.languages())
	cmd.Stdin = bytes.NewReader(img)
	// One thread per image: the machine's cores are shared with the rest of
	// the patrol, and parallelism comes from running several images.
	cmd.Env = append(cmd.Environ(), "OMP_THREAD_LIMIT=1")
	// After the kill, stop waiting for output pipes a stray child may hold.
	cmd.WaitDelay = 2 * time.Second
	var out limitedBuffer
	out.max = maxText
	var stderr limitedBuffer
	stderr.max = 4 << 10
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("ocr: tesseract stopped after %s: %w", timeout, ctx.Err())
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("ocr: tesseract failed: %v: %s", err, lastLine(stderr.String()))
		}
		return "", fmt.Errorf("%w: run %s: %v", ErrUnavailable, bin, err)
	}
	return strings.TrimSpace(out.String()), nil
}

func cmpOr(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// limitedBuffer keeps the first max bytes written and drops the rest, so a
// runaway process cannot grow memory.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}
