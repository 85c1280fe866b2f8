package docgen

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// nameRE is what a part's name may be.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ErrStale is what Check and CheckFile return, wrapped, for a doc that is
// not what the code renders.
var ErrStale = errors.New("stale")

// locate finds the body of the generated part name: from the line after
// its opening comment to its closing comment's line. Each must be marked
// exactly once, opening first.
func locate(doc []byte, name string) (start, end int, err error) {
	if !nameRE.MatchString(name) {
		return 0, 0, fmt.Errorf("generated part %q: want a name of a-z, 0-9 and -", name)
	}
	// The name ends at a space: "<!-- generated:a " is no prefix of
	// "<!-- generated:a-b -->".
	open := []byte("<!-- generated:" + name + " ")
	closing := []byte("<!-- /generated:" + name + " -->")
	opens, closes := lineStarts(doc, open), lineStarts(doc, closing)
	switch {
	case len(opens) == 0:
		return 0, 0, fmt.Errorf("no %s...--> line", open)
	case len(opens) > 1:
		return 0, 0, fmt.Errorf("%s...--> is marked %d times; want once", open, len(opens))
	case len(closes) == 0:
		return 0, 0, fmt.Errorf("%s...--> has no %s line after it", open, closing)
	case len(closes) > 1:
		return 0, 0, fmt.Errorf("%s is written %d times; want once", closing, len(closes))
	case closes[0] < opens[0]:
		return 0, 0, fmt.Errorf("%s comes before %s...-->", closing, open)
	}
	start = opens[0] + bytes.IndexByte(doc[opens[0]:], '\n') + 1
	return start, closes[0], nil
}

// Splice returns doc with the body of the generated part name replaced by
// body (a trailing newline is added when missing); the marker lines and
// the rest of doc are kept as written.
func Splice(doc []byte, name, body string) ([]byte, error) {
	start, end, err := locate(doc, name)
	if err != nil {
		return nil, err
	}
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	out := make([]byte, 0, len(doc)-(end-start)+len(body))
	out = append(out, doc[:start]...)
	out = append(out, body...)
	return append(out, doc[end:]...), nil
}

// Part returns the body of the generated part name of doc.
func Part(doc []byte, name string) (string, error) {
	start, end, err := locate(doc, name)
	if err != nil {
		return "", err
	}
	return string(doc[start:end]), nil
}

// Check compares the generated part name of the doc at path with body.
// With update it rewrites that part of the file instead, leaving the rest
// of the doc as it is. how says how to regenerate it ("go test ./stubs
// -run TestDocs -update"), for the message of a stale doc.
func Check(path, name, body, how string, update bool) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	got, err := Splice(doc, name, body)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(got, doc) {
		return nil
	}
	if update {
		return os.WriteFile(path, got, 0o644)
	}
	old, _ := Part(doc, name)
	now, _ := Part(got, name)
	return fmt.Errorf("%s: generated part %s is %w; run %s\n%s", path, name, ErrStale, how, firstDiff(old, now))
}

// CheckFile is Check for a doc generated whole: the file at path must be
// body. With update it writes body there.
func CheckFile(path, body, how string, update bool) error {
	if update {
		return os.WriteFile(path, []byte(body), 0o644)
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w; run %s to create it", err, how)
	}
	if string(doc) == body {
		return nil
	}
	return fmt.Errorf("%s is %w; run %s\n%s", path, ErrStale, how, firstDiff(string(doc), body))
}

// firstDiff shows the first line where the doc and the code part ways.
func firstDiff(doc, code string) string {
	a, b := strings.Split(doc, "\n"), strings.Split(code, "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		x, y := "(end)", "(end)"
		if i < len(a) {
			x = fmt.Sprintf("%q", a[i])
		}
		if i < len(b) {
			y = fmt.Sprintf("%q", b[i])
		}
		if x != y {
			return fmt.Sprintf("first difference, line %d:\n  doc:  %s\n  code: %s", i+1, x, y)
		}
	}
	return ""
}

// lineStarts returns the offsets of the lines of doc that start with
// prefix.
func lineStarts(doc, prefix []byte) []int {
	var out []int
	for off := 0; off < len(doc); {
		if bytes.HasPrefix(doc[off:], prefix) {
			out = append(out, off)
		}
		nl := bytes.IndexByte(doc[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	return out
}
