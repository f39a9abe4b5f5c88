package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// changeLog collects a run's changes: the per-kind summary for
// SyncRun.Changes, and the records not yet written to changes/<run>.
type changeLog struct {
	summary map[string]int
	pending []directory.Change
}

func newChangeLog() *changeLog { return &changeLog{summary: map[string]int{}} }

func (c *changeLog) add(kind, op, id, label string, fields []string) {
	c.summary[kind+"."+op]++
	c.pending = append(c.pending, directory.Change{Kind: kind, Op: op, ID: id, Label: label, Fields: fields})
}

// flush appends the pending records to changes/<run> in tx.
func (c *changeLog) flush(tx *bbolt.Tx, run uint64) error {
	if len(c.pending) == 0 {
		return nil
	}
	b, err := tx.Bucket(bChanges).CreateBucketIfNotExists(u64(run))
	if err != nil {
		return fmt.Errorf("change log of run %d: %w", run, err)
	}
	for _, ch := range c.pending {
		seq, _ := b.NextSequence()
		v, err := json.Marshal(ch)
		if err != nil {
			return fmt.Errorf("encode change: %w", err)
		}
		if err := b.Put(u64(seq), v); err != nil {
			return fmt.Errorf("change log of run %d: %w", run, err)
		}
	}
	c.pending = c.pending[:0]
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

// changedFields names (by JSON key) the fields that differ between two
// values of the same struct type. Times compare as instants, so a zone or
// monotonic-clock difference is not a change; custom attributes are
// reported per key as "attributes.<key>".
func changedFields[T any](a, b T) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		fa, fb := va.Field(i), vb.Field(i)
		switch {
		case f.Type == timeType:
			if !fa.Interface().(time.Time).Equal(fb.Interface().(time.Time)) {
				out = append(out, name)
			}
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem() == timeType:
			if fa.IsNil() != fb.IsNil() || (!fa.IsNil() && !fa.Elem().Interface().(time.Time).Equal(fb.Elem().Interface().(time.Time))) {
				out = append(out, name)
			}
		case f.Type.Kind() == reflect.Map && f.Type.Key().Kind() == reflect.String:
			keys := map[string]bool{}
			for _, k := range fa.MapKeys() {
				keys[k.String()] = true
			}
			for _, k := range fb.MapKeys() {
				keys[k.String()] = true
			}
			var changed []string
			for k := range keys {
				x, y := fa.MapIndex(reflect.ValueOf(k)), fb.MapIndex(reflect.ValueOf(k))
				if x.IsValid() != y.IsValid() || (x.IsValid() && !reflect.DeepEqual(x.Interface(), y.Interface())) {
					changed = append(changed, name+"."+k)
				}
			}
			slices.Sort(changed)
			out = append(out, changed...)
		default:
			if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
				out = append(out, name)
			}
		}
	}
	return out
}

// diffEncoded compares two encodings of a T and returns the changed fields.
func diffEncoded[T any](what string, old, new []byte) ([]string, error) {
	a, err := decode[T](what, old)
	if err != nil {
		return nil, err
	}
	b, err := decode[T](what, new)
	if err != nil {
		return nil, err
	}
	return changedFields(a, b), nil
}

// labelOf extracts the human label of an encoded user, group or app.
func labelOf(kind string, v []byte) string {
	var l struct {
		Login string `json:"login"`
		Name  string `json:"name"`
		Label string `json:"label"`
	}
	if json.Unmarshal(v, &l) != nil {
		return ""
	}
	switch kind {
	case directory.KindUser:
		return l.Login
	case directory.KindGroup:
		return l.Name
	default:
		return l.Label
	}
}
