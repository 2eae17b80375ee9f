package web

import (
	"context"
	"fmt"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/store/storetest"
)

// addUser creates an account in w and signs it in over the API.
func (w *apiWorld) addUser(n auth.NewUser) auth.User {
	w.t.Helper()
	n.Password = "pw-" + n.Username + "-long"
	u, err := auth.CreateUser(context.Background(), w.db, audit.System, n)
	if err != nil {
		w.t.Fatal(err)
	}
	var out struct {
		Token string `json:"token"`
	}
	w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &out)
	w.tokens[n.Username] = out.Token
	return u
}

// TestNationalSettingsAreForNationalAdmins: a provincial administrator
// changes neither the nationwide response targets nor the enforcement
// points (bouncers) that receive every decision in the country.
func TestNationalSettingsAreForNationalAdmins(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	w.addUser(auth.NewUser{Username: "jabar.admin", Org: "kpu-32", Role: "admin", Scope: "32"})
	w.call("jabar.admin", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":30,"containment_minutes":120}]}`, 403, nil)
	w.call("jabar.admin", "POST", "/api/v1/bouncers", `{"name":"jabar-fw"}`, 403, nil)
	w.call("kpu.admin", "POST", "/api/v1/bouncers", `{"name":"national-fw"}`, 201, nil)
	w.call("jabar.admin", "DELETE", "/api/v1/bouncers/national-fw", "", 403, nil)
	var list struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	w.call("kpu.admin", "GET", "/api/v1/bouncers", "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "national-fw" {
		t.Fatalf("bouncers after a provincial admin's attempts: %+v", list.Items)
	}
	w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":30,"containment_minutes":120}]}`, 200, nil)
	w.call("kpu.admin", "DELETE", "/api/v1/bouncers/national-fw", "", 204, nil)
}
