//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall/js"
	"unicode/utf8"
)

// toJS converts the engine's results to plain JavaScript values: structs
// to objects keyed by their json tags (embedded structs' fields inline),
// []byte to Uint8Array (nil to null), other slices to arrays, nil pointers
// to null. Each crossing between Go and JavaScript costs microseconds, so
// the value is written as JSON and parsed in one call; only the byte
// slices are set afterwards, one call each (a received message's result
// holds one or two).
func toJS(v any) js.Value {
	w := jsonWriter{}
	w.value(reflect.ValueOf(v), nil)
	out := jsonParse.Invoke(string(w.buf))
	for _, b := range w.bins {
		holder := out
		for _, step := range b.path[:len(b.path)-1] {
			holder = step.get(holder)
		}
		arr := uint8Array.New(len(b.data))
		js.CopyBytesToJS(arr, b.data)
		b.path[len(b.path)-1].set(holder, arr)
	}
	return out
}

var (
	array      = js.Global().Get("Array")
	uint8Array = js.Global().Get("Uint8Array")
	jsonParse  = js.Global().Get("JSON").Get("parse").Call("bind", js.Global().Get("JSON"))
)

// step is one key or index on the way to a value.
type step struct {
	key   string
	index int // when key is ""
}

func (s step) get(v js.Value) js.Value {
	if s.key != "" {
		return v.Get(s.key)
	}
	return v.Index(s.index)
}

func (s step) set(v, x js.Value) {
	if s.key != "" {
		v.Set(s.key, x)
	} else {
		v.SetIndex(s.index, x)
	}
}

// binField is a byte slice to set where path leads, after parsing.
type binField struct {
	path []step
	data []byte
}

// jsonWriter writes a value as JSON, byte slices as null placeholders.
type jsonWriter struct {
	buf  []byte
	bins []binField
}

func (w *jsonWriter) value(v reflect.Value, path []step) {
	if !v.IsValid() {
		w.buf = append(w.buf, "null"...)
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			w.buf = append(w.buf, "null"...)
			return
		}
		w.value(v.Elem(), path)
	case reflect.Struct:
		w.buf = append(w.buf, '{')
		w.fields(v, path, true)
		w.buf = append(w.buf, '}')
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			w.buf = append(w.buf, "null"...)
			if !v.IsNil() && len(path) > 0 {
				w.bins = append(w.bins, binField{path: slices.Clone(path), data: v.Bytes()})
			}
			return
		}
		w.buf = append(w.buf, '[')
		for i := range v.Len() {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.value(v.Index(i), append(path, step{index: i}))
		}
		w.buf = append(w.buf, ']')
	case reflect.String:
		w.str(v.String())
	case reflect.Bool:
		w.buf = strconv.AppendBool(w.buf, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		w.buf = strconv.AppendInt(w.buf, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		w.buf = strconv.AppendUint(w.buf, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			w.buf = append(w.buf, "null"...)
			return
		}
		w.buf = strconv.AppendFloat(w.buf, f, 'g', -1, 64)
	default:
		w.str(fmt.Sprint(v.Interface()))
	}
}

// fields writes a struct's fields; first says whether none was written
// yet (embedded structs continue the same object).
func (w *jsonWriter) fields(v reflect.Value, path []step, first bool) bool {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			first = w.fields(v.Field(i), path, first)
			continue
		}
		name, ok := jsonName(f)
		if !ok {
			continue
		}
		if !first {
			w.buf = append(w.buf, ',')
		}
		first = false
		w.str(name)
		w.buf = append(w.buf, ':')
		w.value(v.Field(i), append(path, step{key: name}))
	}
	return first
}

// str writes s as a JSON string (invalid UTF-8 as U+FFFD).
func (w *jsonWriter) str(s string) {
	const hexDigits = "0123456789abcdef"
	w.buf = append(w.buf, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			w.buf = append(w.buf, '\\', byte(r))
		case r < 0x20:
			w.buf = append(w.buf, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			w.buf = utf8.AppendRune(w.buf, r)
		}
	}
	w.buf = append(w.buf, '"')
}

func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name, true
	}
	return f.Name, true
}

// fromJS fills dst (a pointer) from a JavaScript value: the inverse of
// toJS for the records the page gives back. A field of the wrong type is an
// error naming it; a missing field stays zero.
func fromJS(v js.Value, dst any) error {
	return valueFromJS(v, reflect.ValueOf(dst).Elem(), "")
}

func valueFromJS(v js.Value, dst reflect.Value, path string) error {
	if v.IsUndefined() || v.IsNull() {
		return nil
	}
	where := path
	if where == "" {
		where = "the argument"
	}
	switch dst.Kind() {
	case reflect.Struct:
		if v.Type() != js.TypeObject {
			return fmt.Errorf("%s: want an object", where)
		}
		return structFromJS(v, dst, path)
	case reflect.Slice:
		if dst.Type().Elem().Kind() == reflect.Uint8 {
			if !v.InstanceOf(uint8Array) {
				return fmt.Errorf("%s: want a Uint8Array", where)
			}
			b := make([]byte, v.Get("length").Int())
			js.CopyBytesToGo(b, v)
			dst.SetBytes(b)
			return nil
		}
		if !array.Call("isArray", v).Bool() {
			return fmt.Errorf("%s: want an array", where)
		}
		n := v.Length()
		s := reflect.MakeSlice(dst.Type(), n, n)
		for i := range n {
			if err := valueFromJS(v.Index(i), s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		dst.Set(s)
		return nil
	case reflect.String:
		if v.Type() != js.TypeString {
			return fmt.Errorf("%s: want a string", where)
		}
		dst.SetString(v.String())
		return nil
	case reflect.Bool:
		if v.Type() != js.TypeBoolean {
			return fmt.Errorf("%s: want a boolean", where)
		}
		dst.SetBool(v.Bool())
		return nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		if v.Type() != js.TypeNumber {
			return fmt.Errorf("%s: want a number", where)
		}
		dst.SetInt(int64(v.Float()))
		return nil
	case reflect.Uint64, reflect.Uint32, reflect.Uint:
		if v.Type() != js.TypeNumber || v.Float() < 0 {
			return fmt.Errorf("%s: want a number of at least 0", where)
		}
		dst.SetUint(uint64(v.Float()))
		return nil
	}
	return fmt.Errorf("%s: cannot read a %s", where, dst.Type())
}

func structFromJS(v js.Value, dst reflect.Value, path string) error {
	t := dst.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			if err := structFromJS(v, dst.Field(i), path); err != nil {
				return err
			}
			continue
		}
		name, ok := jsonName(f)
		if !ok {
			continue
		}
		p := name
		if path != "" {
			p = path + "." + name
		}
		if err := valueFromJS(v.Get(name), dst.Field(i), p); err != nil {
			return err
		}
	}
	return nil
}

func reflectOf(p any) reflect.Value { return reflect.ValueOf(p).Elem() }
