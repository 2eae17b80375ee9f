package alert

import "strings"

// An alert's class says what kind of attack it tells of, whichever
// detector raised it: a behaviour scenario, a Sigma rule or a CRS match of
// the same SQL injection are all "sqli". The queue shows the classes of a
// group; an incident promoted from alerts takes its title and category
// from them (incident.FromAlerts).
const (
	ClassRCE            = "rce"
	ClassSQLi           = "sqli"
	ClassTraversal      = "traversal"
	ClassXSS            = "xss"
	ClassScraping       = "scraping"
	ClassBruteForce     = "brute-force"
	ClassFlood          = "flood"
	ClassWebAttack      = "web-attack"
	ClassSensitiveFiles = "sensitive-files"
	ClassScanner        = "scanner"
	ClassProbing        = "probing"
	ClassOther          = "other"
)

// Classes lists the classes, the most serious first: the order in which
// one stands for a group of alerts.
var Classes = []string{ClassRCE, ClassSQLi, ClassTraversal, ClassXSS, ClassScraping, ClassBruteForce, ClassFlood,
	ClassWebAttack, ClassSensitiveFiles, ClassScanner, ClassProbing, ClassOther}

// scenarioClass is the class of each behaviour scenario (internal/detect/scenario).
var scenarioClass = map[string]string{
	"http-rce": ClassRCE, "http-sqli": ClassSQLi, "http-path-traversal": ClassTraversal, "http-xss": ClassXSS,
	"voter-data-scraping": ClassScraping, "http-bruteforce": ClassBruteForce, "auth-bruteforce": ClassBruteForce,
	"credential-stuffing": ClassBruteForce, "http-flood": ClassFlood, "http-web-attack": ClassWebAttack,
	"http-sensitive-files": ClassSensitiveFiles, "http-scanner": ClassScanner, "http-probing": ClassProbing,
}

// titleClass finds the class of a Sigma rule in its (English) title: the
// first whose words begin words of the title ("rce" is not in "Source");
// techniqueClass, by its ATT&CK technique, when the title says nothing
// known.
var titleClass = []struct{ word, class string }{
	{"sql", ClassSQLi},
	{"cross site scripting", ClassXSS}, {"cross-site scripting", ClassXSS}, {"xss", ClassXSS},
	{"traversal", ClassTraversal}, {"file inclusion", ClassTraversal}, {"lfi", ClassTraversal},
	{"command injection", ClassRCE}, {"command execution", ClassRCE}, {"code execution", ClassRCE},
	{"template injection", ClassRCE}, {"webshell", ClassRCE}, {"web shell", ClassRCE}, {"rce", ClassRCE},
	{"brute", ClassBruteForce}, {"password spray", ClassBruteForce},
	{"scanner", ClassScanner}, {"user agent", ClassScanner}, {"user-agent", ClassScanner}, {"useragent", ClassScanner},
	{"enumeration", ClassProbing},
	{"exploit", ClassWebAttack}, {"cve-", ClassWebAttack},
}

var techniqueClass = []struct{ prefix, class string }{
	{"T1190", ClassWebAttack}, {"T1189", ClassXSS}, {"T1110", ClassBruteForce}, {"T1499", ClassFlood},
	{"T1498", ClassFlood}, {"T1595", ClassScanner}, {"T1083", ClassTraversal}, {"T1119", ClassScraping},
	{"T1552", ClassSensitiveFiles}, {"T1059", ClassRCE}, {"T1505", ClassRCE},
}

// Class is the alert's class.
func (a Alert) Class() string {
	if c, ok := scenarioClass[a.Scenario]; ok {
		return c
	}
	title := " " + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return ' '
	}, strings.ToLower(a.Title))
	for _, t := range titleClass {
		if strings.Contains(title, " "+t.word) {
			return t.class
		}
	}
	for _, t := range techniqueClass {
		if strings.HasPrefix(a.Technique, t.prefix) {
			return t.class
		}
	}
	return ClassOther
}

// ClassesOf are the distinct classes of alerts, the most serious first.
func ClassesOf(alerts []Alert) []string {
	seen := map[string]bool{}
	for _, a := range alerts {
		seen[a.Class()] = true
	}
	var out []string
	for _, c := range Classes {
		if seen[c] {
			out = append(out, c)
		}
	}
	return out
}
