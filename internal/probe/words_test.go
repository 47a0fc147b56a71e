package probe

import (
	"errors"
	"slices"
	"testing"
)

func TestSplitWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t\n", nil},
		{"curl", []string{"curl"}},
		{"curl -fsS http://127.0.0.1:{port}/health", []string{"curl", "-fsS", "http://127.0.0.1:{port}/health"}},
		{"  a \t b\n c  ", []string{"a", "b", "c"}},
		// Single quotes: everything literal, backslashes included.
		{`'a b' c`, []string{"a b", "c"}},
		{`'a\b' '\'`, []string{`a\b`, `\`}},
		{`'$HOME "x"'`, []string{`$HOME "x"`}},
		// Double quotes: \ escapes only $ ` " \ and newline.
		{`"a b" c`, []string{"a b", "c"}},
		{`"a\"b"`, []string{`a"b`}},
		{`"a\\b"`, []string{`a\b`}},
		{`"\$HOME \` + "`x`" + `"`, []string{"$HOME `x`"}},
		{`"a\nb\tc"`, []string{`a\nb\tc`}},
		{"\"a\\\nb\"", []string{"ab"}},
		{`"it's"`, []string{"it's"}},
		// Backslash outside quotes.
		{`a\ b`, []string{"a b"}},
		{`\'a\"`, []string{`'a"`}},
		{`\\`, []string{`\`}},
		{`\|`, []string{"|"}},
		{"a\\\nb", []string{"ab"}},
		{"a \\\n b", []string{"a", "b"}},
		// Empty words and joined pieces.
		{`''`, []string{""}},
		{`"" x ''`, []string{"", "x", ""}},
		{`a"b c"d'e f'g`, []string{"ab cde fg"}},
		{`--name=" x "`, []string{"--name= x "}},
		// No expansion of any kind.
		{`$HOME ~ *.go ~/x ${X:-y}`, []string{"$HOME", "~", "*.go", "~/x", "${X:-y}"}},
		{"`id`", []string{"`id`"}},
		{`"$(id)"`, []string{"$(id)"}},
		{`a=b`, []string{"a=b"}},
		// # only starts a comment at the start of a word.
		{`a#b`, []string{"a#b"}},
		{`'#x' "#y" \#z`, []string{"#x", "#y", "#z"}},
		{`'a|b' "c;d" e\&f`, []string{"a|b", "c;d", "e&f"}},
		// Not ASCII.
		{"é 'ü ß'", []string{"é", "ü ß"}},
	}
	for _, tt := range tests {
		got, err := SplitWords(tt.in)
		if err != nil {
			t.Errorf("SplitWords(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("SplitWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitWordsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{`'abc`, 0, "unterminated single quote"},
		{`a 'b`, 2, "unterminated single quote"},
		{`"abc`, 0, "unterminated double quote"},
		{`x "a\"`, 2, "unterminated double quote"},
		{`x "a\`, 2, "unterminated double quote"},
		{`abc\`, 3, "trailing backslash"},
		{`\`, 0, "trailing backslash"},
		{`a | b`, 2, `unquoted "|" (there is no shell: quote it, or use sh -c '...')`},
		{`a&`, 1, `unquoted "&" (there is no shell: quote it, or use sh -c '...')`},
		{`a;b`, 1, `unquoted ";" (there is no shell: quote it, or use sh -c '...')`},
		{`a >f`, 2, `unquoted ">" (there is no shell: quote it, or use sh -c '...')`},
		{`a<f`, 1, `unquoted "<" (there is no shell: quote it, or use sh -c '...')`},
		{`(a)`, 0, `unquoted "(" (there is no shell: quote it, or use sh -c '...')`},
		{`a $(id)`, 3, `unquoted "(" (there is no shell: quote it, or use sh -c '...')`},
		{`a #b`, 2, `unquoted "#" would start a comment in a shell (quote it)`},
	}
	for _, tt := range tests {
		got, err := SplitWords(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("SplitWords(%q) = %q, %v; want a *SyntaxError", tt.in, got, err)
			continue
		}
		if se.Offset != tt.offset || se.Msg != tt.msg {
			t.Errorf("SplitWords(%q): offset %d, %q; want %d, %q", tt.in, se.Offset, se.Msg, tt.offset, tt.msg)
		}
	}
	_, err := SplitWords(`'x`)
	if want := "probe: split words: byte 0: unterminated single quote"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
