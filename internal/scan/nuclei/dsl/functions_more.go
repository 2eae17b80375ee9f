package dsl

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// more are the less common helpers of nuclei's DSL.
func init() {
	more := map[string]function{
		"deflate": fixed(1, func(a []any) (any, error) {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, flate.DefaultCompression)
			w.Write([]byte(ToString(a[0])))
			w.Close()
			return b.String(), nil
		}),
		"inflate": fixed(1, func(a []any) (any, error) {
			return readBounded(flate.NewReader(strings.NewReader(ToString(a[0]))))
		}),
		"index": fixed(2, func(a []any) (any, error) {
			n, ok := toNumber(a[1])
			if !ok {
				return nil, errors.New("index is not a number")
			}
			var list []string
			if l, isList := a[0].([]string); isList {
				list = l
			} else {
				list = strings.Split(ToString(a[0]), "")
			}
			if int(n) < 0 || int(n) >= len(list) {
				return nil, errors.New("index out of range")
			}
			return list[int(n)], nil
		}),
		"substr": atLeast(2, func(a []any) (any, error) {
			s := ToString(a[0])
			start, _ := toNumber(a[1])
			end := float64(len(s))
			if len(a) > 2 {
				end, _ = toNumber(a[2])
			}
			if start < 0 || end > float64(len(s)) || start > end {
				return nil, errors.New("bad substring bounds")
			}
			return s[int(start):int(end)], nil
		}),
		"regex_all": atLeast(2, func(a []any) (any, error) {
			s := ToString(a[0])
			for _, p := range a[1:] {
				re, err := cachedRegexp(ToString(p))
				if err != nil {
					return nil, err
				}
				if !re.MatchString(s) {
					return false, nil
				}
			}
			return true, nil
		}),
		"regex_any": atLeast(2, func(a []any) (any, error) {
			s := ToString(a[0])
			for _, p := range a[1:] {
				re, err := cachedRegexp(ToString(p))
				if err != nil {
					return nil, err
				}
				if re.MatchString(s) {
					return true, nil
				}
			}
			return false, nil
		}),
		"json_minify": fixed(1, func(a []any) (any, error) {
			var b bytes.Buffer
			if err := json.Compact(&b, []byte(ToString(a[0]))); err != nil {
				return nil, err
			}
			return b.String(), nil
		}),
		"json_prettify": fixed(1, func(a []any) (any, error) {
			var b bytes.Buffer
			if err := json.Indent(&b, []byte(ToString(a[0])), "", "    "); err != nil {
				return nil, err
			}
			return b.String(), nil
		}),
		"xor": atLeast(2, func(a []any) (any, error) {
			out := []byte(ToString(a[0]))
			for _, x := range a[1:] {
				k := []byte(ToString(x))
				if len(k) != len(out) {
					return nil, errors.New("xor of strings of different lengths")
				}
				for i := range out {
					out[i] ^= k[i]
				}
			}
			return string(out), nil
		}),
		"to_title": str1(func(s string) string {
			if s == "" {
				return s
			}
			r, n := utf8.DecodeRuneInString(s)
			return strings.ToUpper(string(r)) + s[n:]
		}),
		// generate_jwt(json, algorithm, signature, max_age): HS256 and
		// "none", the ones templates use to test weak keys.
		"generate_jwt": atLeast(1, func(a []any) (any, error) {
			alg := "HS256"
			if len(a) > 1 && ToString(a[1]) != "" {
				alg = strings.ToUpper(ToString(a[1]))
			}
			key := ""
			if len(a) > 2 {
				key = ToString(a[2])
			}
			enc := base64.RawURLEncoding
			head := enc.EncodeToString([]byte(fmt.Sprintf(`{"alg":%q,"typ":"JWT"}`, alg)))
			body := enc.EncodeToString([]byte(ToString(a[0])))
			switch alg {
			case "NONE":
				return head + "." + body + ".", nil
			case "HS256":
				m := hmac.New(sha256.New, []byte(key))
				m.Write([]byte(head + "." + body))
				return head + "." + body + "." + enc.EncodeToString(m.Sum(nil)), nil
			}
			return nil, fmt.Errorf("jwt algorithm %s not provided", alg)
		}),
		"aes_cbc": fixed(3, func(a []any) (any, error) {
			key, iv, data := []byte(ToString(a[1])), []byte(ToString(a[2])), []byte(ToString(a[0]))
			block, err := aes.NewCipher(key)
			if err != nil {
				return nil, err
			}
			if len(iv) != block.BlockSize() {
				return nil, errors.New("iv must be one block long")
			}
			pad := block.BlockSize() - len(data)%block.BlockSize()
			data = append(data, bytes.Repeat([]byte{byte(pad)}, pad)...)
			out := make([]byte, len(data))
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, data)
			return string(out), nil
		}),
		"rand_text_alpha_lower": atLeast(1, func(a []any) (any, error) {
			n, _ := toNumber(a[0])
			return randFrom(int(n), "abcdefghijklmnopqrstuvwxyz")
		}),
		"shuffle": fixed(1, func(a []any) (any, error) {
			r := []rune(ToString(a[0]))
			rand.Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] })
			return string(r), nil
		}),
	}
	for k, f := range more {
		functions[k] = f
	}
}
