package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/garda-id/garda/internal/scan/nuclei"
)

func init() {
	scanCommands["validate"] = func(args []string) error { return scanValidate(args, os.Stdout, os.Stderr) }
}

const scanValidateHelp = `garda scan validate DIR

Load every nuclei template (.yaml, .yml) under DIR, as "garda scan
--templates DIR" would, and print one JSON line per file:

  {"path":"DIR/x.yaml","id":"x","ok":true}
  {"path":"DIR/y.yaml","id":"y","ok":false,"error":"unsupported protocol \"headless\""}

The error names the exact unsupported feature (a protocol, interactsh,
flow, a payload file not shipped...) or the parse error. Nothing is sent
to any host.

Exit status: 0 when every template loads, 1 when any does not (or DIR
cannot be read).`

// validateLine is one line of garda scan validate's output.
type validateLine struct {
	Path  string `json:"path"`
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func scanValidate(args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(stdout, scanValidateHelp)
		return nil
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, scanValidateHelp)
		return errors.New("scan validate takes one folder")
	}
	dir := args[0]
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("scan validate: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("scan validate: %s is not a folder", dir)
	}
	loaded, err := nuclei.LoadDir(dir)
	if err != nil {
		return fmt.Errorf("scan validate: %w", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	failed := 0
	for _, l := range loaded {
		line := validateLine{Path: l.Path, ID: l.ID, OK: l.Err == nil}
		if l.Err != nil {
			line.Error = l.Err.Error()
			failed++
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	if len(loaded) == 0 {
		return fmt.Errorf("scan validate: no template (.yaml, .yml) under %s", dir)
	}
	if failed > 0 {
		return fmt.Errorf("scan validate: %d of %d templates under %s do not load", failed, len(loaded), dir)
	}
	return nil
}
