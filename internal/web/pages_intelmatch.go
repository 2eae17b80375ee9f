package web

import (
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/intel/match"
)

// IndicatorOf is the indicator an alert "Indikator dikenal" was raised
// for (its scenario is match.ScenarioPrefix and the indicator's id), or 0
// for any other alert: the alert queue links it to the indicator's page.
func (rq *req) IndicatorOf(scenario string) int64 {
	rest, ok := strings.CutPrefix(scenario, match.ScenarioPrefix)
	if !ok {
		return 0
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}
