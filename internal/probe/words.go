package probe

import (
	"fmt"
	"strings"
)

// SyntaxError reports a string that SplitWords cannot split.
type SyntaxError struct {
	Offset int    // byte offset in the input of the offending character
	Msg    string // what is wrong, e.g. "unterminated single quote"
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("probe: split words: byte %d: %s", e.Offset, e.Msg)
}

// SplitWords splits s into words the way a POSIX shell splits a simple
// command, and does nothing else: no expansion of any kind ($VAR, $(...),
// `...`, globs and ~ stay as they are).
//
//   - Unquoted whitespace separates words.
//   - A backslash outside quotes keeps the next character as it is; a
//     backslash before a newline joins the lines.
//   - Single quotes keep everything up to the next single quote.
//   - Double quotes keep everything up to the next unescaped double quote;
//     inside them a backslash escapes only $, `, ", \ and newline, and stays
//     a backslash before anything else.
//   - A pair of quotes with nothing between them is an empty word, and
//     quoted text joins unquoted text next to it (a"b c"d is one word).
//
// An unterminated quote or a trailing backslash is a *SyntaxError. So is an
// unquoted shell operator (| & ; < > ( )) and an unquoted # that starts a
// word: a shell would read them as pipes, redirections or a comment, and
// there is no shell here, so passing them on as arguments would silently mean
// something else. Quote them, or run sh -c '...' explicitly.
func SplitWords(s string) ([]string, error) {
	var (
		words  []string
		word   strings.Builder
		inWord bool // a word has begun, possibly empty ('')
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case '\\':
			if i+1 == len(s) {
				return nil, &SyntaxError{Offset: i, Msg: "trailing backslash"}
			}
			i++
			if s[i] != '\n' {
				word.WriteByte(s[i])
				inWord = true
			}
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, &SyntaxError{Offset: i, Msg: "unterminated single quote"}
			}
			word.WriteString(s[i+1 : i+1+end])
			inWord = true
			i += 1 + end
		case '"':
			open := i
			for i++; ; i++ {
				if i == len(s) {
					return nil, &SyntaxError{Offset: open, Msg: "unterminated double quote"}
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) {
					switch s[i+1] {
					case '$', '`', '"', '\\':
						i++
					case '\n':
						i++
						continue
					}
				}
				word.WriteByte(s[i])
			}
			inWord = true
		case '|', '&', ';', '<', '>', '(', ')':
			return nil, &SyntaxError{Offset: i, Msg: fmt.Sprintf("unquoted %q (there is no shell: quote it, or use sh -c '...')", string(c))}
		case '#':
			if !inWord {
				return nil, &SyntaxError{Offset: i, Msg: `unquoted "#" would start a comment in a shell (quote it)`}
			}
			word.WriteByte(c)
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}
