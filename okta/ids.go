package okta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// A group's member list is a page of full user objects of which dirdeck
// keeps the ids: at a million users that is gigabytes of JSON, and
// decoding it with encoding/json (into []struct{ID string `json:"id"`})
// was a fifth of a full sync's CPU. memberIDs reads the ids in one pass
// over the bytes instead, skipping every other value by its brackets and
// strings. It relies on what the transport guarantees for a page it hands
// over (divertBody): the body is valid JSON (json.Valid); still, it checks
// every index it reads, so any input gives an error, never a panic.
//
// What it returns is what encoding/json returns for that struct, the
// corner cases included (FuzzMemberIDs holds it to that): the key is
// matched without regard to case (`"ID"` fills the field too) after its
// escapes are decoded, the last matching key wins, a null leaves the value
// as it was, and a string's escapes and invalid UTF-8 are decoded as
// encoding/json decodes them.

// errIDNotString is an "id" that is neither a string nor null.
var errIDNotString = errors.New("id is not a string")

// idScanner walks a JSON text that json.Valid accepted.
type idScanner struct {
	b []byte
	i int
}

var errCut = errors.New("unexpected end of JSON input")

// ws skips white space and reports whether a byte follows.
func (s *idScanner) ws() bool {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return true
		}
	}
	return false
}

// peek is the next byte after white space.
func (s *idScanner) peek() (byte, error) {
	if !s.ws() {
		return 0, errCut
	}
	return s.b[s.i], nil
}

// str skips the string at s.i and returns it with its quotes, and whether
// it needs decoding (escapes, or bytes that are not plain ASCII).
func (s *idScanner) str() (raw []byte, plain bool, err error) {
	start := s.i
	plain = true
	for s.i++; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start:s.i], plain, nil
		case c == '\\':
			plain = false
			s.i++ // the escaped byte (a \uXXXX's hex digits are plain)
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	return nil, false, errCut
}

// skip skips one value: a string, or everything up to the bracket that
// closes the one it starts with, or a literal (number, true, false, null).
func (s *idScanner) skip() error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case '"':
		_, _, err := s.str()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, _, err := s.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errCut
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return nil
		}
		s.i++
	}
	return nil
}

// text decodes a string value as encoding/json does.
func text(raw []byte, plain bool) (string, error) {
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// expect consumes byte c after white space.
func (s *idScanner) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("invalid character %q at offset %d, want %q", got, s.i, c)
	}
	s.i++
	return nil
}

// memberIDs returns the "id" of every object of the JSON array body, "" for
// an object without one; what names the items in errors.
func memberIDs(body []byte, what string) ([]string, error) {
	s := &idScanner{b: body}
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(body[s.i:], []byte("null")) {
		return nil, nil // an empty page, as the SDK reads it
	}
	if c != '[' {
		return nil, fmt.Errorf("expected a list of %ss", what)
	}
	s.i++
	var ids []string
	for n := 1; ; n++ {
		c, err := s.peek()
		if err != nil {
			return nil, err
		}
		if c == ']' {
			return ids, nil
		}
		if n > 1 {
			if err := s.expect(','); err != nil {
				return nil, err
			}
		}
		id, err := s.object()
		if err != nil {
			return nil, fmt.Errorf("%s %d: %w", what, n, err)
		}
		ids = append(ids, id)
	}
}

// object reads one array item: an object's id (null counts as an object
// without fields, as encoding/json reads it into a struct).
func (s *idScanner) object() (string, error) {
	c, err := s.peek()
	if err != nil {
		return "", err
	}
	if c == 'n' {
		return "", s.skip()
	}
	if c != '{' {
		return "", fmt.Errorf("an item is not an object")
	}
	s.i++
	id := ""
	for first := true; ; first = false {
		c, err := s.peek()
		if err != nil {
			return "", err
		}
		if c == '}' {
			s.i++
			return id, nil
		}
		if !first {
			if err := s.expect(','); err != nil {
				return "", err
			}
			if _, err := s.peek(); err != nil {
				return "", err
			}
		}
		rawKey, plainKey, err := s.str()
		if err != nil {
			return "", err
		}
		if err := s.expect(':'); err != nil {
			return "", err
		}
		key := rawKey[1 : len(rawKey)-1]
		if !plainKey {
			k, err := text(rawKey, false)
			if err != nil {
				return "", err
			}
			key = []byte(k)
		}
		if !bytes.EqualFold(key, []byte("id")) {
			if err := s.skip(); err != nil {
				return "", err
			}
			continue
		}
		switch c, err := s.peek(); {
		case err != nil:
			return "", err
		case c == '"':
			raw, plain, err := s.str()
			if err != nil {
				return "", err
			}
			if id, err = text(raw, plain); err != nil {
				return "", err
			}
		case c == 'n':
			if err := s.skip(); err != nil { // null leaves the id as it was
				return "", err
			}
		default:
			return "", errIDNotString
		}
	}
}
