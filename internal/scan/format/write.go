package format

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// JSONL writes results one a line, in nuclei's shape, as they come.
type JSONL struct{ enc *json.Encoder }

// NewJSONL returns a JSONL writer to w.
func NewJSONL(w io.Writer) *JSONL {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONL{enc: enc}
}

// Write writes one result.
func (j *JSONL) Write(r scan.Result) error { return j.enc.Encode(r) }

// SARIF 2.1.0 (OASIS), the subset code-scanning tools read: one run, the
// checks as the driver's rules, a result per scan result located at its
// matched-at.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	Help                 *sarifText     `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

// SARIFLevel maps a severity to SARIF's level: critical and high are
// errors, medium a warning, low and info notes, unknown none.
func SARIFLevel(s scan.Severity) string {
	switch s {
	case scan.SeverityCritical, scan.SeverityHigh:
		return "error"
	case scan.SeverityMedium:
		return "warning"
	case scan.SeverityLow, scan.SeverityInfo:
		return "note"
	}
	return "none"
}

// securitySeverity is the 0-10 score GitHub's code scanning sorts by: the
// template's CVSS score when it gives one, else the middle of the
// severity's CVSS band.
func securitySeverity(i scan.Info) string {
	if c := i.Classification; c != nil && c.CVSSScore > 0 {
		return strconv.FormatFloat(c.CVSSScore, 'f', 1, 64)
	}
	switch i.Severity {
	case scan.SeverityCritical:
		return "9.5"
	case scan.SeverityHigh:
		return "8.0"
	case scan.SeverityMedium:
		return "5.5"
	case scan.SeverityLow:
		return "2.0"
	}
	return "0.0"
}

// WriteSARIF writes results as one SARIF 2.1.0 log. Rules come from the
// results' check keys (template id, and matcher name when a template names
// its matchers), in order of first appearance.
func WriteSARIF(w io.Writer, results []scan.Result, toolVersion string) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "Garda", Version: toolVersion,
			InformationURI: "https://github.com/garda-id/garda", Rules: []sarifRule{}}},
		Results: []sarifResult{},
	}
	index := map[string]int{}
	for _, r := range results {
		key := r.CheckKey()
		i, ok := index[key]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			index[key] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(key, r.Info))
		}
		msg := r.Info.Name
		if msg == "" {
			msg = r.TemplateID
		}
		msg += " at " + r.Location()
		if len(r.ExtractedResults) > 0 {
			msg += ": " + strings.Join(r.ExtractedResults, ", ")
		}
		props := map[string]any{"severity": string(r.Info.Severity), "host": r.Host}
		if !r.Timestamp.IsZero() {
			props["timestamp"] = r.Timestamp.UTC().Format(time.RFC3339)
		}
		if r.Type != "" {
			props["type"] = r.Type
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: key, RuleIndex: i, Level: SARIFLevel(r.Info.Severity),
			Message:    sarifText{Text: msg},
			Locations:  []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: r.Location()}}}},
			Properties: props,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}})
}

func sarifRuleOf(key string, i scan.Info) sarifRule {
	name := i.Name
	if name == "" {
		name = key
	}
	rule := sarifRule{ID: key, Name: name, ShortDescription: sarifText{Text: name},
		DefaultConfiguration: sarifConfig{Level: SARIFLevel(i.Severity)}}
	if i.Description != "" {
		rule.FullDescription = &sarifText{Text: i.Description}
	}
	if i.Remediation != "" {
		rule.Help = &sarifText{Text: i.Remediation}
	}
	if len(i.Reference) > 0 {
		rule.HelpURI = i.Reference[0]
	}
	props := map[string]any{"security-severity": securitySeverity(i)}
	tags := append([]string{"security"}, i.Tags...)
	if c := i.Classification; c != nil {
		tags = append(append(tags, c.CVEID...), c.CWEID...)
	}
	props["tags"] = tags
	rule.Properties = props
	return rule
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"timestamp", "severity", "template-id", "matcher-name", "name", "host", "port",
	"matched-at", "type", "extracted-results", "cve", "cwe", "cvss-score", "description", "remediation"}

// WriteCSV writes results as CSV with a header row, each cell made safe
// for spreadsheets (SafeCell): a target's answer must not become a formula
// on the analyst's machine.
func WriteCSV(w io.Writer, results []scan.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range results {
		var cve, cwe []string
		score := ""
		if c := r.Info.Classification; c != nil {
			cve, cwe = c.CVEID, c.CWEID
			if c.CVSSScore > 0 {
				score = strconv.FormatFloat(c.CVSSScore, 'f', 1, 64)
			}
		}
		ts := ""
		if !r.Timestamp.IsZero() {
			ts = r.Timestamp.UTC().Format(time.RFC3339)
		}
		row := []string{ts, string(r.Info.Severity), r.TemplateID, r.MatcherName, r.Info.Name, r.Host, r.Port,
			r.Location(), r.Type, strings.Join(r.ExtractedResults, "; "), strings.Join(cve, "; "),
			strings.Join(cwe, "; "), score, r.Info.Description, r.Info.Remediation}
		for i := range row {
			row[i] = SafeCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// SafeCell defuses CSV injection (OWASP): a cell a spreadsheet would read
// as a formula (starting with = + - @, or a tab or carriage return that
// hides one) gets a leading apostrophe, which spreadsheets show as text.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// SortResults orders results for reports: most severe first, then by
// location and check, so two exports of one scan read alike.
func SortResults(rs []scan.Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Info.Severity.Rank() != b.Info.Severity.Rank() {
			return a.Info.Severity.Rank() > b.Info.Severity.Rank()
		}
		if a.Location() != b.Location() {
			return a.Location() < b.Location()
		}
		return a.CheckKey() < b.CheckKey()
	})
}
