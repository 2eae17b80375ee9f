package drill

import "time"

// Score is how a room did in a drill, out of 100: 40 for acknowledging
// (all of it within 15 minutes, nothing after two hours, in a straight
// line between), 30 for escalating to the expected level (10 for another
// level; with no escalation expected, 30 for not escalating), 30 for the
// report (all of it within an hour, nothing after 24 hours). A room that
// ignored the drill scores 0, or 30 when nothing was to be escalated.
type Score struct {
	Total      int   `json:"total"`
	Ack        int   `json:"acknowledge"`
	Escalation int   `json:"escalation"`
	Report     int   `json:"report"`
	AckSeconds int64 `json:"time_to_acknowledge_seconds,omitempty"`
	// EscalationSeconds is the time from the start to the escalation
	// scored (on the incident desk when the room opened an incident).
	EscalationSeconds int64 `json:"time_to_escalate_seconds,omitempty"`
	// ReportSeconds is the time from the start to the report.
	ReportSeconds int64 `json:"time_to_report_seconds,omitempty"`
	RightLevel    bool  `json:"escalated_to_expected_level"`
}

// Scoring bounds.
const (
	AckFull    = 15 * time.Minute
	AckNone    = 2 * time.Hour
	ReportFull = time.Hour
	ReportNone = 24 * time.Hour
)

// ScoreOf scores a run from its moments; the time to acknowledge runs from
// the first alert shown (firstAlert, nil: the start), the others from the
// start.
func ScoreOf(start time.Time, firstAlert, ackedAt, escalatedAt *time.Time, escalatedTo, expect string, reportedAt *time.Time) Score {
	var s Score
	if ackedAt != nil {
		from := start
		if firstAlert != nil && firstAlert.After(start) {
			from = *firstAlert
		}
		d := ackedAt.Sub(from)
		s.AckSeconds = int64(d / time.Second)
		s.Ack = linear(40, d, AckFull, AckNone)
	}
	switch {
	case expect == "" && escalatedAt == nil:
		s.Escalation, s.RightLevel = 30, true
	case expect != "" && escalatedAt != nil && escalatedTo == expect:
		s.Escalation, s.RightLevel = 30, true
	case expect != "" && escalatedAt != nil:
		s.Escalation = 10
	}
	if escalatedAt != nil {
		s.EscalationSeconds = int64(escalatedAt.Sub(start) / time.Second)
	}
	if reportedAt != nil {
		d := reportedAt.Sub(start)
		s.ReportSeconds = int64(d / time.Second)
		s.Report = linear(30, d, ReportFull, ReportNone)
	}
	s.Total = s.Ack + s.Escalation + s.Report
	return s
}

// linear is max up to full, 0 from none, a straight line between.
func linear(max int, d, full, none time.Duration) int {
	switch {
	case d <= full:
		return max
	case d >= none:
		return 0
	}
	return int(float64(max) * float64(none-d) / float64(none-full))
}
