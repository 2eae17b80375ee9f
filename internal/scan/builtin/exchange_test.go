package builtin

import (
	"net/http"
	"strings"
	"testing"
)

// TestExchangeRedacts: an exposure's evidence shows what was asked and
// answered, never a secret: an .env's values and a URL's credentials are
// taken out, and a long body is cut.
func TestExchangeRedacts(t *testing.T) {
	s := site{host: "127.0.0.1", port: "8080", scheme: "http"}
	env := "APP_NAME=Sipol\nexport DB_PASSWORD=rahasia\nAWS_SECRET_ACCESS_KEY = abc/def\n# comment stays\n"
	req, resp := exchange(s, "/.env", 200, http.Header{"Content-Type": {"text/plain"}}, []byte(env), bodyRedact)
	if req != "GET /.env HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n" {
		t.Errorf("request %q", req)
	}
	for _, secret := range []string{"Sipol", "rahasia", "abc/def"} {
		if strings.Contains(resp, secret) {
			t.Errorf("the evidence keeps %q:\n%s", secret, resp)
		}
	}
	for _, want := range []string{"HTTP/1.1 200 OK\r\n", "Content-Type: text/plain\r\n", "export DB_PASSWORD=[redacted]", "AWS_SECRET_ACCESS_KEY =[redacted]", "# comment stays"} {
		if !strings.Contains(resp, want) {
			t.Errorf("the evidence lacks %q:\n%s", want, resp)
		}
	}
	git := "[remote \"origin\"]\n\turl = https://deploy:ghp_token123@git.example/kpu/portal.git\n"
	_, resp = exchange(s, "/.git/config", 200, nil, []byte(git), bodyStart)
	if strings.Contains(resp, "ghp_token123") || !strings.Contains(resp, "https://[redacted]@git.example/kpu/portal.git") {
		t.Errorf("git remote's credentials:\n%s", resp)
	}
	_, resp = exchange(site{host: "kpu.example", port: "443", scheme: "https"}, "/backup.sql", 200, nil, []byte(strings.Repeat("<li>berkas</li>\n", 1000)), bodyStart)
	if len(resp) > exchangeBodyLimit+200 || !strings.Contains(resp, "bytes in all]") {
		t.Errorf("a long body is kept whole (%d bytes)", len(resp))
	}
	_, resp = exchange(s, "/backup.sql", 200, nil, []byte("INSERT INTO `pemilih` VALUES ('3201000000000001');\n"), bodyNothing)
	if strings.Contains(resp, "3201000000000001") || !strings.Contains(resp, "not kept") {
		t.Errorf("a dump's evidence keeps its rows:\n%s", resp)
	}
}
