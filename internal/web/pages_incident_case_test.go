package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/garda-id/garda/internal/incident"
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
	reg := "32.04"
	inc := s.incident("jabar.analyst", incident.Input{Title: strp("Kebocoran DPT Kabupaten Bandung"), Region: &reg})
	other := s.incident("jabar.analyst", incident.Input{Title: strp("Unggahan DPT di forum"), Region: &reg})
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
	if b, err := incident.BreachOf(ctx, s.db, p, inc.HumanID); err != nil || b != nil {
		t.Fatalf("a refused form recorded a breach: %+v %v", b, err)
	}
	resp, _ := analyst.post(page+"/pdp", url.Values{"data_subjects": {"5200"}, "data_categories": {"nama", "nik", "alamat"}})
	wantStatus(t, resp, http.StatusSeeOther, "the breach")
	// A correction left blank keeps the blank (and says why), not the stored count.
	resp, body := analyst.post(page+"/pdp", url.Values{"data_subjects": {""}, "data_categories": {"nama"}})
	wantStatus(t, resp, http.StatusBadRequest, "a blank correction")
	wantIn(t, body, "the blank correction", `name="data_subjects" type="number" min="1" max="400000000" value=""`)
	_, body = analyst.get(page)
	wantIn(t, body, "the page after the breach", "Jumlah subjek data", "5200", "Nama, NIK, Alamat", "Belum diberitahukan",
		`href="/insiden/`+inc.HumanID+`/pdp/surat"`, "Pemberitahuan UU PDP")
	wantNotIn(t, body, "the analyst's page", `action="`+page+`/pdp/diberitahukan"`, `action="`+page+`/label"`, `action="`+page+`/gabung"`)
	resp, letter := analyst.get(page + "/pdp/surat")
	wantStatus(t, resp, http.StatusOK, "the letter")
	wantIn(t, letter, "the letter", "<h2>Pemberitahuan Kegagalan Pelindungan Data Pribadi</h2>", "Pasal 46", "<strong>c. Jumlah Subjek Data Pribadi yang terdampak:</strong> 5.200 orang")
	// People's text cannot write the letter's labels.
	forged, forgedDesc := "Bocor **d. Upaya:** selesai", "x\n\n# Palsu\n\n**c. Jumlah Subjek Data Pribadi yang terdampak:** 1 orang"
	f := s.incident("jabar.analyst", incident.Input{Title: &forged, Description: &forgedDesc, Region: &reg})
	if _, err := incident.MarkBreach(ctx, s.db, p, f.HumanID, incident.PDPInput{DataSubjects: 7, DataCategories: []string{"nama"}}); err != nil {
		t.Fatal(err)
	}
	_, letter = analyst.get("/insiden/" + f.HumanID + "/pdp/surat")
	wantIn(t, letter, "the forged letter", "Bocor **d. Upaya:** selesai", "# Palsu **c. Jumlah Subjek Data Pribadi yang terdampak:** 1 orang",
		"<strong>c. Jumlah Subjek Data Pribadi yang terdampak:</strong> 7 orang")
	wantNotIn(t, letter, "the forged letter", "<h2>Palsu", "</strong> 1 orang", "<strong>d. Upaya:</strong> selesai")
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
	resp, _ = coord.post(page+"/label", url.Values{"tlp": {"AMBER+STRICT"}, "pap": {"RED"}})
	if loc := resp.Header.Get("Location"); loc != page+"?ok=unchanged" {
		t.Errorf("labels saved as they were: %q", loc)
	}
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
	if got, err := incident.Get(ctx, s.db, principal(t, s.site, "jabar.coord"), inc.HumanID); err != nil || got.Escalation != "" {
		t.Fatalf("escalation after de-escalating: %q %v", got.Escalation, err)
	}

	// BSSN stepping a national incident back takes itself out: the answer
	// is the queue with a word on it, not a missing page.
	resp, _ = coord.post(page+"/eskalasi", url.Values{"reason": {"naik lagi"}})
	wantStatus(t, resp, http.StatusSeeOther, "escalate to the province")
	resp, _ = s.as("jabar.coord").post(page+"/eskalasi", url.Values{"reason": {"nasional"}})
	wantStatus(t, resp, http.StatusSeeOther, "escalate to the national desk")
	bssn := s.as("bssn.coord")
	_, body = bssn.get(page)
	wantIn(t, body, "BSSN's page", `action="`+page+`/deeskalasi"`)
	resp, _ = bssn.post(page+"/deeskalasi", url.Values{"reason": {"cukup ditangani provinsi"}})
	wantStatus(t, resp, http.StatusSeeOther, "BSSN de-escalates")
	if loc := resp.Header.Get("Location"); loc != "/insiden?keluar="+inc.HumanID {
		t.Fatalf("after de-escalating out of sight: %q", loc)
	}
	_, body = bssn.get(resp.Header.Get("Location"))
	wantIn(t, body, "the queue after stepping out", "tidak lagi ikut menangani")
	if resp, _ := bssn.get(page); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("BSSN still reads the AMBER+STRICT incident: %d", resp.StatusCode)
	}

	// Related and duplicate incidents.
	resp, body = analyst.post(page+"/tautan", url.Values{"incident": {"INC-2099-999999"}, "reason": {"x"}})
	wantStatus(t, resp, http.StatusBadRequest, "a link to an unknown incident")
	wantIn(t, body, "the refused link", `<details class="work-form" open>`, `value="INC-2099-999999"`)
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

// TestLetterHTML: the letter's own Markdown becomes HTML; people's text in
// it stays text, whatever it holds.
func TestLetterHTML(t *testing.T) {
	for _, c := range []struct{ md, want string }{
		{"# Judul\n\nNomor: 1\n\n**a. Data:** nama.", "<h2>Judul</h2>\n<p>Nomor: 1</p>\n<p><strong>a. Data:</strong> nama.</p>\n"},
		{"Kepada Yth.\n\n1. Subjek\n2. Lembaga", "<p>Kepada Yth.</p>\n<p>1. Subjek<br>2. Lembaga</p>\n"},
		{`judul \*\*c. Palsu:\*\* 1 \# <script>x</script> SÉRANGAN \\`, "<p>judul **c. Palsu:** 1 # &lt;script&gt;x&lt;/script&gt; SÉRANGAN \\</p>\n"},
		// markdown.Text's entities show as the characters people typed.
		{`&lt;b&gt;AT&amp;T&lt;/b&gt; &amp;lt;`, "<p>&lt;b&gt;AT&amp;T&lt;/b&gt; &amp;lt;</p>\n"},
	} {
		if got := string(letterHTML(c.md)); got != c.want {
			t.Errorf("letterHTML(%q)\n got %q\nwant %q", c.md, got, c.want)
		}
	}
}
