package dsl

import "strings"

// Interpolate replaces each {{...}} in s: a variable's value, or the value
// of the expression inside. A placeholder that names no variable and is no
// valid expression stays as written (nuclei leaves unresolved markers
// too). Values put in are never scanned again, so a response that
// contains "{{...}}" and is reused in a later request travels as it is.
// Nested placeholders ({{base64("{{user}}:{{pass}}")}}) resolve inside
// out. Legacy §name§ markers are replaced by variables.
func Interpolate(s string, vars Vars) string {
	if strings.Contains(s, "§") {
		s = replaceSection(s, vars)
	}
	if !strings.Contains(s, "{{") {
		return s
	}
	out, _ := interpolate(s, vars, 0)
	return out
}

// Unresolved lists the {{...}} markers left in s.
func Unresolved(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return out
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return out
		}
		out = append(out, s[i:i+j+2])
		s = s[i+j+2:]
	}
}

func interpolate(s string, vars Vars, depth int) (string, bool) {
	var b strings.Builder
	all := true
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), all
		}
		b.WriteString(s[:i])
		end := closing(s, i+2)
		if end < 0 {
			b.WriteString(s[i:])
			return b.String(), false
		}
		inner := s[i+2 : end]
		if depth < 8 && strings.Contains(inner, "{{") {
			inner, _ = interpolate(inner, vars, depth+1)
		}
		if v, ok := resolve(inner, vars); ok {
			b.WriteString(v)
		} else {
			all = false
			b.WriteString("{{" + inner + "}}")
		}
		s = s[end+2:]
	}
}

// closing finds the "}}" that closes the "{{" before start, skipping
// nested pairs and string literals.
func closing(s string, start int) int {
	depth := 0
	var quote byte
	for i := start; i < len(s)-1; i++ {
		c := s[i]
		if quote != 0 {
			if c == '\\' {
				i++
				continue
			}
			if c == quote {
				quote = 0
			}
			continue
		}
		switch {
		case c == '"' || c == '\'':
			// a quote only opens a literal inside an expression, never
			// in text like {{a}}'s
			quote = c
		case c == '{' && s[i+1] == '{':
			depth++
			i++
		case c == '}' && s[i+1] == '}':
			if depth == 0 {
				return i
			}
			depth--
			i++
		}
	}
	// unbalanced quotes: fall back to the first "}}"
	if j := strings.Index(s[start:], "}}"); j >= 0 {
		return start + j
	}
	return -1
}

func resolve(inner string, vars Vars) (string, bool) {
	name := strings.TrimSpace(inner)
	if v, ok := vars[name]; ok {
		return ToString(v), true
	}
	e, err := Parse(name)
	if err != nil {
		return "", false
	}
	v, err := e.Eval(vars)
	if err != nil {
		return "", false
	}
	return ToString(v), true
}

func replaceSection(s string, vars Vars) string {
	parts := strings.Split(s, "§")
	if len(parts) < 3 {
		return s
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			if v, ok := vars[p]; ok {
				b.WriteString(ToString(v))
				continue
			}
			b.WriteString("§" + p + "§")
			continue
		}
		b.WriteString(p)
	}
	return b.String()
}
