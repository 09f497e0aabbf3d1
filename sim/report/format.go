package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The formatters below turn figures into short strings for people: three
// significant digits, units that match the size, thousands separators. They
// never print NaN.

// duration formats d as "850 µs", "12.3 ms", "1.25 s" or "1m30s".
func duration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < 0:
		return "-" + duration(-max(d, -math.MaxInt64))
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + " ns"
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return sig3(float64(d)/float64(time.Millisecond)) + " ms"
	case d < time.Minute:
		return sig3(d.Seconds()) + " s"
	}
	// "1m30s", "5m", "2h" rather than time.Duration's "5m0s" and "2h0m0s".
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// byteSize formats n bytes in decimal units: "512 B", "1.5 kB", "12.3 MB".
// Decimal units keep chart ticks on round numbers.
func byteSize(n float64) string {
	n = finite(n)
	if math.Abs(n) < 1000 {
		return strconv.FormatFloat(math.Round(n), 'f', -1, 64) + " B"
	}
	for _, unit := range []string{"kB", "MB", "GB", "TB"} {
		n /= 1000
		if math.Abs(n) < 999.5 || unit == "TB" {
			return sig3(n) + " " + unit
		}
	}
	return "" // unreachable: the loop returns at TB
}

// count formats n with thousands separators: "12,345".
func count[T ~int | ~int64 | ~uint64](n T) string {
	s := fmt.Sprint(n)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// number formats a float count (a mean) with separators and up to one
// decimal: "12,345" or "3.5".
func number(x float64) string {
	x = finite(x)
	if math.Abs(x) >= 100 || x == math.Trunc(x) {
		return count(int64(math.Round(x)))
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// percent formats a share in 0..1 as "99.87%". It truncates rather than
// rounds, so that 100% means everything was delivered.
func percent(x float64) string {
	// The epsilon keeps 0.99 from printing as 98.99%.
	x = math.Floor(finite(x)*10000+1e-6) / 100
	return strconv.FormatFloat(x, 'f', -1, 64) + "%"
}

// times formats a ratio as "1.03×".
func times(x float64) string {
	return strconv.FormatFloat(finite(x), 'f', 2, 64) + "×"
}

// sig3 formats x with about three significant digits, without trailing
// zeros: "1.5", "12.3", "812".
func sig3(x float64) string {
	x = finite(x)
	decimals := 0
	switch a := math.Abs(x); {
	case a < 10:
		decimals = 2
	case a < 100:
		decimals = 1
	}
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if decimals > 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
