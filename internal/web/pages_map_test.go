package web

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
)

// section is the part of a page from the element with class cls to the
// end of its section.
func section(t *testing.T, page, cls string) string {
	t.Helper()
	i := strings.Index(page, `class="panel `+cls+`"`)
	if i < 0 {
		t.Fatalf("no section %q in the page", cls)
	}
	j := strings.Index(page[i:], "</section>")
	return page[i : i+j]
}

var countBadge = regexp.MustCompile(`<span class="count[^"]*">(\d+)</span>`)

// listed is a list section's count and the number of items it lists.
func listed(t *testing.T, part string) (count, items int) {
	t.Helper()
	m := countBadge.FindStringSubmatch(part)
	if m == nil {
		t.Fatalf("no count in %s", part)
	}
	count, _ = strconv.Atoi(m[1])
	return count, strings.Count(part, "<li>")
}

// TestProvinceListsWhatItCounts: a province's page counts its open alerts
// and its open incidents apart, each beside the list of what it counts,
// as each reader may see them; the overview says alerts and incidents
// apart, sorts the provinces by severity and lists national items.
func TestProvinceListsWhatItCounts(t *testing.T) {
	s := newAlertSite(t)
	ctx := context.Background()
	tree, err := org.Load(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	create := func(user string, in incident.Input) incident.Incident {
		t.Helper()
		i, err := incident.Create(ctx, s.db, principal(t, s.site, user), tree, in)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	deface := create("jabar.analyst", incident.Input{Title: strp("Deface situs KPU Bandung"), Severity: strp("high"), Region: strp("32.04"), TLP: strp("GREEN")})
	phish := create("jabar.analyst", incident.Input{Title: strp("Phishing operator Jabar"), Severity: strp("medium"), Region: strp("32"), TLP: strp("GREEN")})
	done := create("jabar.analyst", incident.Input{Title: strp("Alarm palsu Jabar"), Severity: strp("low"), Region: strp("32"), TLP: strp("GREEN")})
	st, res := "resolved", "false_positive"
	if _, err := incident.Edit(ctx, s.db, principal(t, s.site, "jabar.analyst"), done.HumanID, incident.Update{Status: &st, Resolution: &res}); err != nil {
		t.Fatal(err)
	}
	nat := create("kpu.analyst", incident.Input{Title: strp("Data pemilih dijual"), Severity: strp("critical"), Region: strp(""), TLP: strp("GREEN")})
	sqli := s.raise(sig("http-sqli", "medium", "T1190", "203.0.113.7", s.jabar))[0]
	scrape := s.raise(sig("voter-data-scraping", "critical", "T1119", "192.0.2.44", s.national))[0]
	s.raise(sig("http-scanner", "low", "T1595.002", "198.51.100.9", s.jateng))

	for _, c := range []struct {
		user                  string
		alerts, incidents     int
		seen, unseen          []string
		nationalAlerts, natIn int
	}{
		{"kpu.analyst", 1, 2, []string{deface.HumanID, phish.HumanID, alertPath(sqli)}, []string{done.HumanID}, 1, 1},
		{"jabar.analyst", 1, 2, []string{deface.HumanID, phish.HumanID, alertPath(sqli)}, []string{done.HumanID}, 0, 0},
		{"jateng.analyst", 0, 0, nil, []string{deface.HumanID, phish.HumanID, alertPath(sqli)}, 0, 0},
	} {
		_, page := s.as(c.user).get("/provinsi/32")
		alerts, incidents := section(t, page, "province-alerts"), section(t, page, "province-incidents")
		if n, items := listed(t, alerts); n != c.alerts || items != c.alerts {
			t.Errorf("%s: West Java's alerts counted %d, listed %d, want %d", c.user, n, items, c.alerts)
		}
		if n, items := listed(t, incidents); n != c.incidents || items != c.incidents {
			t.Errorf("%s: West Java's incidents counted %d, listed %d, want %d", c.user, n, items, c.incidents)
		}
		if c.alerts == 0 {
			wantIn(t, alerts, c.user+"'s empty alert list", "Tidak ada peringatan terbuka")
		} else {
			wantNotIn(t, alerts, c.user+"'s alert list", "Tidak ada")
		}
		if c.incidents == 0 {
			wantIn(t, incidents, c.user+"'s empty incident list", "Tidak ada insiden terbuka")
		} else {
			wantNotIn(t, incidents, c.user+"'s incident list", "Tidak ada")
		}
		wantIn(t, page, c.user+"'s province page", c.seen...)
		wantNotIn(t, page, c.user+"'s province page", c.unseen...)
		wantIn(t, page, c.user+"'s province stats",
			`<span class="stat-n">`+strconv.Itoa(c.alerts)+`</span><span class="stat-l">Peringatan terbuka</span>`,
			`<span class="stat-n">`+strconv.Itoa(c.incidents)+`</span><span class="stat-l">Insiden terbuka</span>`)

		_, page = s.as(c.user).get("/")
		national := section(t, page, "national-items")
		inc, al := strings.Index(national, "Insiden terbuka"), strings.Index(national, "Peringatan terbuka")
		if n, items := listed(t, national[inc:al]); n != c.natIn || items != c.natIn {
			t.Errorf("%s: national incidents counted %d, listed %d, want %d", c.user, n, items, c.natIn)
		}
		if n, items := listed(t, national[al:]); n != c.nationalAlerts || items != c.nationalAlerts {
			t.Errorf("%s: national alerts counted %d, listed %d, want %d", c.user, n, items, c.nationalAlerts)
		}
		if c.natIn > 0 {
			wantIn(t, national, c.user+"'s national block", nat.HumanID, alertPath(scrape))
		}
	}

	// The overview's table: alerts and incidents apart, West Java (a high
	// incident) above Central Java (a low alert), the quiet ones after.
	_, page := s.as("kpu.analyst").get("/")
	wantIn(t, page, "the overview's row of West Java", `<a href="/pemantauan?region=32">1</a></td>`, `<a href="/insiden?region=32">2</a></td>`)
	rows := regexp.MustCompile(`<th scope="row"><a href="/provinsi/(\d\d)">`).FindAllStringSubmatch(page, -1)
	if len(rows) != 38 || rows[0][1] != "32" || rows[1][1] != "33" || rows[2][1] != "11" {
		t.Errorf("the overview's table starts %v, want 32, 33, then the quiet provinces in order", rows[:3])
	}
	wantIn(t, page, "the overview's totals", `<span class="stat-n">3</span><span class="stat-l">Peringatan terbuka · 1 tingkat nasional`,
		`<span class="stat-n">3</span><span class="stat-l">Insiden terbuka · 1 tingkat nasional`)
}
