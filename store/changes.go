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

// add records one change. A membership or assignment (id "parent/child")
// gets the labels of both ends from labels; an object keeps label.
func (c *changeLog) add(kind, op, id, label string, labels labeler, values []directory.FieldChange) {
	c.summary[kind+"."+op]++
	ch := directory.Change{Kind: kind, Op: op, ID: id, Label: label, Values: values}
	if parent, child, relation := strings.Cut(id, "/"); relation {
		parentKind, childKind := relationKinds(kind)
		ch.Parent, ch.Child = labels.label(parentKind, parent), labels.label(childKind, child)
	}
	for _, v := range values {
		ch.Fields = append(ch.Fields, v.Field)
	}
	c.pending = append(c.pending, ch)
}

// relationKinds names the kinds of a relation's two ends.
func relationKinds(kind string) (parent, child string) {
	switch kind {
	case directory.KindMembership:
		return directory.KindGroup, directory.KindUser
	case directory.KindAppGroup:
		return directory.KindApp, directory.KindGroup
	default:
		return directory.KindApp, directory.KindUser
	}
}

// labeler finds the label of a user, group or app by id.
type labeler interface {
	label(kind, id string) string
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
	b.FillPercent = appendOnlyFill
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

// changedValues lists (by JSON key, in field order) the fields that differ
// between two values of the same struct type, with both values as text.
// Times compare as instants, so a zone or monotonic-clock difference is not
// a change; custom attributes are reported per key as "attributes.<key>".
func changedValues[T any](a, b T) []directory.FieldChange {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	var out []directory.FieldChange
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
				out = append(out, directory.FieldChange{Field: name, Old: valueText(fa), New: valueText(fb)})
			}
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem() == timeType:
			if fa.IsNil() != fb.IsNil() || (!fa.IsNil() && !fa.Elem().Interface().(time.Time).Equal(fb.Elem().Interface().(time.Time))) {
				out = append(out, directory.FieldChange{Field: name, Old: valueText(fa), New: valueText(fb)})
			}
		case f.Type.Kind() == reflect.Map && f.Type.Key().Kind() == reflect.String:
			keys := map[string]bool{}
			for _, k := range fa.MapKeys() {
				keys[k.String()] = true
			}
			for _, k := range fb.MapKeys() {
				keys[k.String()] = true
			}
			var changed []directory.FieldChange
			for k := range keys {
				x, y := fa.MapIndex(reflect.ValueOf(k)), fb.MapIndex(reflect.ValueOf(k))
				if x.IsValid() != y.IsValid() || (x.IsValid() && !reflect.DeepEqual(x.Interface(), y.Interface())) {
					changed = append(changed, directory.FieldChange{Field: name + "." + k, Old: valueText(x), New: valueText(y)})
				}
			}
			slices.SortFunc(changed, func(x, y directory.FieldChange) int { return strings.Compare(x.Field, y.Field) })
			out = append(out, changed...)
		default:
			if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
				out = append(out, directory.FieldChange{Field: name, Old: valueText(fa), New: valueText(fb)})
			}
		}
	}
	return out
}

// valueText renders a field's value for the change log: strings as they
// are, times in RFC 3339 (UTC), unset values (nil, a missing map key) as
// "", anything else as JSON.
func valueText(v reflect.Value) string {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch {
	case !v.IsValid():
		return ""
	case v.Type() == timeType:
		return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano)
	case v.Kind() == reflect.String:
		return v.String()
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	return string(b)
}

// diffEncoded compares two records of a T stored under key and returns
// the changed fields with their values.
func diffEncoded[T any](what string, key, old, new []byte) ([]directory.FieldChange, error) {
	a, err := decodeRec[T](what, key, old)
	if err != nil {
		return nil, err
	}
	b, err := decodeRec[T](what, key, new)
	if err != nil {
		return nil, err
	}
	return changedValues(a, b), nil
}

// labelOf extracts the human label of the record of a user, group or app
// stored under key ("" if it does not decode).
func labelOf(kind string, key, v []byte) string {
	switch kind {
	case directory.KindUser:
		u, _ := decodeRec[directory.User](kind, key, v)
		return u.Login
	case directory.KindGroup:
		g, _ := decodeRec[directory.Group](kind, key, v)
		return g.Name
	default:
		a, _ := decodeRec[directory.App](kind, key, v)
		return a.Label
	}
}
