package simhost

import "testing"

// TestMeter checks that every stream counts in the totals and the given
// protocols' streams also apart.
func TestMeter(t *testing.T) {
	m := NewMeter("/a/1", "/b/2")
	m.LogSentMessageStream(1, "/a/1", "")
	m.LogRecvMessageStream(10, "/b/2", "")
	m.LogSentMessageStream(100, "/c/3", "")
	m.LogRecvMessageStream(1000, "/c/3", "")
	if in, out, proto := m.Totals(); in != 1010 || out != 101 || proto != 11 {
		t.Errorf("Totals() = %d, %d, %d; want 1010, 101, 11", in, out, proto)
	}
}
