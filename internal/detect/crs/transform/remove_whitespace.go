// Copyright 2022 Juan Pablo Tosso and the OWASP Coraza contributors
// SPDX-License-Identifier: Apache-2.0

package transform

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// removeWhitespace drops the Unicode spaces. A value in ASCII (most) is
// read byte by byte: strings.Map's decoding of each rune and
// unicode.IsSpace cost 2 % of a hostile request's CPU.
func removeWhitespace(data string) (string, bool, error) {
	spaces := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c >= utf8.RuneSelf {
			return removeWhitespaceRunes(data)
		}
		if asciiSpace[c] {
			spaces++
		}
	}
	if spaces == 0 {
		return data, false, nil
	}
	b := make([]byte, 0, len(data)-spaces)
	for i := 0; i < len(data); i++ {
		if !asciiSpace[data[i]] {
			b = append(b, data[i])
		}
	}
	return string(b), true, nil
}

// asciiSpace is unicode.IsSpace on ASCII.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// removeWhitespaceRunes is Coraza's removeWhitespace (strings.Map writes
// U+FFFD for a byte outside UTF-8).
func removeWhitespaceRunes(data string) (string, bool, error) {
	changed := false
	transformedData := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			// if the character is a space, drop it
			changed = true
			return -1
		}
		// else keep it in the string
		return r
	}, data)

	return transformedData, changed, nil
}
