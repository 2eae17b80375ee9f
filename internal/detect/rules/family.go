package rules

import (
	"strings"
	"sync"
	"unicode"

	"github.com/garda-id/garda/internal/detect/sigma"
)

// A family groups Sigma rules that people name as one kind of attack
// ("SQL injection", "webshell"), so that pages can name a rule's alerts in
// Bahasa Indonesia (the UI labels each family) and keep the rule's own
// English title as a detail. A rule's family is decided by the words of
// its title, which every alert of the rule carries: families stay right for
// rules loaded from a directory (--sigma) too.
const (
	FamilySQLi        = "sqli"
	FamilyXSS         = "xss"
	FamilyTemplate    = "template-injection"
	FamilyTraversal   = "path-traversal"
	FamilyWebshell    = "webshell"
	FamilyJava        = "java-injection"
	FamilyAuthBypass  = "auth-bypass"
	FamilyDisclosure  = "disclosure"
	FamilyCommand     = "command-execution"
	FamilyMiner       = "cryptominer"
	FamilyRecon       = "recon"
	FamilyUserAgent   = "user-agent"
	FamilyC2          = "c2"
	FamilyPhishing    = "phishing"
	FamilyDestination = "suspicious-destination"
	FamilyCrash       = "server-crash"
	FamilyExploit     = "known-exploit"
	FamilyOther       = "other"
)

// families decides a title's family: the first whose words the title
// holds, in this order (a "Grafana path traversal CVE" is a traversal, an
// "RCE CVE" a command execution, before either is a known exploit). Words
// are matched whole, in lower case, punctuation read as spaces.
var families = []struct {
	family string
	words  []string
}{
	{FamilySQLi, []string{"sql injection"}},
	{FamilyXSS, []string{"cross site scripting", "xss"}},
	{FamilyTemplate, []string{"template injection"}},
	{FamilyTraversal, []string{"traversal"}},
	{FamilyWebshell, []string{"webshell", "web shell", "regeorg", "wp2shell"}},
	{FamilyJava, []string{"log4j", "jndiexploit", "jndi", "java payload"}},
	{FamilyAuthBypass, []string{"auth bypass", "authentication bypass"}},
	{FamilyDisclosure, []string{"information disclosure"}},
	{FamilyCommand, []string{"command injection", "command execution", "rce", "shell command", "windows strings"}},
	{FamilyMiner, []string{"miner", "cryptominer"}},
	{FamilyRecon, []string{"recon", "scanner", "scan", "fuzzing", "enumeration", "scraper"}},
	{FamilyUserAgent, []string{"user agent", "user agents", "useragent"}},
	{FamilyC2, []string{"c2", "malware", "backdoor", "beaconing", "botnet", "hacktool", "comrat"}},
	{FamilyPhishing, []string{"phishing"}},
	{FamilyDestination, []string{"download", "tld", "dyndns", "paste", "ipfs", "telegram", "bitsadmin", "webdav", "rclone", "pwndrp", "class extension", "suspicious location"}},
	{FamilyCrash, []string{"segmentation fault", "core dump", "threading error"}},
	{FamilyExploit, []string{"cve", "exploit", "exploitation", "exploitations", "proxyshell", "proxylogon", "hafnium", "owassrf"}},
}

// Families lists every family, FamilyOther last.
func Families() []string {
	out := make([]string, 0, len(families)+1)
	for _, f := range families {
		out = append(out, f.family)
	}
	return append(out, FamilyOther)
}

// FamilyOf is the family of a Sigma rule with this title; FamilyOther when
// no family's words are in it.
func FamilyOf(title string) string {
	norm := " " + strings.Join(strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ") + " "
	for _, f := range families {
		for _, w := range f.words {
			if strings.Contains(norm, " "+w+" ") {
				return f.family
			}
		}
	}
	return FamilyOther
}

// ShippedFamily is the family of a shipped rule by its id, for a page that
// knows an alert's rule but not its title (a blocking decision); false for
// a rule Garda does not ship.
func ShippedFamily(ruleID string) (string, bool) {
	f, ok := shippedFamilies()[ruleID]
	return f, ok
}

// shippedFamilies maps the shipped rules' ids to their families, read once.
var shippedFamilies = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	rs, err := sigma.LoadFS(Sigma(), ".")
	if err != nil {
		return out // the shipped rules load (TestEveryRuleHasFamily): no family beats a crash
	}
	for _, r := range rs {
		out[r.ID] = FamilyOf(r.Title)
	}
	return out
})
