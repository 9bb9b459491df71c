// Package contract holds the JSON that crosses between the project's
// TypeScript and its Go commands: one golden example per shape, *.json beside
// this file (README.md says which is which), and the checks the Go tests of
// the packages that own the types run against them. The TypeScript unit tests
// check their types against the same files, so neither side changes a shape
// without the other.
package contract

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

//go:embed *.json
var files embed.FS

// Golden is the example document of a shape, e.g. "probe-result.json".
func Golden(name string) ([]byte, error) {
	return files.ReadFile(name)
}

// Names are the golden documents there are.
func Names() ([]string, error) {
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, err
	}

	names := make([]string, 0, len(entries))
	for _, entry := range entries {
		names = append(names, entry.Name())
	}

	return names, nil
}

// Matches reports how value, marshalled as Go marshals it, differs from the
// golden document name: nil when both are the same JSON, layout aside (every
// key, every value, every value's type).
func Matches(name string, value any) error {
	golden, err := decodeGolden(name)
	if err != nil {
		return err
	}

	marshalled, err := json.Marshal(value)
	if err != nil {
		return err
	}

	built, err := decode(marshalled)
	if err != nil {
		return err
	}

	return differences(name, "the Go value", golden, built, false)
}

// RoundTrip decodes the golden document name into into (a pointer to the Go
// type), refusing a field the type does not know, and reports how
// marshalling it back differs from the document.
func RoundTrip(name string, into any) error {
	data, err := Golden(name)
	if err != nil {
		return err
	}

	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()

	if err := decoder.Decode(into); err != nil {
		return fmt.Errorf("%s into %T: %w", name, into, err)
	}

	return Matches(name, into)
}

// SameShape reports how a document made for real (say, a sealed backup as
// Seal writes it) differs in shape from the golden one: the same keys, each
// value of the same JSON type; the values themselves may differ. Every element
// of an array is held against the golden array's first.
func SameShape(name string, document []byte) error {
	golden, err := decodeGolden(name)
	if err != nil {
		return err
	}

	made, err := decode(document)
	if err != nil {
		return err
	}

	return differences(name, "the document", golden, made, true)
}

func decodeGolden(name string) (any, error) {
	data, err := Golden(name)
	if err != nil {
		return nil, err
	}

	value, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	return value, nil
}

func decode(data []byte) (any, error) {
	var value any

	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()

	if err := decoder.Decode(&value); err != nil {
		return nil, err
	}

	return value, nil
}

func differences(name, what string, golden, other any, shapeOnly bool) error {
	var found []string

	compare("$", golden, other, shapeOnly, &found)

	if len(found) == 0 {
		return nil
	}

	return errors.New(name + " and " + what + " differ:\n  " + strings.Join(found, "\n  "))
}

// compare notes where b differs from a, the golden value, at path.
func compare(path string, a, b any, shapeOnly bool, found *[]string) {
	if typeOf(a) != typeOf(b) {
		*found = append(*found, fmt.Sprintf("%s: %s in the golden file, %s here", path, typeOf(a), typeOf(b)))

		return
	}

	switch a := a.(type) {
	case map[string]any:
		b := b.(map[string]any) //nolint:forcetypeassert // same type, checked above

		for _, key := range union(a, b) {
			x, inA := a[key]
			y, inB := b[key]

			switch {
			case !inB:
				*found = append(*found, fmt.Sprintf("%s.%s: in the golden file, missing here", path, key))
			case !inA:
				*found = append(*found, fmt.Sprintf("%s.%s: not in the golden file", path, key))
			default:
				compare(path+"."+key, x, y, shapeOnly, found)
			}
		}
	case []any:
		b := b.([]any) //nolint:forcetypeassert // same type, checked above

		if shapeOnly {
			for i := range b {
				if len(a) > 0 {
					compare(fmt.Sprintf("%s[%d]", path, i), a[0], b[i], shapeOnly, found)
				}
			}

			return
		}

		if len(a) != len(b) {
			*found = append(*found, fmt.Sprintf("%s: %d elements in the golden file, %d here", path, len(a), len(b)))

			return
		}

		for i := range a {
			compare(fmt.Sprintf("%s[%d]", path, i), a[i], b[i], shapeOnly, found)
		}
	default:
		if !shapeOnly && !reflect.DeepEqual(a, b) {
			*found = append(*found, fmt.Sprintf("%s: %v in the golden file, %v here", path, a, b))
		}
	}
}

func typeOf(value any) string {
	switch value.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", value)
	}
}

func union(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))

	for key := range a {
		keys = append(keys, key)
	}

	for key := range b {
		if _, ok := a[key]; !ok {
			keys = append(keys, key)
		}
	}

	sort.Strings(keys)

	return keys
}
