//go:build js && wasm

package main

import (
	"fmt"
	"reflect"
	"strings"
	"syscall/js"
)

// toJS converts the engine's results to plain JavaScript values: structs
// to objects keyed by their json tags (embedded structs' fields inline),
// []byte to Uint8Array, other slices to arrays, nil pointers to null.
func toJS(v any) js.Value { return valueToJS(reflect.ValueOf(v)) }

var (
	object     = js.Global().Get("Object")
	array      = js.Global().Get("Array")
	uint8Array = js.Global().Get("Uint8Array")
)

func valueToJS(v reflect.Value) js.Value {
	if !v.IsValid() {
		return js.Null()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return js.Null()
		}
		return valueToJS(v.Elem())
	case reflect.Struct:
		o := object.New()
		fillObject(o, v)
		return o
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.IsNil() {
				return js.Null()
			}
			b := uint8Array.New(v.Len())
			js.CopyBytesToJS(b, v.Bytes())
			return b
		}
		a := array.New(v.Len())
		for i := range v.Len() {
			a.SetIndex(i, valueToJS(v.Index(i)))
		}
		return a
	case reflect.String:
		return js.ValueOf(v.String())
	case reflect.Bool:
		return js.ValueOf(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return js.ValueOf(float64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return js.ValueOf(float64(v.Uint()))
	case reflect.Float32, reflect.Float64:
		return js.ValueOf(v.Float())
	}
	return js.ValueOf(fmt.Sprint(v.Interface()))
}

func fillObject(o js.Value, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			fillObject(o, v.Field(i))
			continue
		}
		name, ok := jsonName(f)
		if !ok {
			continue
		}
		o.Set(name, valueToJS(v.Field(i)))
	}
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
