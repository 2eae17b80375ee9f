package dsl

import (
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	vars := Vars{"body": "Hello World", "status_code": 200, "content_length": 11, "header": "Server: nginx/1.2\r\n"}
	cases := []struct {
		src  string
		want any
	}{
		{`status_code == 200 && contains(body, "World")`, true},
		{`status_code != 200 || !contains(body, "World")`, false},
		{`len(body) + 1`, 12.0},
		{`to_lower(body)`, "hello world"},
		{`"a" + "b" + 1`, "ab1"},
		{`1 + 2 * 3 - 4 / 2`, 5.0},
		{`7 % 3`, 1.0},
		{`content_length >= 10 && content_length < 12`, true},
		{`regex("nginx/[0-9.]+", header)`, true},
		{`md5("Hello")`, "8b1a9953c4611296a827abf8c47804d7"},
		{`base64_decode(base64("x:y"))`, "x:y"},
		{`compare_versions("1.2.3", "< 1.2.4", ">= 1.0")`, true},
		{`compare_versions("2.0", "<= 1.9")`, false},
		{`contains_any(body, "nope", "World")`, true},
		{`contains_all(body, "Hello", "nope")`, false},
		{`mmh3("hello")`, "613153351"},
		{`status_code == 200 ? "ok" : "no"`, "ok"},
		{`hex_decode(hex_encode("ab"))`, "ab"},
		{`replace_regex("a1b2", "[0-9]", "")`, "ab"},
		{`body =~ "W.rld"`, true},
		{`len(split("a,b,c", ","))`, 3.0},
		{`join("-", "a", "b")`, "a-b"},
		{`to_number("12") > 3`, true},
		{`"200" == status_code`, true},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Fatalf("parse %s: %v", c.src, err)
		}
		got, err := e.Eval(vars)
		if err != nil {
			t.Fatalf("eval %s: %v", c.src, err)
		}
		if got != c.want {
			t.Errorf("%s = %#v, want %#v", c.src, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{`contains(body`, `1 +`, `"abc`, `foo_bar_unknown(1)`, `jarm("x")`, `)`, `a b`} {
		if _, err := Parse(src); err == nil {
			t.Errorf("%s parsed", src)
		}
	}
}

func TestInterpolate(t *testing.T) {
	vars := Vars{"BaseURL": "http://h", "user": "a", "pass": "b", "x": `{{md5("Hello")}}`}
	cases := map[string]string{
		`{{BaseURL}}/x`:                   "http://h/x",
		`{{base64("{{user}}:{{pass}}")}}`: "YTpi",
		`{{base64(user + ":" + pass)}}`:   "YTpi",
		`q={{x}}`:                         `q={{md5("Hello")}}`,
		`{{interactsh-url}}`:              `{{interactsh-url}}`,
		`§user§`:                          "a",
		`{{to_lower("AB")}}`:              "ab",
	}
	for in, want := range cases {
		if got := Interpolate(in, vars); got != want {
			t.Errorf("Interpolate(%s) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`status_code == 200 && contains(body, "x")`, `a ? b : c`, `((1))`, `[a-b] == "x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "wait_for") {
			return // sleeps by design
		}
		e, err := Parse(s)
		if err == nil {
			e.Eval(Vars{"a": 1, "body": "x"})
		}
		Interpolate(s, Vars{"a": 1})
	})
}

func TestMoreFunctions(t *testing.T) {
	cases := map[string]any{
		`inflate(deflate("abc"))`:                           "abc",
		`substr("abcdef", 1, 3)`:                            "bc",
		`index(split("a,b,c", ","), 1)`:                     "b",
		`regex_all("abc123", "[a-z]+", "[0-9]+")`:           true,
		`regex_any("abc", "[0-9]", "b")`:                    true,
		`json_minify("{ \"a\" : 1 }")`:                      `{"a":1}`,
		`hex_encode(xor("ab", "ab"))`:                       "0000",
		`len(generate_jwt("{\"a\":1}", "HS256", "k")) > 20`: true,
		`startswith("abc", "a")`:                            true,
	}
	for src, want := range cases {
		e, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, err := e.Eval(Vars{})
		if err != nil || got != want {
			t.Errorf("%s = %#v (%v), want %#v", src, got, err, want)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	e, err := Parse(`status_code == 200 && contains(to_lower(body), "laravel") && !contains(header, "text/html") && len(body) > 10`)
	if err != nil {
		b.Fatal(err)
	}
	vars := Vars{"status_code": 200, "body": "Welcome to Laravel", "header": "Content-Type: text/plain\r\n"}
	for i := 0; i < b.N; i++ {
		if v, err := e.Eval(vars); err != nil || v != true {
			b.Fatal(v, err)
		}
	}
}
