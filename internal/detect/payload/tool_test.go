package payload

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// toolSQLi builds SQL injection values the way injection tools shape
// them (after sqlmap's published boundaries and techniques, written
// here from their description): a prefix that closes the parameter's
// own value (a number, a quote, a parenthesis, a LIKE pattern), one
// technique (boolean, time, error, UNION, stacked, inline), and a suffix
// that balances the query again (a comment or a trailing condition).
// Deterministic; numbers vary with the index so no two are equal.
func toolSQLi() []string {
	prefixes := []string{"1", "-1", "1'", "1\"", "1)", "1')", "1'))", "1\")", "-4821'", "1%'", "')", "'", "\"", "1`", "1')))"}
	suffixes := []string{"", "--", "-- -", "#", "/*", ";--", " and '{a}'='{a}", " and ('{a}'='{a}", " and \"{a}\"=\"{a}", " or '{a}'='{b}", "%00"}
	techniques := []string{
		" and {a}={a}",
		" and {a}={b}",
		" or {a}={a}",
		" or not {a}={b}",
		" and sleep(5)",
		" and (select {a} from (select(sleep(5)))abcd)",
		" or sleep(5)",
		" and benchmark(5000000,md5(0x41424344))",
		";waitfor delay '0:0:5'",
		" waitfor delay '0:0:5'",
		";select pg_sleep(5)",
		" and {a}=(select {a} from pg_sleep(5))",
		" and {a}=dbms_pipe.receive_message(chr(65)||chr(66),5)",
		" union all select null",
		" union all select null,null,null",
		" union all select concat(0x716b7a7071,0x4a4b4c,0x71787a7671),null",
		" union select 1,2,3,4",
		" order by {c}",
		" and extractvalue({a},concat(0x5c,0x716b7a7071,(select (elt({a}={a},1))),0x71787a7671))",
		" and updatexml({a},concat(0x2e,0x716b7a7071,(select (elt({a}={a},1))),0x71787a7671),{a})",
		" and (select 2*(if((select * from (select concat(0x716b7a7071,(select (elt({a}={a},1))),0x71787a7671,0x78))s), 8446744073709551610, 8446744073709551610)))",
		" and {a}=convert(int,(select char(113)+char(107)+char(122)+(select (case when ({a}={a}) then char(49) else char(48) end))))",
		" and {a}=cast((chr(113)||chr(107)||(select (case when ({a}={a}) then 1 else 0 end))::text||chr(113)) as numeric)",
		" and {a}=(select upper(xmltype(chr(60)||chr(58)||chr(113)||(select (case when ({a}={a}) then 1 else 0 end) from dual)||chr(62))) from dual)",
		" and (select (case when ({a}={a}) then null else ctxsys.drithsx.sn(1,{a}) end) from dual) is null",
		" rlike (select (case when ({a}={a}) then 1 else 0x28 end))",
		" and make_set({a}={a},{b})",
		" and elt({a}={a},{b})",
		" procedure analyse(extractvalue({a},concat(0x3a,(select (case when ({a}={a}) then 1 else 0 end)))),1)",
		";select dbms_pipe.receive_message(chr(65),5) from dual",
		";declare @x char(9);set @x=0x303a303a35;waitfor delay @x",
		" and exists(select * from information_schema.tables)",
		" and (select count(*) from sysibm.systables as t1,sysibm.systables as t2)>0",
		" and ascii(substring((select user()),1,1))>64",
		" and length(database())>{c}",
		" and substr(version(),1,1)=5",
		"||(select 'abcd' from dual where {a}={a})||",
		"+(select {a} where {a}={a})+",
		" in boolean mode) and {a}={a}",
		" and 1=(select count(*) from all_users t1,all_users t2,all_users t3)",
		";exec master..xp_cmdshell 'ping 127.0.0.1'",
		";insert into users(login,password) values('x','y')",
		";update users set password='x' where login='admin'",
		";drop table users",
		";shutdown",
		" and 1=utl_inaddr.get_host_address((select banner from v$version where rownum=1))",
		" and (select * from (select(sleep(5)))a)",
		" and gtid_subset(concat(0x716b,(select (elt({a}={a},1))),0x71),{a})",
		" and json_keys((select convert((select concat(0x71,(elt({a}={a},1)),0x71)) using utf8)))",
	}
	var out []string
	n := 0
	for ti, tech := range techniques {
		for pi, pre := range prefixes {
			// Each technique with every prefix, a suffix picked in turn.
			suf := suffixes[(ti+pi)%len(suffixes)]
			a, b, c := 1000+n*37%9000, 2000+n*53%7000, 1+n%12
			n++
			r := strings.NewReplacer("{a}", strconv.Itoa(a), "{b}", strconv.Itoa(b), "{c}", strconv.Itoa(c))
			out = append(out, r.Replace(pre+tech+suf))
		}
	}
	return out
}

// TestToolShapedSQLi: Garda's own checks (libinjection and the fragment
// and breakout checks) find tool-shaped SQL injection by themselves.
func TestToolShapedSQLi(t *testing.T) {
	vals := toolSQLi()
	var miss []string
	for _, v := range vals {
		found := false
		for _, enc := range []string{url.QueryEscape(v), strings.ReplaceAll(url.PathEscape(v), "+", "%2B")} {
			for _, f := range Check("/cari?q="+enc, nil) {
				if f.Class == SQLInjection {
					found = true
				}
			}
		}
		if !found {
			miss = append(miss, v)
		}
	}
	rate := 1 - float64(len(miss))/float64(len(vals))
	t.Logf("%d tool-shaped values, %.1f%% found", len(vals), 100*rate)
	for _, m := range miss {
		t.Logf("missed %q", m)
	}
	if rate < 0.97 {
		t.Errorf("recall %.1f%%, want at least 97%%", 100*rate)
	}
}
