package report

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/shift"
	"github.com/garda-id/garda/internal/store"
)

// Room is one operation room's day: its posture, the shift reports it
// sent, those flagged late and the handovers signed. Only the rooms whose
// internals the reader reads (package room) are listed.
type Room struct {
	Name      string           `json:"name"`
	Level     string           `json:"level"`
	Region    string           `json:"region"`
	Posture   calendar.Posture `json:"posture"`
	Sent      int              `json:"reports_sent"`
	Late      int              `json:"reports_late"`
	Handovers int              `json:"handovers"`
}

func (r *Report) addRooms(ctx context.Context, q store.Querier, who auth.Principal, reg string, from, to time.Time) error {
	days, err := shift.Days(ctx, q, who, reg, from, to)
	if err != nil {
		return fmt.Errorf("rooms: %w", err)
	}
	r.Rooms = []Room{}
	for _, d := range days {
		r.Rooms = append(r.Rooms, Room{Name: d.Name, Level: d.Level, Region: d.Region, Posture: d.Posture, Sent: d.Sent, Late: d.Late, Handovers: d.Handovers})
	}
	return nil
}

// roomsHead are the rooms table's columns.
var roomsHead = []string{"Ruang", "Status siaga", "Laporan terkirim", "Laporan terlambat", "Serah terima"}

const roomsTitle = "Ruang operasi"

func (r *Report) roomsMarkdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n## %s\n\n| %s |\n| --- | --- | ---: | ---: | ---: |\n", roomsTitle, strings.Join(roomsHead, " | "))
	if len(r.Rooms) == 0 {
		b.WriteString("| (tidak ada) | - | 0 | 0 | 0 |\n")
	}
	for _, rm := range r.Rooms {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %d |\n", mdCell(rm.Name), r.L("posture", string(rm.Posture)), rm.Sent, rm.Late, rm.Handovers)
	}
}

func (r *Report) roomsPDF(p *PDF) {
	p.Gap(10)
	p.Text(roomsTitle, 13, true)
	cols := []float64{0, 0.45, 0.62, 0.77, 0.9}
	p.Row(roomsHead, cols, true)
	if len(r.Rooms) == 0 {
		p.Row([]string{"(tidak ada)", "-", "0", "0", "0"}, cols, false)
	}
	for _, rm := range r.Rooms {
		p.Row([]string{rm.Name, r.L("posture", string(rm.Posture)), strconv.Itoa(rm.Sent), strconv.Itoa(rm.Late), strconv.Itoa(rm.Handovers)}, cols, false)
	}
}
