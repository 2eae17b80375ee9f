package crs

// targetKeywords are words CRS's regular expressions (not its phrase
// files, which the prefilter reads itself) look for, and which a target
// made only of plain bytes can carry: SQL, script, shell and session
// words, read from the rules' expressions. Each one sends the requests
// holding it to CRS, so the list stays short; an entry of several words
// is verified whole.
var targetKeywords = []string{
	// SQL (942xxx): statements, functions, time-based probes.
	"select", "union", "insert", "delete", "drop", "truncate", "alter", "exec", "execute", "declare",
	"sleep", "benchmark", "waitfor", "having", "concat", "information_schema", "sysobjects", "syscolumns",
	"xp_cmdshell", "pg_sleep", "load_file", "outfile", "dumpfile", "infile", "dbms", "utl_inaddr",
	"sys_context", "collation",
	// Script (941xxx).
	"script", "javascript", "vbscript", "alert", "onerror", "onload",
	// Shell (932xxx).
	"passwd", "whoami", "uname", "ifconfig", "ipconfig", "wget", "curl", "netcat", "powershell", "cmd",
	// Session fixation (943120): session id parameter names.
	"jsessionid", "aspsessionid", "phpsessid", "phpsession", "weblogicsession", "cfid", "cftoken",
	"cfsid", "jservsession", "jwsession",
}

// agentKeywords are such words for the User-Agent, where 942480 reads SQL
// in every request header.
var agentKeywords = []string{
	"select", "union", "sleep", "benchmark", "waitfor", "script", "alert", "passwd",
	// 942480 reads all request headers: statements and their companions.
	"delete", "insert", "drop", "shutdown", "having", "inner", "outfile", "dumpfile", "infile", "dbms",
	"utl_inaddr", "sys_context", "collation",
}
