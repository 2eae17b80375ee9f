package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
)

// TestIncidentPageCaseForms decides an incident's case from its page: a
// personal-data breach (refused when malformed) and its letter, the
// notification recorded, TLP and PAP by the coordinator, escalation and
// de-escalation, a related incident linked, a duplicate merged. A viewer
// sees the decisions but none of the forms.
func TestIncidentPageCaseForms(t *testing.T) {
	s := newIncidentSite(t)
	ctx := context.Background()
	p := principal(t, s.site, "jabar.analyst")
	tree, _ := org.Load(ctx, s.db)
	title, reg := "Kebocoran DPT Kabupaten Bandung", "32.04"
	inc, err := incident.Create(ctx, s.db, p, tree, incident.Input{Title: &title, Region: &reg})
	if err != nil {
		t.Fatal(err)
	}
	title2 := "Unggahan DPT di forum"
	other, err := incident.Create(ctx, s.db, p, tree, incident.Input{Title: &title2, Region: &reg})
	if err != nil {
		t.Fatal(err)
	}
	page := "/insiden/" + inc.HumanID
	analyst, coord := s.as("jabar.analyst"), s.as("jabar.coord")

	// The breach: malformed first, then as it is.
	for _, f := range []url.Values{
		{"data_subjects": {"banyak"}, "data_categories": {"nama"}},
		{"data_subjects": {"5200"}},
		{"data_subjects": {"5200"}, "data_categories": {"golongan_darah"}},
	} {
		resp, body := analyst.post(page+"/pdp", f)
		wantStatus(t, resp, http.StatusBadRequest, "a malformed breach")
		wantIn(t, body, "the refused breach form", `<details class="work-form" open>`, `class="field-error"`)
	}
	if b, _ := incident.BreachOf(ctx, s.db, p, inc.HumanID); b != nil {
		t.Fatalf("a refused form recorded a breach: %+v", b)
	}
	resp, _ := analyst.post(page+"/pdp", url.Values{"data_subjects": {"5200"}, "data_categories": {"nama", "nik", "alamat"}})
	wantStatus(t, resp, http.StatusSeeOther, "the breach")
	_, body := analyst.get(page)
	wantIn(t, body, "the page after the breach", "Jumlah subjek data", "5200", "Nama, NIK, Alamat", "Belum diberitahukan",
		`href="/insiden/`+inc.HumanID+`/pdp/surat"`, "Pemberitahuan UU PDP")
	wantNotIn(t, body, "the analyst's page", `action="`+page+`/pdp/diberitahukan"`, `action="`+page+`/label"`, `action="`+page+`/gabung"`)
	resp, letter := analyst.get(page + "/pdp/surat")
	wantStatus(t, resp, http.StatusOK, "the letter")
	wantIn(t, letter, "the letter", "<h2>Pemberitahuan Kegagalan Pelindungan Data Pribadi</h2>", "Pasal 46", "<strong>c. Jumlah Subjek Data Pribadi yang terdampak:</strong> 5.200 orang")
	resp, _ = s.as("jateng.analyst").get(page + "/pdp/surat")
	wantStatus(t, resp, http.StatusNotFound, "Central Java reads the letter")

	// The coordinator records the notification, changes the labels, escalates and steps back.
	_, body = coord.get(page)
	wantIn(t, body, "the coordinator's page", `action="`+page+`/pdp/diberitahukan"`, `action="`+page+`/label"`, `action="`+page+`/gabung"`)
	resp, _ = coord.post(page+"/pdp/diberitahukan", url.Values{})
	wantStatus(t, resp, http.StatusSeeOther, "notification recorded")
	if b, _ := incident.BreachOf(ctx, s.db, p, inc.HumanID); b == nil || b.NotifiedAt == nil || b.NotifiedBy != "jabar.coord" {
		t.Fatalf("breach after the notification: %+v", b)
	}
	resp, _ = coord.post(page+"/label", url.Values{"tlp": {"AMBER+STRICT"}, "pap": {"RED"}})
	wantStatus(t, resp, http.StatusSeeOther, "labels")
	resp, _ = coord.post(page+"/label", url.Values{"tlp": {"UNGU"}, "pap": {"RED"}})
	wantStatus(t, resp, http.StatusBadRequest, "an unknown TLP")
	if got, _ := incident.Get(ctx, s.db, principal(t, s.site, "jabar.coord"), inc.HumanID); got.TLP != "AMBER+STRICT" || got.PAP != "RED" {
		t.Fatalf("labels: %s %s", got.TLP, got.PAP)
	}
	resp, _ = analyst.post(page+"/label", url.Values{"tlp": {"CLEAR"}, "pap": {"CLEAR"}})
	wantStatus(t, resp, http.StatusForbidden, "an analyst's labels")
	resp, _ = coord.post(page+"/eskalasi", url.Values{"reason": {"DPT satu kabupaten bocor"}})
	wantStatus(t, resp, http.StatusSeeOther, "escalate")
	_, body = coord.get(page)
	wantIn(t, body, "the escalated page", `action="`+page+`/deeskalasi"`)
	resp, _ = coord.post(page+"/deeskalasi", url.Values{"reason": {""}})
	wantStatus(t, resp, http.StatusBadRequest, "de-escalate without a reason")
	resp, _ = coord.post(page+"/deeskalasi", url.Values{"reason": {"ditangani kabupaten"}})
	wantStatus(t, resp, http.StatusSeeOther, "de-escalate")
	if got, _ := incident.Get(ctx, s.db, principal(t, s.site, "jabar.coord"), inc.HumanID); got.Escalation != "" {
		t.Fatalf("escalation after de-escalating: %q", got.Escalation)
	}

	// Related and duplicate incidents.
	resp, body = analyst.post(page+"/tautan", url.Values{"incident": {"INC-2099-999999"}, "reason": {"x"}})
	wantStatus(t, resp, http.StatusBadRequest, "a link to an unknown incident")
	wantIn(t, body, "the refused link", `<details class="work-form" open>`, "INC-2099-999999")
	resp, _ = analyst.post(page+"/tautan", url.Values{"incident": {other.HumanID}, "reason": {"sumber data sama"}})
	wantStatus(t, resp, http.StatusSeeOther, "link")
	_, body = analyst.get(page)
	wantIn(t, body, "the linked page", "Terkait", `href="/insiden/`+other.HumanID+`"`)
	otherPage := "/insiden/" + other.HumanID
	resp, _ = coord.post(otherPage+"/gabung", url.Values{"into": {inc.HumanID}, "reason": {"laporan yang sama"}})
	wantStatus(t, resp, http.StatusSeeOther, "merge")
	got, _ := incident.Get(ctx, s.db, p, other.HumanID)
	if got.Status != incident.Closed || got.Resolution != "duplicate" {
		t.Fatalf("the duplicate after merging: %s %s", got.Status, got.Resolution)
	}
	_, body = coord.get(otherPage)
	wantIn(t, body, "the merged incident", "Duplikat dari", `href="/insiden/`+inc.HumanID+`"`)
	wantNotIn(t, body, "the merged incident", `action="`+otherPage+`/gabung"`)

	// A viewer reads the decisions, without a form.
	_, body = s.as("jabar.viewer").get(page)
	wantIn(t, body, "the viewer's page", "5200", "Duplikatnya", other.HumanID)
	wantNotIn(t, body, "the viewer's page", `action="`+page+`/pdp"`, `action="`+page+`/tautan"`, `action="`+page+`/label"`, `action="`+page+`/deeskalasi"`)
	if _, err := incident.Letter(ctx, s.db, p, other.HumanID); !problem.Is(err, problem.Conflict) {
		t.Errorf("the letter of an incident without a breach: %v", err)
	}
}
