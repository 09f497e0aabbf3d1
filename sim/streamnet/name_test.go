package streamnet

import (
	"reflect"
	"runtime"
	"strings"
)

func name(f any) string {
	s := runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
	return s[strings.LastIndex(s, ".")+1:]
}
