package ocr

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/pii"
)

const fontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" // fonts-dejavu-core

// need skips the test when a tool is missing, except in CI (GARDA_CI=1),
// where .ci/run installs them and a missing one is a failure.
func need(t *testing.T) {
	t.Helper()
	var missing []string
	if err := Available(); err != nil {
		missing = append(missing, err.Error())
	}
	if out, err := exec.Command("convert", "-version").CombinedOutput(); err != nil || !strings.Contains(string(out), "ImageMagick") {
		missing = append(missing, "ImageMagick's convert (Debian package imagemagick)")
	}
	if _, err := os.Stat(fontFile); err != nil {
		missing = append(missing, fontFile+" (Debian package fonts-dejavu-core)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "needs tesseract-ocr, tesseract-ocr-ind, imagemagick and fonts-dejavu-core: " + strings.Join(missing, "; ")
	if os.Getenv("GARDA_CI") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// render draws lines of text into a PNG with ImageMagick.
func render(t *testing.T, lines ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "page.png")
	args := []string{"-size", "1400x" + strconv.Itoa(80*len(lines)+40), "xc:white", "-font", fontFile, "-pointsize", "30", "-fill", "black"}
	for i, l := range lines {
		args = append(args, "-annotate", "+30+"+strconv.Itoa(60+80*i), l)
	}
	// A little blur, as a screenshot of a photo has.
	args = append(args, "-blur", "0x0.6", out)
	if b, err := exec.Command("convert", args...).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEndToEnd renders a leaked-data screenshot and a hoax poster, reads
// them back with tesseract and finds the NIKs and the hoax sentence.
func TestEndToEnd(t *testing.T) {
	need(t)
	leak := render(t,
		"DATA PEMILIH TPS 007 KEL. SUKAMAJU",
		"NIK : 3204012308900001  BUDI SANTOSO",
		"NIK : 3273015708450002  SITI RAHAYU",
		"No. KK : 3204011203150002",
		"HP : 0812-3456-7890",
	)
	text, err := Read(context.Background(), leak)
	if err != nil {
		t.Fatal(err)
	}
	r := pii.Scan(text)
	if r.NIK != 2 || r.KK != 1 || r.Phone != 1 || r.Women != 1 {
		t.Errorf("scan of the OCR text: nik=%d kk=%d phone=%d women=%d, want 2 1 1 1", r.NIK, r.KK, r.Phone, r.Women)
	}
	hoax := render(t, "SURAT SUARA SUDAH DICOBLOS", "sebelum hari pemungutan suara di TPS 012")
	text, err = Read(context.Background(), hoax)
	if err != nil {
		t.Fatal(err)
	}
	if low := strings.ToLower(text); !strings.Contains(low, "surat suara sudah dicoblos") || !strings.Contains(low, "pemungutan suara") {
		t.Errorf("hoax text read as %q", text)
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	if _, err := Read(ctx, nil); err == nil {
		t.Error("empty image accepted")
	}
	if _, err := Read(ctx, []byte("%PDF-1.7 not an image")); err == nil || !strings.Contains(err.Error(), "not a PNG") {
		t.Errorf("non-image: %v", err)
	}
	big := (Reader{MaxBytes: 10}).readErr(ctx, tinyPNG(t, 10, 10))
	if big == nil || !strings.Contains(big.Error(), "over the limit") {
		t.Errorf("bytes limit: %v", big)
	}
	if err := (Reader{MaxPixels: 50}).readErr(ctx, tinyPNG(t, 10, 10)); err == nil || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("pixel limit: %v", err)
	}
	err := (Reader{Binary: filepath.Join(t.TempDir(), "no-tesseract")}).Available()
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing binary: %v", err)
	}
	err = (Reader{Languages: "ind+xyz"}).Available()
	if err != nil && !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing language: %v", err)
	}
	if _, lerr := exec.LookPath("tesseract"); lerr == nil && err == nil {
		t.Error("a language tesseract cannot have was reported available")
	}

	// A tesseract that never ends is stopped at the time limit.
	hang := filepath.Join(t.TempDir(), "tesseract")
	if err := os.WriteFile(hang, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = (Reader{Binary: hang, Timeout: 100 * time.Millisecond}).readErr(ctx, tinyPNG(t, 10, 10))
	if err == nil || !strings.Contains(err.Error(), "stopped after") {
		t.Errorf("time limit: %v", err)
	}
}

func (r Reader) readErr(ctx context.Context, img []byte) error {
	_, err := r.Read(ctx, img)
	return err
}

func tinyPNG(t *testing.T, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
