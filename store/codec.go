package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// Records: users, groups, apps and assignments are stored in a compact
// binary form instead of JSON (a third of the bytes, and decoding is a
// few string slices instead of a JSON parse). A record is a tag byte
// naming its kind and format, then its fields in a fixed order:
//
//	string   uvarint length, bytes (kept exactly, invalid UTF-8 included)
//	time     uvarint h, by h&3: 0 UTC: h>>2 nanoseconds, then varint Unix
//	         seconds; 1 another offset: RFC 3339 text as a string (decoded
//	         with time.Parse, as JSON did); 2 nil (*time.Time only)
//	int      varint
//	attrs    uvarint count (0: none), then sorted keys (strings), each
//	         followed by its value: a tag (attrNull, attrFalse, attrTrue,
//	         attrNumber + 8 bytes float64, attrString + string, attrList +
//	         count + values, attrObject + count + keys and values, or
//	         attrJSON + the JSON text of a value of another Go type, which
//	         reads back as JSON would have given it)
//
// The ids are not repeated: they are the key ("id", or "parent\tchild"
// for assignments). The fields the digest needs (a user's status and
// lastUpdated, a group's and an app's lastUpdated) come first, so that
// digestGen reads them without decoding the rest. A damaged record
// (truncated, unknown tag, trailing bytes, a length past its end)
// decodes to an error, never to a panic or to other data.
const (
	tagUser     byte = 0xa1
	tagGroup    byte = 0xa2
	tagApp      byte = 0xa3
	tagAppUser  byte = 0xa4
	tagAppGroup byte = 0xa5
)

// User flags: fields left out because they repeat others.
const (
	userEmailIsLogin   = 1 << iota // Email == Login
	userDisplayIsNames             // DisplayName == FirstName + " " + LastName
)

// Time forms (h&3 of an encoded time).
const (
	timeUTC = iota
	timeText
	timeNil
)

var errShort = errors.New("record ends early")

type recWriter struct{ b []byte }

func (w *recWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *recWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }

func (w *recWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
}

// time writes t. A zero offset is stored as UTC, as JSON's "Z" was.
func (w *recWriter) time(t time.Time) {
	if _, off := t.Zone(); off != 0 {
		w.uvarint(timeText)
		w.str(t.Format(time.RFC3339Nano))
		return
	}
	w.uvarint(uint64(t.Nanosecond()) << 2) // form timeUTC (0)
	w.varint(t.Unix())
}

func (w *recWriter) timePtr(t *time.Time) {
	if t == nil {
		w.uvarint(timeNil)
		return
	}
	w.time(*t)
}

// recReader decodes one record. s is the record as one string, allocated
// once: string fields are slices of it.
type recReader struct {
	b   []byte
	s   string
	i   int
	err error
}

func newRecReader(v []byte, tag byte) *recReader {
	r := &recReader{b: v}
	switch {
	case len(v) == 0:
		r.err = errShort
	case v[0] != tag:
		r.err = fmt.Errorf("record tag %#x, want %#x", v[0], tag)
	default:
		r.i = 1
	}
	return r
}

func (r *recReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.i += n
	return v
}

func (r *recReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.i:])
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.i += n
	return v
}

// bytes returns the next length-prefixed field, aliasing the record.
func (r *recReader) bytes() []byte {
	l := r.uvarint()
	if r.err != nil {
		return nil
	}
	if l > uint64(len(r.b)-r.i) {
		r.err = errShort
		return nil
	}
	v := r.b[r.i : r.i+int(l)]
	r.i += int(l)
	return v
}

func (r *recReader) str() string {
	v := r.bytes()
	if r.err != nil || len(v) == 0 {
		return ""
	}
	if r.s == "" {
		r.s = string(r.b)
	}
	return r.s[r.i-len(v) : r.i]
}

func (r *recReader) time() time.Time {
	t, _ := r.timeOrNil(false)
	return t
}

func (r *recReader) timePtr() *time.Time {
	t, ok := r.timeOrNil(true)
	if !ok {
		return nil
	}
	return &t
}

func (r *recReader) timeOrNil(nilOK bool) (time.Time, bool) {
	h := r.uvarint()
	if r.err != nil {
		return time.Time{}, false
	}
	switch h & 3 {
	case timeUTC:
		ns := h >> 2
		sec := r.varint()
		if ns >= 1e9 {
			r.err = fmt.Errorf("time with %d nanoseconds", ns)
		}
		if r.err != nil {
			return time.Time{}, false
		}
		return time.Unix(sec, int64(ns)).UTC(), true
	case timeText:
		if h != timeText {
			break
		}
		txt := r.bytes()
		if r.err != nil {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, string(txt))
		if err != nil {
			r.err = err
			return time.Time{}, false
		}
		return t, true
	case timeNil:
		if h == timeNil && nilOK {
			return time.Time{}, false
		}
	}
	r.err = fmt.Errorf("bad time header %#x", h)
	return time.Time{}, false
}

// done reports the first error, or trailing bytes.
func (r *recReader) done() error {
	if r.err == nil && r.i != len(r.b) {
		r.err = fmt.Errorf("%d bytes after the record", len(r.b)-r.i)
	}
	return r.err
}

// Attribute value tags.
const (
	attrNull byte = iota
	attrFalse
	attrTrue
	attrNumber
	attrString
	attrList
	attrObject
	attrJSON
)

// maxAttrDepth bounds nesting, as encoding/json does, so that a damaged
// record cannot recurse without end.
const maxAttrDepth = 10_000

func (w *recWriter) attrs(m map[string]any, depth int) error {
	w.uvarint(uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.str(k)
		if err := w.attr(m[k], depth); err != nil {
			return err
		}
	}
	return nil
}

func (w *recWriter) attr(v any, depth int) error {
	if depth > maxAttrDepth {
		return fmt.Errorf("attributes nested deeper than %d", maxAttrDepth)
	}
	switch x := v.(type) {
	case nil:
		w.b = append(w.b, attrNull)
	case bool:
		w.b = append(w.b, attrFalse+boolByte(x))
	case float64:
		w.b = append(w.b, attrNumber)
		w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(x))
	case string:
		w.b = append(w.b, attrString)
		w.str(x)
	case []any:
		if x == nil { // JSON's null
			w.b = append(w.b, attrNull)
			return nil
		}
		w.b = append(w.b, attrList)
		w.uvarint(uint64(len(x)))
		for _, e := range x {
			if err := w.attr(e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		if x == nil {
			w.b = append(w.b, attrNull)
			return nil
		}
		w.b = append(w.b, attrObject)
		return w.attrs(x, depth+1)
	default:
		j, err := json.Marshal(x)
		if err != nil {
			return err
		}
		w.b = append(w.b, attrJSON)
		w.str(string(j))
	}
	return nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// attrs reads an attribute object; nil when it has no keys.
func (r *recReader) attrs(depth int) map[string]any {
	n := r.uvarint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.i) {
		r.err = errShort // each entry takes at least two bytes
		return nil
	}
	m := make(map[string]any, n)
	for range n {
		k := r.str()
		m[k] = r.attr(depth)
		if r.err != nil {
			return nil
		}
	}
	return m
}

func (r *recReader) attr(depth int) any {
	if r.err != nil {
		return nil
	}
	if depth > maxAttrDepth {
		r.err = fmt.Errorf("attributes nested deeper than %d", maxAttrDepth)
		return nil
	}
	if r.i >= len(r.b) {
		r.err = errShort
		return nil
	}
	tag := r.b[r.i]
	r.i++
	switch tag {
	case attrNull:
		return nil
	case attrFalse, attrTrue:
		return tag == attrTrue
	case attrNumber:
		if len(r.b)-r.i < 8 {
			r.err = errShort
			return nil
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.i:]))
		r.i += 8
		return f
	case attrString:
		return r.str()
	case attrList:
		n := r.uvarint()
		if n > uint64(len(r.b)-r.i) {
			r.err = errShort
			return nil
		}
		l := make([]any, n)
		for i := range l {
			l[i] = r.attr(depth + 1)
		}
		return l
	case attrObject:
		m := r.attrs(depth + 1)
		if m == nil && r.err == nil {
			m = map[string]any{}
		}
		return m
	case attrJSON:
		var v any
		if err := json.Unmarshal(r.bytes(), &v); err != nil && r.err == nil {
			r.err = fmt.Errorf("attribute: %w", err)
		}
		return v
	}
	r.err = fmt.Errorf("unknown attribute tag %#x", tag)
	return nil
}

func encodeUser(u directory.User) ([]byte, error) {
	var flags uint64
	if u.Email == u.Login {
		flags |= userEmailIsLogin
	}
	if u.FirstName != "" && u.LastName != "" && u.DisplayName == u.FirstName+" "+u.LastName {
		flags |= userDisplayIsNames
	}
	w := recWriter{b: make([]byte, 0, 384)}
	w.b = append(w.b, tagUser)
	w.str(u.Status)
	w.time(u.LastUpdated)
	w.uvarint(flags)
	w.time(u.Created)
	w.timePtr(u.Activated)
	w.timePtr(u.StatusChanged)
	w.timePtr(u.LastLogin)
	w.timePtr(u.PasswordChanged)
	w.str(u.Login)
	if flags&userEmailIsLogin == 0 {
		w.str(u.Email)
	}
	w.str(u.FirstName)
	w.str(u.LastName)
	if flags&userDisplayIsNames == 0 {
		w.str(u.DisplayName)
	}
	for _, s := range []string{u.SecondEmail, u.Title, u.Department, u.Division, u.Organization, u.Manager, u.ManagerID,
		u.EmployeeNumber, u.CostCenter, u.MobilePhone, u.PrimaryPhone, u.Locale, u.PreferredLang, u.Timezone,
		u.City, u.State, u.CountryCode, u.UserType} {
		w.str(s)
	}
	if err := w.attrs(u.Attributes, 0); err != nil {
		return nil, err
	}
	return w.b, nil
}

// decodeUser decodes a user record stored under key (its id).
func decodeUser(key, v []byte) (directory.User, error) {
	r := newRecReader(v, tagUser)
	u := directory.User{ID: string(key)}
	u.Status = r.str()
	u.LastUpdated = r.time()
	flags := r.uvarint()
	u.Created = r.time()
	u.Activated = r.timePtr()
	u.StatusChanged = r.timePtr()
	u.LastLogin = r.timePtr()
	u.PasswordChanged = r.timePtr()
	u.Login = r.str()
	if flags&userEmailIsLogin != 0 {
		u.Email = u.Login
	} else {
		u.Email = r.str()
	}
	u.FirstName = r.str()
	u.LastName = r.str()
	if flags&userDisplayIsNames != 0 {
		u.DisplayName = u.FirstName + " " + u.LastName
	} else {
		u.DisplayName = r.str()
	}
	for _, p := range []*string{&u.SecondEmail, &u.Title, &u.Department, &u.Division, &u.Organization, &u.Manager, &u.ManagerID,
		&u.EmployeeNumber, &u.CostCenter, &u.MobilePhone, &u.PrimaryPhone, &u.Locale, &u.PreferredLang, &u.Timezone,
		&u.City, &u.State, &u.CountryCode, &u.UserType} {
		*p = r.str()
	}
	u.Attributes = r.attrs(0)
	if flags >= userDisplayIsNames<<1 && r.err == nil {
		r.err = fmt.Errorf("unknown user flags %#x", flags)
	}
	return u, r.done()
}

func encodeGroup(g directory.Group) []byte {
	w := recWriter{b: make([]byte, 0, 64+len(g.Name)+len(g.Description))}
	w.b = append(w.b, tagGroup)
	w.time(g.LastUpdated)
	w.str(g.Type)
	w.str(g.Name)
	w.str(g.Description)
	w.time(g.Created)
	w.time(g.LastMembershipUpdated)
	return w.b
}

func decodeGroup(key, v []byte) (directory.Group, error) {
	r := newRecReader(v, tagGroup)
	g := directory.Group{ID: string(key)}
	g.LastUpdated = r.time()
	g.Type = r.str()
	g.Name = r.str()
	g.Description = r.str()
	g.Created = r.time()
	g.LastMembershipUpdated = r.time()
	return g, r.done()
}

func encodeApp(a directory.App) []byte {
	w := recWriter{b: make([]byte, 0, 64+len(a.Name)+len(a.Label))}
	w.b = append(w.b, tagApp)
	w.time(a.LastUpdated)
	w.str(a.Name)
	w.str(a.Label)
	w.str(a.Status)
	w.str(a.SignOnMode)
	w.time(a.Created)
	return w.b
}

func decodeApp(key, v []byte) (directory.App, error) {
	r := newRecReader(v, tagApp)
	a := directory.App{ID: string(key)}
	a.LastUpdated = r.time()
	a.Name = r.str()
	a.Label = r.str()
	a.Status = r.str()
	a.SignOnMode = r.str()
	a.Created = r.time()
	return a, r.done()
}

func encodeAppUser(au directory.AppUser) []byte {
	w := recWriter{b: make([]byte, 0, 32)}
	w.b = append(w.b, tagAppUser)
	w.str(au.Scope)
	w.str(au.Status)
	w.time(au.LastUpdated)
	return w.b
}

// decodeAppUser decodes an assignment stored under "app\tuser".
func decodeAppUser(key, v []byte) (directory.AppUser, error) {
	r := newRecReader(v, tagAppUser)
	var au directory.AppUser
	au.AppID, au.UserID = splitKey(key)
	au.Scope = r.str()
	au.Status = r.str()
	au.LastUpdated = r.time()
	return au, r.done()
}

func encodeAppGroup(ag directory.AppGroup) []byte {
	w := recWriter{b: make([]byte, 0, 24)}
	w.b = append(w.b, tagAppGroup)
	w.varint(int64(ag.Priority))
	w.time(ag.LastUpdated)
	return w.b
}

// decodeAppGroup decodes an assignment stored under "app\tgroup".
func decodeAppGroup(key, v []byte) (directory.AppGroup, error) {
	r := newRecReader(v, tagAppGroup)
	var ag directory.AppGroup
	ag.AppID, ag.GroupID = splitKey(key)
	ag.Priority = int(r.varint())
	ag.LastUpdated = r.time()
	return ag, r.done()
}

// encodeRec encodes a directory object in its record form.
func encodeRec[T any](v T) ([]byte, error) {
	switch x := any(v).(type) {
	case directory.User:
		return encodeUser(x)
	case directory.Group:
		return encodeGroup(x), nil
	case directory.App:
		return encodeApp(x), nil
	case directory.AppUser:
		return encodeAppUser(x), nil
	case directory.AppGroup:
		return encodeAppGroup(x), nil
	}
	return nil, fmt.Errorf("no record form for %T", v)
}

// decodeRec decodes the record v stored under key; what names it in the
// error, which wraps ErrCorrupt.
func decodeRec[T any](what string, key, v []byte) (T, error) {
	var t T
	var err error
	switch p := any(&t).(type) {
	case *directory.User:
		*p, err = decodeUser(key, v)
	case *directory.Group:
		*p, err = decodeGroup(key, v)
	case *directory.App:
		*p, err = decodeApp(key, v)
	case *directory.AppUser:
		*p, err = decodeAppUser(key, v)
	case *directory.AppGroup:
		*p, err = decodeAppGroup(key, v)
	default:
		err = fmt.Errorf("no record form for %T", t)
	}
	if err != nil {
		return t, fmt.Errorf("%w: decode %s %q: %w", ErrCorrupt, what, key, err)
	}
	return t, nil
}

// appendStamp appends the tail of the digest line of the user, group or
// app record v ("status\tlastUpdated" or "lastUpdated") to line, reading
// only the leading fields.
func appendStamp(line []byte, tag byte, v []byte) ([]byte, error) {
	r := newRecReader(v, tag)
	if tag == tagUser {
		status := r.bytes()
		line = append(append(line, status...), '\t')
	}
	t := r.time()
	if r.err != nil {
		return line, r.err
	}
	return t.UTC().AppendFormat(line, directory.DigestTimeFormat), nil
}
